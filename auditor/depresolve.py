"""Opt-in resolution of unpinned requirements to versions (``--resolve-deps``), without installing.

It runs pip's own resolver in report mode with the scanner's interpreter::

    python -m pip install --dry-run --ignore-installed --quiet --no-input --only-binary=:all:
        --report <tmp>/report.json [resolve_args...] -r <tmp>/requirements.txt [-c <tmp>/constraints.txt]

- Nothing is installed and no virtualenv is created (``--dry-run``); the current environment is ignored
  (``--ignore-installed``).
- **Wheels only** (``--only-binary=:all:``): pip never downloads an sdist to build its metadata, so no
  build backend and no code of any package runs. A requirement with no matching wheel stays not audited
  with that reason.
- pip reads a requirements file *we* write in a temporary folder outside the target: only the
  ``name specifier ; marker`` of each unpinned requirement (the exact pins of the same manifest as
  constraints). The manifest's own options (``--index-url``, ``--extra-index-url``, ``-e``, includes,
  URLs) are never passed on, and the working directory is that temporary folder.
- Never resolved: the target's own project (a PyPI package of that name would be someone else's),
  editables, local paths, direct URLs and VCS references.
- The index is pip's own configuration (pip.conf, ``PIP_*`` variables: private indexes keep working),
  plus ``analyzers.pip-audit.resolve_args``, which may hold only index, find-links, network and
  target-platform options (the config can come from the scanned repository: options that write files,
  build, read other files or switch interpreter are refused); ``resolve_isolated: true`` ignores the user's pip
  configuration (``PIP_CONFIG_FILE=os.devnull``, no ``PIP_*`` variables) so only ``resolve_args`` count,
  e.g. ``[--no-index, --find-links, /wheelhouse]`` for an air-gapped wheelhouse.
- An unreachable index is recognised by pip's connection warnings (its retries); with ``--retries 0``
  pip reports it like a missing package, so each requirement ends "not in the index" instead.
- pip resolves for the scanner's Python and platform; pass ``--python-version``/``--platform`` in
  ``resolve_args`` to resolve for another target.

Failures never raise: an unreachable index, a conflict, a missing pip or a timeout become notes and
reasons, and the requirements stay "not audited" (the hygiene rule DEP-PIN-001 already reports them).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditor.manifests import Requirement

MAX_REPORT_BYTES = 64 * 1024 * 1024
MAX_RETRIES = 5  # requirements dropped (no wheel) and pip re-run, per manifest
DEFAULT_TIMEOUT = 300
BASE_ARGS = ("install", "--dry-run", "--ignore-installed", "--quiet", "--no-input", "--only-binary=:all:",
             "--disable-pip-version-check")
# resolve_args may only choose where and for which target pip looks (the config can come from the
# scanned repository): options that write files (--log, --report, --cache-dir, --target), build
# (--no-binary), read other requirement files (-r, -c) or re-run pip elsewhere (--python) are refused
_ALLOWED_VALUE = {"-i": "--index-url", "--index-url": "--index-url", "--extra-index-url": "--extra-index-url",
                  "-f": "--find-links", "--find-links": "--find-links", "--trusted-host": "--trusted-host",
                  "--retries": "--retries", "--timeout": "--timeout", "--python-version": "--python-version",
                  "--platform": "--platform", "--implementation": "--implementation", "--abi": "--abi",
                  "--proxy": "--proxy", "--cert": "--cert"}
_ALLOWED_FLAGS = {"--no-index", "--pre", "--no-deps"}
NO_WHEEL = ("no wheel of a matching version in the index (resolution is wheels only: sdists are never "
            "built) or the package is not in the index")
_NETWORK = re.compile(r"NewConnectionError|Failed to establish a new connection|Max retries exceeded|"
                      r"Name or service not known|Temporary failure in name resolution|Connection refused|"
                      r"ConnectTimeoutError|ReadTimeoutError|SSLError|ProxyError|Could not fetch URL",
                      re.IGNORECASE)
_NO_MATCH = re.compile(r"No matching distribution found for (\S+)")
_CONFLICT = re.compile(r"ResolutionImpossible|conflicting dependencies|Cannot install .* because", re.IGNORECASE)


class ResolveConfigError(ValueError):
    """``resolve_args`` is not a list of strings or holds a refused option."""


@dataclass(frozen=True)
class Resolved:
    requirement: Requirement
    version: str


@dataclass(frozen=True)
class Outcome:
    resolved: tuple[Resolved, ...] = ()
    unresolved: tuple[tuple[Requirement, str], ...] = ()  # (requirement, reason)
    transitive: tuple[tuple[str, str], ...] = ()  # (name, version) pulled in, not audited
    notes: tuple[str, ...] = ()
    runs: int = 0
    command: tuple[str, ...] = field(default_factory=tuple)


def redact(text: str) -> str:
    """Hide credentials in URLs of pip's output or arguments."""
    return re.sub(r"(://[^/@:\s]{0,4})[^/@\s]*@", r"\1****@", text)


