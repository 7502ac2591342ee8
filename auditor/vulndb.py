"""A local OSV database for offline audits, and its download cache.

The database is a directory or a zip of OSV records (JSON or YAML): the pypa advisory-database layout
(``vulns/<package>/<id>.yaml``) or OSV's flat per-ecosystem archive (``<id>.json``). The index from
PEP 503-normalised package name to record locations is built lazily on the first query (from the folder
names when records sit in per-package folders, else from a text scan for ``name`` fields, or from the
sidecar index ``auditor vulndb update`` writes), and only the records of queried packages are parsed.

Matching follows the OSV schema: ``withdrawn`` records are skipped; a version is affected when it is
listed in ``versions`` or falls in an ECOSYSTEM range (events ``introduced``/``fixed``/``last_affected``
evaluated in version order, ``limit`` as an exclusive upper bound); records that are aliases of each
other (PYSEC + GHSA + CVE) are merged into one advisory.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from auditor import cvss, yamlio

DEFAULT_URL = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
ARCHIVE_NAME = "PyPI-all.zip"
INDEX_SUFFIX = ".index.json"
META_SUFFIX = ".meta.json"
MAX_RECORD_BYTES = 4 * 1024 * 1024
MAX_MEMBERS = 1_000_000
MAX_DOWNLOAD_BYTES = 2 * 1024**3
# the severity of an advisory whose record has no CVSS v3 vector and no database severity
DEFAULT_SEVERITY = "high"
_RECORD_EXT = (".json", ".yaml", ".yml")
_NAME_RE = re.compile(rb"""["']?name["']?\s*:\s*["']?([A-Za-z0-9][A-Za-z0-9._-]*)""")
_GH_SEVERITY = {"CRITICAL": "critical", "HIGH": "high", "MODERATE": "medium", "MEDIUM": "medium", "LOW": "low"}


class VulnDbError(Exception):
    """The database cannot be read (missing, not a directory or zip, corrupt)."""


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    summary: str
    fixed: tuple[str, ...]
    severity: str  # ours: critical | high | medium | low | info
    severity_source: str  # "cvss-v3" | "database" | "default"
    cvss_vector: str | None = None
    cvss_score: float | None = None
    published: str | None = None
    references: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "aliases": list(self.aliases), "summary": self.summary, "fixed": list(self.fixed),
            "severity": self.severity, "severity_source": self.severity_source, "cvss_vector": self.cvss_vector,
            "cvss_score": self.cvss_score, "published": self.published, "references": list(self.references),
        }


def normalize(name: str) -> str:
    return str(canonicalize_name(name))


def _version(text: Any) -> Version | None:
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


# --- version matching ------------------------------------------------------------------------------

def _event_key(event: Mapping[str, Any]) -> tuple[int, Version]:
    for kind in ("introduced", "fixed", "last_affected", "limit"):
        if kind in event:
            value = str(event[kind])
            if kind == "introduced" and value == "0":
                return (0, Version("0"))
            v = _version(value)
            return (1, v if v is not None else Version("0"))
    return (2, Version("0"))


def in_range(version: Version, events: Sequence[Mapping[str, Any]]) -> bool:
    """OSV ECOSYSTEM range semantics (schema, "evaluation" section)."""
    affected = False
    limits = [v for e in events if "limit" in e for v in [_version(e["limit"])] if v is not None]
    ordered = sorted((e for e in events if isinstance(e, Mapping)), key=_event_key)
    for event in ordered:
        if "introduced" in event:
            intro = str(event["introduced"])
            iv = Version("0") if intro == "0" else _version(intro)
            if iv is not None and version >= iv:
                affected = True
        elif "fixed" in event:
            fv = _version(event["fixed"])
            if fv is not None and version >= fv:
                affected = False
        elif "last_affected" in event:
            lv = _version(event["last_affected"])
            if lv is not None and version > lv:
                affected = False
    if affected and limits and not any(version < lim for lim in limits):
        return False
    return affected


def _pypi_affected(record: Mapping[str, Any], package: str) -> list[Mapping[str, Any]]:
    out = []
    for aff in record.get("affected", []) or []:
        if not isinstance(aff, Mapping):
            continue
        pkg = aff.get("package") or {}
        if not isinstance(pkg, Mapping):
            continue
        eco = str(pkg.get("ecosystem", ""))
        if eco.split(":", 1)[0] != "PyPI":
            continue
        if normalize(str(pkg.get("name", ""))) == package:
            out.append(aff)
    return out


def affects(record: Mapping[str, Any], package: str, version: str) -> bool:
    """Does this OSV record affect ``package`` (normalised) at ``version``? Withdrawn records never do."""
    if record.get("withdrawn"):
        return False
    parsed = _version(version)
    for aff in _pypi_affected(record, package):
        listed = [str(v) for v in aff.get("versions", []) or []]
        if version in listed:
            return True
        if parsed is not None and any(_version(v) == parsed for v in listed):
            return True
        if parsed is None:
            continue
        for rng in aff.get("ranges", []) or []:
            if isinstance(rng, Mapping) and rng.get("type") in ("ECOSYSTEM", "SEMVER"):
                if in_range(parsed, rng.get("events", []) or []):
                    return True
    return False


def fixed_versions(record: Mapping[str, Any], package: str) -> list[str]:
    out: set[str] = set()
    for aff in _pypi_affected(record, package):
        for rng in aff.get("ranges", []) or []:
            if isinstance(rng, Mapping) and rng.get("type") in ("ECOSYSTEM", "SEMVER"):
                for e in rng.get("events", []) or []:
                    if isinstance(e, Mapping) and "fixed" in e:
                        out.add(str(e["fixed"]))
    return sorted(out, key=lambda v: (_version(v) or Version("0"), v))


def _severity(record: Mapping[str, Any]) -> tuple[str, str, str | None, float | None]:
    vectors: list[str] = []
    for sev in list(record.get("severity", []) or []) + [
        s for aff in record.get("affected", []) or [] if isinstance(aff, Mapping)
        for s in aff.get("severity", []) or []
    ]:
        if isinstance(sev, Mapping) and str(sev.get("type", "")).startswith("CVSS_V3"):
            vectors.append(str(sev.get("score", "")))
    best: tuple[float, str] | None = None
    for vec in vectors:
        score = cvss.base_score(vec)
        if score is not None and (best is None or score > best[0]):
            best = (score, vec)
    if best is not None:
        return cvss.severity_of(best[0]), "cvss-v3", best[1], best[0]
    db = record.get("database_specific")
    if isinstance(db, Mapping) and str(db.get("severity", "")).upper() in _GH_SEVERITY:
        return _GH_SEVERITY[str(db["severity"]).upper()], "database", None, None
    return DEFAULT_SEVERITY, "default", None, None


def _preferred(ids: Iterable[str]) -> str:
    def key(i: str) -> tuple[int, str]:
        for n, prefix in enumerate(("PYSEC-", "GHSA-", "OSV-", "CVE-")):
            if i.startswith(prefix):
                return (n, i)
        return (9, i)
    return sorted(ids, key=key)[0]


_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}


def merge_records(records: Sequence[Mapping[str, Any]], package: str) -> list[Advisory]:
    """One advisory per vulnerability: records sharing an id or alias are merged (union-find)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for rec in records:
        ids = [str(rec.get("id"))] + [str(a) for a in rec.get("aliases", []) or []]
        for other in ids[1:]:
            parent[find(other)] = find(ids[0])
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for rec in records:
        groups.setdefault(find(str(rec.get("id"))), []).append(rec)
    out: list[Advisory] = []
    for recs in groups.values():
        all_ids = {str(r.get("id")) for r in recs} | {str(a) for r in recs for a in r.get("aliases", []) or []}
        main = _preferred(str(r.get("id")) for r in recs)
        fixed: set[str] = set()
        sev: tuple[str, str, str | None, float | None] | None = None
        refs: list[str] = []
        for r in sorted(recs, key=lambda r: str(r.get("id"))):
            fixed.update(fixed_versions(r, package))
            s = _severity(r)
            order = {"cvss-v3": 2, "database": 1, "default": 0}
            if sev is None or (order[s[1]], _RANK[s[0]]) > (order[sev[1]], _RANK[sev[0]]):
                sev = s
            for ref in r.get("references", []) or []:
                if isinstance(ref, Mapping) and ref.get("type") == "ADVISORY" and ref.get("url"):
                    refs.append(str(ref["url"]))
        assert sev is not None
        summary = ""
        for r in sorted(recs, key=lambda r: str(r.get("id")) != main):
            summary = str(r.get("summary") or r.get("details") or "").strip()
            if summary:
                break
        published = min((str(r["published"]) for r in recs if r.get("published")), default=None)
        out.append(Advisory(
            id=main, aliases=tuple(sorted(all_ids - {main})), summary=" ".join(summary.split())[:400],
            fixed=tuple(sorted(fixed, key=lambda v: (_version(v) or Version("0"), v))), severity=sev[0],
            severity_source=sev[1], cvss_vector=sev[2], cvss_score=sev[3], published=published,
            references=tuple(sorted(set(refs)))[:5],
        ))
    return sorted(out, key=lambda a: a.id)


