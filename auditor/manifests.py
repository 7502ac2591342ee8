"""Python dependency manifests read as text: requirements files (with ``-r``/``-c`` includes kept inside
the root), pyproject.toml (PEP 621, PEP 735 groups, Poetry), Pipfile, setup.cfg, poetry.lock, uv.lock,
Pipfile.lock and pylock.toml.

Nothing here installs, builds, resolves or runs anything: a requirement is what the file says. An exact
pin (``==1.2.3``, ``===1.2.3``, a Poetry bare version, a lock entry) gives ``version``; anything else
leaves ``version`` None ("not audited").
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PkgRequirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from auditor import fsio

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MAX_MANIFEST_BYTES = 10 * 1024 * 1024
MAX_INCLUDE_DEPTH = 16
LOCK_KINDS = frozenset({"poetry.lock", "uv.lock", "pipfile.lock", "pylock"})


@dataclass(frozen=True)
class Requirement:
    name: str
    normalized: str
    specifier: str
    version: str | None  # the exact version when pinned (== without wildcard, ===, lock entry)
    path: str  # manifest path relative to the root
    line: int
    raw: str
    source: str  # manifest kind
    locked: bool = False
    hashes: tuple[str, ...] = ()
    url: str | None = None  # direct reference (git+https://..., https://.../x.whl, file:...)
    vcs_commit: str | None = None
    marker: str | None = None
    editable: bool = False
    group: str | None = None  # optional/dev group when the manifest says so
    license: str | None = None
    constraint: bool = False

    @property
    def pinned(self) -> bool:
        return self.version is not None


@dataclass(frozen=True)
class Option:
    """A global option line of a requirements file (``--extra-index-url``, ``--require-hashes``...)."""

    path: str
    line: int
    name: str
    value: str | None
    raw: str


@dataclass(frozen=True)
class Manifest:
    path: str
    kind: str  # requirements, pyproject, pipfile, setup.cfg, conda, poetry.lock, uv.lock, pipfile.lock, pylock
    requirements: tuple[Requirement, ...] = ()
    options: tuple[Option, ...] = ()
    includes: tuple[tuple[str, str, int], ...] = ()  # (flag -r|-c, included path, line)
    errors: tuple[str, ...] = ()
    project_name: str | None = None
    project_license: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_lock(self) -> bool:
        return self.kind in LOCK_KINDS


def normalize(name: str) -> str:
    return str(canonicalize_name(name))


def exact_version(spec: str) -> str | None:
    """``==1.2.3`` / ``===1.2.3`` -> ``1.2.3``; wildcards, ranges and several clauses -> None."""
    spec = spec.strip()
    m = re.fullmatch(r"===?\s*([^,;\s*]+)", spec)
    if not m:
        return None
    try:
        return str(Version(m.group(1))) if spec.startswith("==") and not spec.startswith("===") else m.group(1)
    except InvalidVersion:
        return None


# --- requirements files --------------------------------------------------------------------------

_OPT_WITH_VALUE = {
    "-r": "--requirement", "--requirement": "--requirement", "-c": "--constraint", "--constraint": "--constraint",
    "-i": "--index-url", "--index-url": "--index-url", "--extra-index-url": "--extra-index-url",
    "-f": "--find-links", "--find-links": "--find-links", "--trusted-host": "--trusted-host",
    "-e": "--editable", "--editable": "--editable", "--only-binary": "--only-binary",
    "--no-binary": "--no-binary", "--use-feature": "--use-feature",
}
_OPT_FLAGS = {"--require-hashes", "--no-index", "--pre", "--prefer-binary"}
_VCS_PREFIX = ("git+", "hg+", "svn+", "bzr+")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def vcs_commit(url: str) -> str | None:
    """The full commit SHA a VCS URL pins (``git+https://host/repo@<sha>``), else None."""
    base = url.split("#", 1)[0]
    tail = base.rsplit("/", 1)[-1]
    if "@" not in tail:
        return None
    ref = tail.rsplit("@", 1)[1]
    return ref if _SHA.match(ref.lower()) else None


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """(first physical line number, joined line) with ``\\`` continuations and comments removed."""
    buf: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not buf:
            start = number
        # a comment starts at line start or after whitespace
        line = re.sub(r"(^|\s)#.*$", "", line)
        if line.endswith("\\"):
            buf.append(line[:-1])
            continue
        buf.append(line)
        joined = " ".join(part.strip() for part in buf).strip()
        buf = []
        if joined:
            yield start, joined
    if buf:
        joined = " ".join(part.strip() for part in buf).strip()
        if joined:
            yield start, joined


def _split_options(line: str) -> tuple[str, list[tuple[str, str | None]]]:
    """Split ``req --hash=a --hash b`` into the requirement part and its per-line options."""
    tokens = line.split()
    req: list[str] = []
    opts: list[tuple[str, str | None]] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.startswith("-"):
            name, eq, value = tok.partition("=")
            if not eq and name in ("--hash", "--global-option", "--config-settings", "-C", "--install-option") \
                    and i + 1 < len(tokens):
                value = tokens[i + 1]
                i += 1
            opts.append((name, value or None))
        else:
            req.append(tok)
        i += 1
    return " ".join(req), opts


def _parse_requirement(text: str, *, path: str, line: int, raw: str, source: str, editable: bool = False,
                       hashes: tuple[str, ...] = (), constraint: bool = False,
                       group: str | None = None) -> Requirement | str:
    """One PEP 508 requirement or a bare URL with ``#egg=``. Returns an error text when unreadable."""
    text = text.strip()
    if text.startswith(_VCS_PREFIX) or re.match(r"^(https?|file)://", text):
        egg = _EGG.search(text)
        name = egg.group(1) if egg else text.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1].split("@")[0]
        name = re.sub(r"\.git$", "", name)
        return Requirement(name=name, normalized=normalize(name), specifier="", version=None, path=path, line=line,
                           raw=raw, source=source, url=text, vcs_commit=vcs_commit(text), editable=editable,
                           hashes=hashes, constraint=constraint, group=group)
    if " @ " not in text and (text.startswith((".", "/")) or text.endswith((".whl", ".tar.gz", ".zip"))):
        name = text.rstrip("/").rsplit("/", 1)[-1]
        return Requirement(name=name, normalized=normalize(name.split("-")[0]), specifier="", version=None,
                           path=path, line=line, raw=raw, source=source, url=text, editable=editable,
                           hashes=hashes, constraint=constraint, group=group)
    try:
        req = PkgRequirement(text)
    except InvalidRequirement as exc:
        return f"{path}:{line}: cannot read requirement '{text[:80]}': {str(exc)[:120]}"
    spec = str(req.specifier)
    version = None if req.url else exact_version(spec)
    return Requirement(
        name=req.name, normalized=normalize(req.name), specifier=spec, version=version, path=path, line=line,
        raw=raw, source=source, hashes=hashes, url=req.url, vcs_commit=vcs_commit(req.url) if req.url else None,
        marker=str(req.marker) if req.marker else None, editable=editable, constraint=constraint, group=group,
    )