def check_args(value: object) -> tuple[str, ...]:
    """``analyzers.pip-audit.resolve_args`` checked against the options resolution may take."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ResolveConfigError("analyzers.pip-audit.resolve_args: expected a list of strings (extra pip "
                                 "arguments such as [--index-url, URL] or [--no-index, --find-links, DIR])")
    allowed = ", ".join(sorted({*_ALLOWED_VALUE.values(), *_ALLOWED_FLAGS}))
    i = 0
    while i < len(value):
        name, eq, _ = value[i].partition("=")
        if name in _ALLOWED_FLAGS and not eq:
            i += 1
            continue
        if name not in _ALLOWED_VALUE:
            raise ResolveConfigError(f"analyzers.pip-audit.resolve_args: '{value[i][:60]}' is not allowed "
                                     f"(resolution stays a wheels-only dry run; allowed: {allowed})")
        if not eq:
            if i + 1 >= len(value) or value[i + 1].startswith("-"):
                raise ResolveConfigError(f"analyzers.pip-audit.resolve_args: '{name}' needs a value")
            i += 1
        i += 1
    return tuple(value)


def not_resolvable(req: Requirement, own_projects: Iterable[str]) -> str | None:
    """Why a requirement is never handed to pip, or None."""
    if req.editable:
        return "editable requirement (-e): the target's own code, never resolved"
    if req.url:
        if req.url.startswith(("git+", "hg+", "svn+", "bzr+")):
            return "VCS reference: not resolvable without fetching and building it"
        return "local path or direct URL: not resolvable without building it"
    if req.normalized in set(own_projects):
        return "the target's own project: never resolved from an index"
    if pep440_specifier(req.specifier) is None:
        return f"specifier '{req.specifier}' is not PEP 440 and not a Poetry caret/tilde: not resolvable"
    return None


def _caret(v: str) -> str | None:
    parts = v.split(".")
    if not all(p.isdigit() for p in parts):
        return None
    nums = [int(p) for p in parts]
    for i, n in enumerate(nums):
        if n != 0 or i == len(nums) - 1:
            upper = nums[: i + 1]
            upper[i] += 1
            return f">={v},<{'.'.join(map(str, upper))}"
    return None


def _tilde(v: str) -> str | None:
    parts = v.split(".")
    if not all(p.isdigit() for p in parts):
        return None
    nums = [int(p) for p in parts]
    upper = [nums[0] + 1] if len(nums) == 1 else [nums[0], nums[1] + 1]
    return f">={v},<{'.'.join(map(str, upper))}"


def pep440_specifier(spec: str) -> str | None:
    """The specifier as PEP 440 text (Poetry ``^1.2``/``~1.2``/``*`` translated), or None."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    out = []
    for clause in [c.strip() for c in spec.split(",") if c.strip()]:
        if clause == "*":
            continue
        if clause.startswith("^"):
            conv = _caret(clause[1:].strip())
        elif clause.startswith("~") and not clause.startswith("~="):
            conv = _tilde(clause[1:].strip())
        else:
            conv = clause
        if conv is None:
            return None
        out.append(conv)
    text = ",".join(out)
    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        return None
    return text