# --- the database --------------------------------------------------------------------------------

def _parse_record(raw: bytes, name: str) -> Mapping[str, Any] | None:
    try:
        if name.endswith(".json"):
            doc = json.loads(raw.decode("utf-8", "replace"))
        else:
            doc = yamlio.load(raw)
    except Exception:  # noqa: BLE001 - a broken record is skipped, counted in notes
        return None
    return doc if isinstance(doc, Mapping) and doc.get("id") else None


class LocalOsvDb:
    """An OSV database in a directory or a zip file; queried by package name and version."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise VulnDbError(f"{self.path}: vulnerability database not found "
                              f"(run 'auditor vulndb update' or pass --vuln-db DIR|ZIP)")
        self._zip = zipfile.is_zipfile(self.path) if self.path.is_file() else False
        if self.path.is_file() and not self._zip:
            raise VulnDbError(f"{self.path}: not a directory or a zip of OSV records")
        self._index: dict[str, list[str]] | None = None
        self._records: dict[str, list[Mapping[str, Any]]] = {}
        self.bad_records = 0

    # index
    def _members(self) -> list[str]:
        if self._zip:
            with zipfile.ZipFile(self.path) as zf:
                infos = zf.infolist()
                if len(infos) > MAX_MEMBERS:
                    raise VulnDbError(f"{self.path}: more than {MAX_MEMBERS} members")
                return [i.filename for i in infos if not i.is_dir() and i.filename.endswith(_RECORD_EXT)]
        out = []
        for dirpath, dirnames, filenames in os.walk(self.path):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for f in sorted(filenames):
                if f.endswith(_RECORD_EXT):
                    out.append(Path(dirpath, f).relative_to(self.path).as_posix())
        return out

    def _read(self, member: str, zf: zipfile.ZipFile | None = None) -> bytes | None:
        if zf is not None:
            info = zf.getinfo(member)
            if info.file_size > MAX_RECORD_BYTES:
                return None
            with zf.open(info) as fh:
                return fh.read(MAX_RECORD_BYTES + 1)[:MAX_RECORD_BYTES]
        p = self.path / member
        try:
            if p.stat().st_size > MAX_RECORD_BYTES:
                return None
            return p.read_bytes()
        except OSError:
            return None

    def _build_index(self) -> dict[str, list[str]]:
        sidecar = Path(str(self.path) + INDEX_SUFFIX)
        if self._zip and sidecar.is_file():
            try:
                loaded = json.loads(sidecar.read_text())
                if isinstance(loaded, dict) and loaded.get("source_size") == self.path.stat().st_size:
                    return {str(k): list(v) for k, v in loaded["index"].items()}
            except (OSError, ValueError, KeyError):
                pass
        members = self._members()
        index: dict[str, list[str]] = {}
        flat: list[str] = []
        for m in members:
            parts = m.split("/")
            if parts and parts[0] == "vulns":
                parts = parts[1:]
            if len(parts) >= 2:
                index.setdefault(normalize(parts[0]), []).append(m)
            else:
                flat.append(m)
        if flat:
            zf = zipfile.ZipFile(self.path) if self._zip else None
            try:
                for m in flat:
                    raw = self._read(m, zf)
                    if raw is None:
                        continue
                    for name in {normalize(n.decode("ascii", "replace")) for n in _NAME_RE.findall(raw)}:
                        index.setdefault(name, []).append(m)
            finally:
                if zf is not None:
                    zf.close()
        return index

    def index(self) -> dict[str, list[str]]:
        if self._index is None:
            self._index = self._build_index()
        return self._index

    def record_count(self) -> int:
        return len(self._members())

    def records_for(self, package: str) -> list[Mapping[str, Any]]:
        package = normalize(package)
        if package in self._records:
            return self._records[package]
        members = self.index().get(package, [])
        out: list[Mapping[str, Any]] = []
        zf = zipfile.ZipFile(self.path) if self._zip else None
        try:
            for m in members:
                raw = self._read(m, zf)
                rec = _parse_record(raw, m) if raw is not None else None
                if rec is None:
                    self.bad_records += 1
                    continue
                if _pypi_affected(rec, package):
                    out.append(rec)
        finally:
            if zf is not None:
                zf.close()
        self._records[package] = out
        return out

    def query(self, package: str, version: str) -> list[Advisory]:
        package = normalize(package)
        hits = [r for r in self.records_for(package) if affects(r, package, version)]
        return merge_records(hits, package)


# --- download cache ------------------------------------------------------------------------------

def cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("auditor", appauthor=False)) / "vulndb"


def default_archive() -> Path:
    return cache_dir() / ARCHIVE_NAME


@dataclass(frozen=True)
class DbStatus:
    path: Path
    exists: bool
    records: int = 0
    age_seconds: float | None = None
    url: str | None = None
    downloaded_at: str | None = None
    sha256: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def _atomic_write(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def update(url: str = DEFAULT_URL, dest: Path | None = None, timeout: float = 60.0) -> DbStatus:
    """Download the OSV archive to ``dest`` (a directory; default the user cache), atomically: the old
    database stays in place until the new one is complete and readable."""
    import urllib.error
    import urllib.request  # only here: a scan never downloads, so it never pays for http/ssl

    folder = Path(dest) if dest is not None else cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / ARCHIVE_NAME
    from auditor import fsio  # the archive and its sidecars are never written through a link or FIFO

    for p in (target, Path(str(target) + INDEX_SUFFIX), Path(str(target) + META_SUFFIX)):
        fsio.check_destination(p)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{ARCHIVE_NAME}.", suffix=".part", dir=folder)
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            req = urllib.request.Request(url, headers={"User-Agent": "aiml-auditor vulndb"})
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - URL chosen by the user
                total = 0
                while True:
                    chunk = resp.read(1 << 20)
                    if not chunk:
                        break
                    total += len(chunk)
                    if total > MAX_DOWNLOAD_BYTES:
                        raise VulnDbError(f"{url}: download larger than {MAX_DOWNLOAD_BYTES} bytes: refused")
                    digest.update(chunk)
                    out.write(chunk)
        if not zipfile.is_zipfile(tmp):
            raise VulnDbError(f"{url}: the download is not a zip archive")
        db = LocalOsvDb(tmp)
        index = db._build_index()
        records = db.record_count()
        if records == 0:
            raise VulnDbError(f"{url}: the archive holds no OSV records (.json/.yaml)")
        size = tmp.stat().st_size
        _atomic_write(Path(str(target) + INDEX_SUFFIX),
                      json.dumps({"source_size": size, "index": index}, sort_keys=True).encode())
        os.replace(tmp, target)
    except (urllib.error.URLError, OSError, zipfile.BadZipFile) as exc:
        tmp.unlink(missing_ok=True)
        raise VulnDbError(f"{url}: download failed: {getattr(exc, 'reason', exc)}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    meta = {"url": url, "downloaded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "records": records, "sha256": digest.hexdigest(), "size": size}
    _atomic_write(Path(str(target) + META_SUFFIX), json.dumps(meta, indent=2, sort_keys=True).encode())
    return status(target)


def status(path: Path | None = None) -> DbStatus:
    target = Path(path) if path is not None else default_archive()
    if target.is_dir() and (target / ARCHIVE_NAME).is_file():
        target = target / ARCHIVE_NAME
    if not target.exists():
        return DbStatus(path=target, exists=False)
    meta: dict[str, Any] = {}
    meta_path = Path(str(target) + META_SUFFIX)
    if meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            meta = {}
    try:
        records = int(meta["records"]) if "records" in meta else LocalOsvDb(target).record_count()
    except VulnDbError:
        records = 0
    age = time.time() - target.stat().st_mtime
    return DbStatus(path=target, exists=True, records=records, age_seconds=age, url=meta.get("url"),
                    downloaded_at=meta.get("downloaded_at"), sha256=meta.get("sha256"))