def parse_requirements(text: str, path: str, *, constraint: bool = False) -> Manifest:
    reqs: list[Requirement] = []
    options: list[Option] = []
    includes: list[tuple[str, str, int]] = []
    errors: list[str] = []
    raw_lines = text.splitlines()
    for number, line in _logical_lines(text):
        raw = raw_lines[number - 1].strip() if number - 1 < len(raw_lines) else line
        if line.startswith("-"):
            m = re.match(r"^(--[\w-]+|-[a-zA-Z])(?:\s*=\s*|\s+)?(.*)$", line)
            name, value = (m.group(1), m.group(2)) if m else (line, "")
            canon = _OPT_WITH_VALUE.get(name, name)
            value = value.strip()
            if canon in ("--requirement", "--constraint"):
                includes.append(("-r" if canon == "--requirement" else "-c", value, number))
                options.append(Option(path, number, canon, value, raw))
            elif canon == "--editable":
                item = _parse_requirement(value, path=path, line=number, raw=raw, source="requirements",
                                          editable=True, constraint=constraint)
                (reqs.append(item) if isinstance(item, Requirement) else errors.append(item))
            else:
                options.append(Option(path, number, canon, value or None, raw))
            continue
        req_text, per_line = _split_options(line)
        hashes = tuple(v for k, v in per_line if k == "--hash" and v)
        item = _parse_requirement(req_text, path=path, line=number, raw=raw, source="requirements",
                                  hashes=hashes, constraint=constraint)
        (reqs.append(item) if isinstance(item, Requirement) else errors.append(item))
    return Manifest(path=path, kind="constraints" if constraint else "requirements", requirements=tuple(reqs),
                    options=tuple(options), includes=tuple(includes), errors=tuple(errors))