def requirement_line(req: Requirement) -> str:
    spec = pep440_specifier(req.specifier) or ""
    return f"{req.name}{spec}" + (f" ; {req.marker}" if req.marker else "")


def _env(isolated: bool) -> dict[str, str]:
    env = dict(os.environ)
    if isolated:
        env = {k: v for k, v in env.items() if not k.upper().startswith("PIP_")}
        env["PIP_CONFIG_FILE"] = os.devnull
    for key in ("PIP_PYTHON", "PIP_REQUIRE_VIRTUALENV", "PIP_NO_BINARY", "PIP_TARGET", "PIP_PREFIX", "PIP_USER"):
        env.pop(key, None)
    env["PIP_NO_INPUT"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _pip_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("pip") is not None


@dataclass
class _Run:
    ok: bool
    report: dict[str, object] | None
    stderr: str
    timed_out: bool = False


def _run_pip(lines: Sequence[str], constraints: Sequence[str], args: Sequence[str], *, isolated: bool,
             timeout: float) -> tuple[_Run, list[str]]:
    with tempfile.TemporaryDirectory(prefix="auditor-resolve-") as tmp:
        tdir = Path(tmp)
        (tdir / "requirements.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        cmd = [sys.executable, "-m", "pip", *BASE_ARGS, "--report", str(tdir / "report.json"), *args,
               "-r", str(tdir / "requirements.txt")]
        if constraints:
            (tdir / "constraints.txt").write_text("\n".join(constraints) + "\n", encoding="utf-8")
            cmd += ["-c", str(tdir / "constraints.txt")]
        shown = [c.replace(tmp, "<tmp>") for c in cmd]
        try:
            proc = subprocess.run(cmd, cwd=tdir, env=_env(isolated), stdin=subprocess.DEVNULL,  # noqa: S603
                                  capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return _Run(False, None, "", timed_out=True), shown
        except OSError as exc:
            return _Run(False, None, f"cannot start pip: {exc}"), shown
        stderr = proc.stderr.decode("utf-8", "replace")[-20000:]
        report_path = tdir / "report.json"
        if proc.returncode != 0 or not report_path.is_file():
            return _Run(False, None, stderr), shown
        try:
            with open(report_path, "rb") as fh:
                data = fh.read(MAX_REPORT_BYTES + 1)
            doc = json.loads(data) if len(data) <= MAX_REPORT_BYTES else None
        except (OSError, ValueError):
            doc = None
        if not isinstance(doc, dict):
            return _Run(False, None, "pip's installation report is missing or unreadable"), shown
        return _Run(True, doc, stderr), shown


def _installs(report: dict[str, object]) -> list[tuple[str, str, bool]]:
    from packaging.utils import canonicalize_name

    out = []
    items = report.get("install")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        meta = item.get("metadata") or {}
        if isinstance(meta, dict) and meta.get("name") and meta.get("version"):
            out.append((str(canonicalize_name(str(meta["name"]))), str(meta["version"]), bool(item.get("requested"))))
    return out


def _last_error(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip().startswith("ERROR")]
    return redact((lines[-1] if lines else stderr.strip().splitlines()[-1] if stderr.strip() else "no output")[:300])


def resolve(groups: Sequence[tuple[Sequence[Requirement], Sequence[Requirement]]], args: Sequence[str] = (), *,
            isolated: bool = False, timeout: float = DEFAULT_TIMEOUT) -> Outcome:
    """Resolve each group (requirements to resolve, exact pins of the same manifest as constraints) with one
    pip run (more when requirements without wheels are dropped). Never raises for pip's failures."""
    from packaging.utils import canonicalize_name

    if not any(reqs for reqs, _ in groups):
        return Outcome()
    if not _pip_available():
        note = "--resolve-deps: pip is not importable by the scanner's interpreter; unpinned requirements stay " \
               "not audited"
        return Outcome(unresolved=tuple((r, "pip is not available to resolve it") for g, _ in groups for r in g),
                       notes=(note,))
    resolved: list[Resolved] = []
    unresolved: list[tuple[Requirement, str]] = []
    transitive: dict[str, str] = {}
    notes: list[str] = []
    runs = 0
    command: list[str] = []
    network_down = False
    for reqs, pins in groups:
        todo = list(reqs)
        if network_down:
            unresolved.extend((r, "package index not reachable") for r in todo)
            continue
        constraints = [p.name + (p.specifier if p.specifier.startswith("==") else f"=={p.version}")
                       + (f" ; {p.marker}" if p.marker else "") for p in pins if p.version and not p.url]
        for _attempt in range(MAX_RETRIES + 1):
            if not todo:
                break
            run, cmd = _run_pip([requirement_line(r) for r in todo], constraints, args, isolated=isolated,
                                timeout=timeout)
            runs += 1
            command = [redact(c) for c in cmd]
            if run.ok and run.report is not None:
                installs = _installs(run.report)
                versions = {n: v for n, v, _ in installs}
                requested = {n for n, _, req in installs if req}
                for r in todo:
                    v = versions.get(r.normalized)
                    if v is not None:
                        resolved.append(Resolved(r, v))
                    else:
                        unresolved.append((r, "pip did not select it (an environment marker excludes it for the "
                                              "scanner's Python or platform)"))
                for n, v, _ in installs:
                    if n not in requested:
                        transitive.setdefault(n, v)
                todo = []
                break
            if run.timed_out:
                notes.append(f"--resolve-deps: pip did not finish within {int(timeout)} s")
                unresolved.extend((r, f"resolution timed out after {int(timeout)} s") for r in todo)
                todo = []
                break
            if _NETWORK.search(run.stderr):
                network_down = True
                notes.append("--resolve-deps: the package index is not reachable (" + _last_error(run.stderr) +
                             "); unpinned requirements stay not audited (point pip at a local wheelhouse with "
                             "analyzers.pip-audit.resolve_args: [--no-index, --find-links, DIR])")
                unresolved.extend((r, "package index not reachable") for r in todo)
                todo = []
                break
            missing = {str(canonicalize_name(re.split(r"[<>=!~;\[ ]", m, maxsplit=1)[0]))
                       for m in _NO_MATCH.findall(run.stderr)}
            dropped = [r for r in todo if r.normalized in missing]
            if dropped and not _CONFLICT.search(run.stderr):
                unresolved.extend((r, NO_WHEEL) for r in dropped)
                todo = [r for r in todo if r not in dropped]
                continue
            reason = "conflicting requirements" if _CONFLICT.search(run.stderr) else "pip failed"
            if missing and not dropped:
                reason = f"a dependency has no matching wheel ({', '.join(sorted(missing))})"
            notes.append(f"--resolve-deps: {reason}: {_last_error(run.stderr)}")
            unresolved.extend((r, f"resolution failed: {reason}") for r in todo)
            todo = []
            break
        else:
            notes.append(f"--resolve-deps: gave up after dropping {MAX_RETRIES} requirement(s) without wheels")
            unresolved.extend((r, f"not resolved: more than {MAX_RETRIES} requirements without wheels") for r in todo)
    return Outcome(resolved=tuple(resolved), unresolved=tuple(unresolved),
                   transitive=tuple(sorted(transitive.items())), notes=tuple(notes), runs=runs,
                   command=tuple(command))
