"""Hash manifests and signatures of model artifacts.

Manifests: ``SHA256SUMS`` (also ``SHA256SUMS.txt``, ``sha256sums.txt``; GNU ``HASH  path`` / ``HASH *path``
and BSD ``SHA256 (path) = HASH`` lines), ``<file>.sha256`` (a hash, optionally followed by a name;
without a name it covers ``<file>``), ``dvc.lock`` outs and ``*.dvc`` outs (DVC records MD5; we verify
MD5 for those). Paths are relative to the manifest's folder and must stay inside the scanned root.

* a digest that differs: INTEGRITY-HASH-001 (critical)
* a listed file that does not exist: INTEGRITY-HASH-002 (high). DVC outputs are different: DVC keeps
  them out of git on purpose, so an absent DVC output is a note ("dvc pull" to verify), not a finding;
  directory outputs (``.dir`` hashes) need the DVC cache and are noted as not verified.
* a model file listed by no manifest and with no ``.sig``/``.asc``/sigstore bundle/``.dvc`` pointer:
  INTEGRITY-SIGN-001 (low).
Hashes are computed by streaming (1 MiB chunks).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from auditor import yamlio
from auditor.analyzers.interface import AnalysisContext, AnalyzerOutput, BaseAnalyzer
from auditor.model import Asset, RawFinding, Rule

SUMS_NAMES = frozenset({"sha256sums", "sha256sums.txt", "sha256sum.txt", "checksums.sha256"})
SIG_SUFFIXES = (".sig", ".asc", ".sigstore", ".sigstore.json", ".bundle", ".sig.json", ".dvc")
MAX_MANIFEST = 8 * 1024**2
_GNU = re.compile(r"^\\?([0-9a-fA-F]{64})\s+\*?(.+?)\s*$")
_BSD = re.compile(r"^SHA256\s*\((.+)\)\s*=\s*([0-9a-fA-F]{64})\s*$")
_BARE = re.compile(r"^([0-9a-fA-F]{64})\s*$")


@dataclass(frozen=True)
class Entry:
    manifest: str
    line: int | None
    path: str  # relative to the root (posix), or "" when it escapes the root
    raw_path: str
    algo: str  # sha256 | md5
    digest: str
    dvc: bool = False


def _join(manifest: str, rel: str) -> str:
    """``rel`` (from a manifest) as a root-relative path; "" when it is absolute or escapes the root."""
    rel = rel.replace("\\", "/")
    if rel.startswith("/") or re.match(r"^[A-Za-z]:", rel):
        return ""
    parts = [p for p in PurePosixPath(manifest).parent.parts if p not in ("", ".")]
    for p in rel.split("/"):
        if p in ("", "."):
            continue
        if p == "..":
            if not parts:
                return ""
            parts.pop()
        else:
            parts.append(p)
    return "/".join(parts)


def parse_sums(manifest: str, text: str) -> Iterator[Entry]:
    for no, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        m = _GNU.match(s)
        if m:
            yield Entry(manifest, no, _join(manifest, m.group(2)), m.group(2), "sha256", m.group(1).lower())
            continue
        m = _BSD.match(s)
        if m:
            yield Entry(manifest, no, _join(manifest, m.group(1)), m.group(1), "sha256", m.group(2).lower())


def parse_sha256_file(manifest: str, text: str) -> Iterator[Entry]:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) == 1 and _BARE.match(lines[0].strip()):
        target = manifest[: -len(".sha256")]
        yield Entry(manifest, 1, target, PurePosixPath(target).name, "sha256", lines[0].strip().lower())
        return
    yield from parse_sums(manifest, text)


def parse_dvc(manifest: str, text: str) -> Iterator[Entry]:
    try:
        doc = yamlio.load(text.encode())
    except Exception:  # noqa: BLE001 - a broken dvc file is not ours to judge
        return
    outs: list[Any] = []
    if isinstance(doc, dict):
        if isinstance(doc.get("outs"), list):
            outs.extend(doc["outs"])
        stages = doc.get("stages")
        if isinstance(stages, dict):
            for st in stages.values():
                if isinstance(st, dict) and isinstance(st.get("outs"), list):
                    outs.extend(st["outs"])
    for o in outs:
        if not isinstance(o, dict) or not isinstance(o.get("path"), str):
            continue
        md5 = o.get("md5")
        if isinstance(md5, int) and not isinstance(md5, bool):  # an all-digit md5 reads as a YAML int
            md5 = str(md5).zfill(32)
        if not isinstance(md5, str):
            continue
        yield Entry(manifest, None, _join(manifest, o["path"]), o["path"], "md5", md5.lower(), dvc=True)


def _digest(path: Path, algo: str) -> str:
    h = hashlib.new(algo)
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                break
            h.update(chunk)
    return h.hexdigest()


def manifests_in(paths: Sequence[str]) -> list[str]:
    out = []
    for p in paths:
        name = p.rsplit("/", 1)[-1].lower()
        if name in SUMS_NAMES or name.endswith(".sha256") or name == "dvc.lock" or name.endswith(".dvc"):
            out.append(p)
    return sorted(out)


class IntegrityAnalyzer(BaseAnalyzer):
    name = "integrity"
    kinds = frozenset({"repo"})
    match_schema: dict[str, Any] = {
        "type": "object", "additionalProperties": False, "required": ["check"],
        "properties": {"check": {"enum": ["hash-mismatch", "listed-missing", "unsigned-model"]}},
    }

    def analyze(self, ctx: AnalysisContext, assets: Sequence[Asset], rules: Sequence[Rule]) -> AnalyzerOutput:
        by_check = {str(r.match.get("check")): r for r in rules}
        root = ctx.root.resolve()
        paths = sorted(ctx.all_paths | {a.path for a in ctx.inventory})
        kinds = {a.path: a.kind for a in ctx.inventory}
        findings: list[RawFinding] = []
        notes: list[str] = []
        entries: list[Entry] = []
        for m in manifests_in(paths):
            f = root / m
            try:
                if not f.is_file() or f.stat().st_size > MAX_MANIFEST:
                    continue
                text = f.read_text("utf-8", "replace")
            except OSError:
                continue
            low = m.lower()
            if low.endswith(("dvc.lock", ".dvc")):
                entries.extend(parse_dvc(m, text))
            elif low.endswith(".sha256"):
                entries.extend(parse_sha256_file(m, text))
            else:
                entries.extend(parse_sums(m, text))
        listed: set[str] = set()
        verified = 0
        dvc_absent: list[str] = []
        for e in entries:
            if e.path:
                listed.add(e.path)
            target = self._target(root, e.path)
            if e.dvc and e.digest.endswith(".dir"):
                notes.append(f"{e.manifest}: DVC directory output '{e.raw_path}' needs the DVC cache; not verified")
                continue
            if target is None:
                if e.dvc:
                    dvc_absent.append(e.raw_path)
                    continue
                self._add(findings, by_check, "listed-missing", e.manifest, e.line,
                          f"{e.manifest} lists '{e.raw_path}', which "
                          + ("escapes the repository" if not e.path else "does not exist"),
                          key=f"missing|{e.raw_path}", kind=kinds.get(e.manifest))
                continue
            actual = _digest(target, e.algo)
            verified += 1
            if actual != e.digest:
                self._add(findings, by_check, "hash-mismatch", e.path, None,
                          f"{e.algo} of {e.path} is {actual[:16]}..., but {e.manifest}"
                          f"{f' line {e.line}' if e.line else ''} records {e.digest[:16]}...: the file was "
                          f"changed or replaced", key=f"{e.manifest}|{e.digest}", kind=kinds.get(e.path),
                          props={"manifest": e.manifest, "expected": e.digest, "actual": actual,
                                 "algorithm": e.algo})
        if dvc_absent:
            notes.append(f"{len(dvc_absent)} DVC output(s) not present in the checkout (run `dvc pull` to "
                         f"verify them): {', '.join(sorted(dvc_absent)[:5])}")
        path_set = set(paths)
        for a in ctx.inventory:
            if a.kind != "model" or a.path in listed:
                continue
            if any(a.path + s in path_set for s in SIG_SUFFIXES):
                continue
            self._add(findings, by_check, "unsigned-model", a.path, None,
                      f"model file {a.path} is covered by no hash manifest, signature or DVC pointer",
                      key="unsigned", kind=a.kind)
        if entries:
            notes.append(f"{verified} manifest entr{'y' if verified == 1 else 'ies'} verified by hash")
        return AnalyzerOutput(findings=findings, files=len(entries), notes=notes)

    @staticmethod
    def _target(root: Path, rel: str) -> Path | None:
        if not rel:
            return None
        p = root / rel
        try:
            resolved = p.resolve(strict=True)
            resolved.relative_to(root)
        except (OSError, RuntimeError, ValueError):
            return None
        return resolved if resolved.is_file() else None

    @staticmethod
    def _add(findings: list[RawFinding], rules: dict[str, Rule], check: str, path: str, line: int | None,
             message: str, key: str, kind: str | None, props: dict[str, Any] | None = None) -> None:
        rule = rules.get(check)
        if rule is None:
            return
        findings.append(RawFinding(rule_id=rule.id, path=path, message=message, start_line=line,
                                   kind=kind, fingerprint_key=key, properties=props or {}))