# --- TOML manifests --------------------------------------------------------------------------------

def _find_line(lines: Sequence[str], needle: str, start: int = 0, default: int = 1) -> int:
    low = needle.lower()
    for i in range(max(start, 0), len(lines)):
        if low in lines[i].lower():
            return i + 1
    for i in range(0, min(start, len(lines))):
        if low in lines[i].lower():
            return i + 1
    return default


def _section_line(lines: Sequence[str], header: str) -> int:
    for i, line in enumerate(lines):
        if line.strip().replace(" ", "") == header:
            return i
    return 0


def _license_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return str(value["text"])[:200]
    return None


def _poetry_requirement(name: str, spec: Any, *, path: str, line: int, raw: str, group: str | None) -> Requirement:
    url = None
    commit = None
    specifier = ""
    if isinstance(spec, dict):
        if spec.get("git"):
            url = f"git+{spec['git']}"
            rev = spec.get("rev") or spec.get("tag") or spec.get("branch")
            commit = str(rev) if rev and _SHA.match(str(rev).lower()) else None
        elif spec.get("url") or spec.get("path"):
            url = str(spec.get("url") or spec.get("path"))
        specifier = str(spec.get("version", ""))
    elif isinstance(spec, str):
        specifier = spec
    elif isinstance(spec, list):  # multiple constraints by marker: take the text
        specifier = ",".join(str(s.get("version", "")) for s in spec if isinstance(s, dict))
    version = None
    s = specifier.strip()
    if not url and s and s != "*":
        if s[0].isdigit():
            try:
                version = str(Version(s))
                specifier = f"=={s}"
            except InvalidVersion:
                version = None
        else:
            version = exact_version(s)
    return Requirement(name=name, normalized=normalize(name), specifier=specifier, version=version, path=path,
                       line=line, raw=raw, source="pyproject", url=url, vcs_commit=commit, group=group)


def parse_pyproject(text: str, path: str) -> Manifest:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return Manifest(path=path, kind="pyproject", errors=(f"{path}: not valid TOML: {exc}",))
    lines = text.splitlines()
    reqs: list[Requirement] = []
    errors: list[str] = []
    project: dict[str, Any] = doc["project"] if isinstance(doc.get("project"), dict) else {}
    pep621: list[tuple[str, str | None]] = [(d, None) for d in project.get("dependencies", []) or []
                                            if isinstance(d, str)]
    for group, deps in (project.get("optional-dependencies") or {}).items():
        pep621.extend((d, str(group)) for d in deps or [] if isinstance(d, str))
    for group, deps in (doc.get("dependency-groups") or {}).items():
        pep621.extend((d, str(group)) for d in deps or [] if isinstance(d, str))
    start = _section_line(lines, "[project]")
    for dep, group in pep621:
        line = _find_line(lines, dep, start)
        item = _parse_requirement(dep, path=path, line=line, raw=lines[line - 1].strip() if lines else dep,
                                  source="pyproject", group=group)
        (reqs.append(item) if isinstance(item, Requirement) else errors.append(item))
    poetry = (doc.get("tool") or {}).get("poetry") if isinstance(doc.get("tool"), dict) else None
    name = project.get("name")
    lic = _license_text(project.get("license"))
    if isinstance(poetry, dict):
        name = name or poetry.get("name")
        lic = lic or _license_text(poetry.get("license"))
        sections: list[tuple[str, str | None, Any]] = [
            ("[tool.poetry.dependencies]", None, poetry.get("dependencies")),
            ("[tool.poetry.dev-dependencies]", "dev", poetry.get("dev-dependencies")),
        ]
        for gname, gdoc in (poetry.get("group") or {}).items():
            if isinstance(gdoc, dict):
                sections.append((f"[tool.poetry.group.{gname}.dependencies]", str(gname), gdoc.get("dependencies")))
        for header, group, deps in sections:
            if not isinstance(deps, dict):
                continue
            sline = _section_line(lines, header)
            for dname, spec in deps.items():
                if str(dname).lower() == "python":
                    continue
                line = _find_line(lines, f"{dname}", sline)
                reqs.append(_poetry_requirement(str(dname), spec, path=path, line=line,
                                                raw=lines[line - 1].strip() if lines else str(dname), group=group))
    return Manifest(path=path, kind="pyproject", requirements=tuple(reqs), errors=tuple(errors),
                    project_name=str(name) if name else None, project_license=lic)


def parse_pipfile(text: str, path: str) -> Manifest:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return Manifest(path=path, kind="pipfile", errors=(f"{path}: not valid TOML: {exc}",))
    lines = text.splitlines()
    reqs: list[Requirement] = []
    for section, group in (("packages", None), ("dev-packages", "dev")):
        sline = _section_line(lines, f"[{section}]")
        for dname, spec in (doc.get(section) or {}).items():
            line = _find_line(lines, str(dname), sline)
            specifier = spec if isinstance(spec, str) else str((spec or {}).get("version", "")) \
                if isinstance(spec, dict) else ""
            url = f"git+{spec['git']}" if isinstance(spec, dict) and spec.get("git") else None
            ref = str(spec.get("ref", "")) if isinstance(spec, dict) else ""
            specifier = "" if specifier == "*" else specifier
            reqs.append(Requirement(
                name=str(dname), normalized=normalize(str(dname)), specifier=specifier,
                version=None if url else exact_version(specifier), path=path, line=line,
                raw=lines[line - 1].strip() if lines else str(dname), source="pipfile", url=url,
                vcs_commit=ref if _SHA.match(ref.lower()) else None, group=group))
    return Manifest(path=path, kind="pipfile", requirements=tuple(reqs))


def parse_setup_cfg(text: str, path: str) -> Manifest:
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        return Manifest(path=path, kind="setup.cfg", errors=(f"{path}: cannot read: {str(exc)[:160]}",))
    lines = text.splitlines()
    reqs: list[Requirement] = []
    errors: list[str] = []
    if parser.has_option("options", "install_requires"):
        start = _find_line(lines, "install_requires")
        for dep in parser.get("options", "install_requires").splitlines():
            dep = dep.split("#", 1)[0].strip()
            if not dep:
                continue
            line = _find_line(lines, dep, start)
            item = _parse_requirement(dep, path=path, line=line, raw=dep, source="setup.cfg")
            (reqs.append(item) if isinstance(item, Requirement) else errors.append(item))
    return Manifest(path=path, kind="setup.cfg", requirements=tuple(reqs), errors=tuple(errors))


def _blocks(lines: Sequence[str], header: str) -> list[int]:
    return [i for i, line in enumerate(lines) if line.strip() == header]


def _lock_entry_line(lines: Sequence[str], header: str, name: str, version: str | None) -> int:
    """Line of ``name = "<name>"`` inside the matching ``[[package]]`` block (the lock entry)."""
    starts = _blocks(lines, header)
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        name_line = None
        version_ok = version is None
        for i in range(start, end):
            s = lines[i].strip().replace(" ", "")
            if s.lower() == f'name="{name.lower()}"':
                name_line = i + 1
            if version is not None and s == f'version="{version}"':
                version_ok = True
        if name_line is not None and version_ok:
            return name_line
    return _find_line(lines, f'"{name}"')


def _hashes_of(entry: Mapping[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    for f in entry.get("files", []) or []:  # poetry.lock
        if isinstance(f, dict) and f.get("hash"):
            out.append(str(f["hash"]))
    sd = entry.get("sdist")
    for w in ([sd] if isinstance(sd, dict) else []) + [w for w in entry.get("wheels", []) or [] if isinstance(w, dict)]:
        if w.get("hash"):
            out.append(str(w["hash"]))  # uv.lock
        hs = w.get("hashes")
        if isinstance(hs, dict):  # pylock.toml
            out.extend(f"{k}:{v}" for k, v in hs.items())
    return tuple(out)


def parse_toml_lock(text: str, path: str, kind: str) -> Manifest:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return Manifest(path=path, kind=kind, errors=(f"{path}: not valid TOML: {exc}",))
    lines = text.splitlines()
    key, header = ("packages", "[[packages]]") if kind == "pylock" else ("package", "[[package]]")
    reqs: list[Requirement] = []
    for entry in doc.get(key, []) or []:
        if not isinstance(entry, dict) or not entry.get("name"):
            continue
        name = str(entry["name"])
        version = str(entry["version"]) if entry.get("version") is not None else None
        source: dict[str, Any] = entry["source"] if isinstance(entry.get("source"), dict) else {}
        if kind == "uv.lock" and any(k in source for k in ("editable", "virtual")):
            continue  # the project itself
        url = None
        commit = None
        if kind == "poetry.lock" and source.get("type") == "git":
            url = f"git+{source.get('url')}"
            commit = source.get("resolved_reference")
        elif kind == "uv.lock" and source.get("git"):
            url = f"git+{source['git']}"
            frag = str(source["git"]).split("#", 1)
            commit = frag[1] if len(frag) > 1 else None
        elif kind == "pylock" and isinstance(entry.get("vcs"), dict):
            url = f"git+{entry['vcs'].get('url')}"
            commit = entry["vcs"].get("commit-id")
        line = _lock_entry_line(lines, header, name, version)
        group = None
        if kind == "poetry.lock" and entry.get("category") == "dev":
            group = "dev"
        reqs.append(Requirement(
            name=name, normalized=normalize(name), specifier=f"=={version}" if version else "", version=version,
            path=path, line=line, raw=lines[line - 1].strip() if lines else name, source=kind, locked=True,
            hashes=_hashes_of(entry), url=url, vcs_commit=str(commit) if commit else None, group=group,
            license=_license_text(entry.get("license"))))
    return Manifest(path=path, kind=kind, requirements=tuple(reqs))


def parse_pipfile_lock(text: str, path: str) -> Manifest:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        return Manifest(path=path, kind="pipfile.lock", errors=(f"{path}: not valid JSON: {str(exc)[:120]}",))
    lines = text.splitlines()
    reqs: list[Requirement] = []
    if not isinstance(doc, dict):
        return Manifest(path=path, kind="pipfile.lock", errors=(f"{path}: not a Pipfile.lock object",))
    for section, group in (("default", None), ("develop", "dev")):
        start = _find_line(lines, f'"{section}"', 0, 0)
        for name, entry in (doc.get(section) or {}).items():
            if not isinstance(entry, dict):
                continue
            spec = str(entry.get("version", ""))
            url = f"git+{entry['git']}" if entry.get("git") else None
            ref = str(entry.get("ref", ""))
            line = _find_line(lines, f'"{name}": {{', start)
            reqs.append(Requirement(
                name=str(name), normalized=normalize(str(name)), specifier=spec,
                version=None if url else exact_version(spec), path=path, line=line,
                raw=lines[line - 1].strip() if lines else str(name), source="pipfile.lock", locked=True,
                hashes=tuple(str(h) for h in entry.get("hashes", []) or []), url=url,
                vcs_commit=ref if _SHA.match(ref.lower()) else None, group=group))
    return Manifest(path=path, kind="pipfile.lock", requirements=tuple(reqs))


def parse_conda(text: str, path: str) -> Manifest:
    """The ``pip:`` sub-list of a conda environment file (conda packages are not PyPI packages)."""
    from auditor import yamlio

    try:
        doc = yamlio.load(text)
    except Exception as exc:  # noqa: BLE001 - any YAML problem is a note, not a crash
        return Manifest(path=path, kind="conda", errors=(f"{path}: not valid YAML: {str(exc)[:120]}",))
    lines = text.splitlines()
    reqs: list[Requirement] = []
    errors: list[str] = []
    deps = doc.get("dependencies") if isinstance(doc, dict) else None
    for item in deps or []:
        if isinstance(item, dict) and isinstance(item.get("pip"), list):
            for dep in item["pip"]:
                if not isinstance(dep, str):
                    continue
                line = _find_line(lines, dep)
                parsed = _parse_requirement(dep, path=path, line=line, raw=dep, source="conda")
                (reqs.append(parsed) if isinstance(parsed, Requirement) else errors.append(parsed))
    return Manifest(path=path, kind="conda", requirements=tuple(reqs), errors=tuple(errors))


def manifest_kind(rel_path: str) -> str | None:
    name = rel_path.lower().rsplit("/", 1)[-1]
    if name == "pyproject.toml":
        return "pyproject"
    if name == "poetry.lock":
        return "poetry.lock"
    if name == "uv.lock":
        return "uv.lock"
    if name == "pipfile.lock":
        return "pipfile.lock"
    if name == "pipfile":
        return "pipfile"
    if name == "setup.cfg":
        return "setup.cfg"
    if name == "pylock.toml" or re.match(r"^pylock\.[\w-]+\.toml$", name):
        return "pylock"
    if name in ("environment.yml", "environment.yaml", "conda.yaml", "conda.yml"):
        return "conda"
    if name.endswith((".txt", ".in")):
        return "requirements"
    return None


def parse_text(text: str, path: str, kind: str) -> Manifest:
    if kind == "requirements":
        return parse_requirements(text, path)
    if kind == "constraints":
        return parse_requirements(text, path, constraint=True)
    if kind == "pyproject":
        return parse_pyproject(text, path)
    if kind == "pipfile":
        return parse_pipfile(text, path)
    if kind == "setup.cfg":
        return parse_setup_cfg(text, path)
    if kind in ("poetry.lock", "uv.lock", "pylock"):
        return parse_toml_lock(text, path, kind)
    if kind == "pipfile.lock":
        return parse_pipfile_lock(text, path)
    if kind == "conda":
        return parse_conda(text, path)
    return Manifest(path=path, kind=kind, errors=(f"{path}: unknown manifest kind {kind}",))


def _read(root: Path, rel: str) -> str | None:
    p = root / rel
    try:
        if p.is_symlink() and not p.resolve().is_relative_to(root.resolve()):
            return None
        with fsio.open_regular(p) as fh:  # an include naming a FIFO must not block
            data = fh.read(MAX_MANIFEST_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_MANIFEST_BYTES:
        return None
    return data.decode("utf-8", "replace")


def _inside(root: Path, base: str, target: str) -> str | None:
    """``target`` relative to the folder of ``base``, as a root-relative path; None when outside."""
    if re.match(r"^[a-z][a-z0-9+.-]*://", target, re.IGNORECASE):
        return None
    resolved_root = root.resolve()
    parent = (root / base).parent
    candidate = (parent / target).resolve()
    try:
        rel = candidate.relative_to(resolved_root)
    except ValueError:
        return None
    return rel.as_posix()


@dataclass(frozen=True)
class ManifestSet:
    manifests: tuple[Manifest, ...]
    notes: tuple[str, ...] = ()

    def requirements(self) -> list[Requirement]:
        return [r for m in self.manifests for r in m.requirements]

    def by_path(self) -> dict[str, Manifest]:
        return {m.path: m for m in self.manifests}


def load_manifests(root: Path, paths: Iterable[str]) -> ManifestSet:
    """Parse each manifest path and follow ``-r``/``-c`` includes that stay inside the root."""
    seen: dict[str, Manifest] = {}
    notes: list[str] = []
    queue: list[tuple[str, str, int]] = []
    for p in sorted(set(paths)):
        kind = manifest_kind(p)
        if kind is not None:
            queue.append((p, kind, 0))
    while queue:
        rel, kind, depth = queue.pop(0)
        if rel in seen:
            continue
        text = _read(root, rel)
        if text is None:
            notes.append(f"{rel}: not read (missing, too large or outside the root)")
            continue
        manifest = parse_text(text, rel, kind)
        seen[rel] = manifest
        for flag, target, line in manifest.includes:
            inc = _inside(root, rel, target)
            if inc is None:
                notes.append(f"{rel}:{line}: include '{target}' is outside the scanned root: not followed")
                continue
            if depth + 1 > MAX_INCLUDE_DEPTH:
                notes.append(f"{rel}:{line}: include depth over {MAX_INCLUDE_DEPTH}: not followed")
                continue
            if inc not in seen:
                queue.append((inc, "constraints" if flag == "-c" else "requirements", depth + 1))
    ordered = tuple(seen[k] for k in sorted(seen))
    return ManifestSet(manifests=ordered, notes=tuple(notes))
