"""The content cache: analyzer results per file, keyed by what determines them.

Key = sha256(file content) + analyzer name and version + digest of the rules it ran + the relevant
configuration. Entries are JSON (never pickle: a cache directory is no place to load code from),
written atomically (temp file + rename), so concurrent runs at worst compute the same entry twice.
The cache lives outside the target (user cache dir, or ``--cache-dir``) and is pruned to a size
bound, oldest first. File hashes are memoised by (path, size, mtime, inode) so a warm run reads only
the files that changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from auditor.model import Asset, RawFinding

FORMAT = "v1"
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
CHUNK = 4 * 1024 * 1024


def default_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("auditor", appauthor=False))


def stable_digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def finding_from(d: Mapping[str, Any]) -> RawFinding:
    return RawFinding(**{k: v for k, v in d.items() if k in RawFinding.__dataclass_fields__})


class ResultCache:
    def __init__(self, directory: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.dir = directory / FORMAT
        self.max_bytes = max_bytes
        self._memo_path = self.dir / "hashes.json"
        self._memo: dict[str, list[Any]] = {}
        self._memo_dirty = False
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            loaded = json.loads(self._memo_path.read_text()) if self._memo_path.is_file() else {}
            self._memo = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            self._memo = {}

    # -- file content digests -------------------------------------------------------------
    def file_digest(self, asset: Asset) -> str:
        try:
            st = asset.abspath.stat()
        except OSError:
            return "unreadable"
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino]
        key = str(asset.abspath)
        with self._lock:
            known = self._memo.get(key)
        if known and known[:3] == stamp:
            return str(known[3])
        h = hashlib.sha256()
        try:
            with asset.abspath.open("rb") as fh:
                while chunk := fh.read(CHUNK):
                    h.update(chunk)
        except OSError:
            return "unreadable"
        digest = h.hexdigest()
        with self._lock:
            self._memo[key] = [*stamp, digest]
            self._memo_dirty = True
        return digest

    # -- entries ----------------------------------------------------------------------------
    def _path(self, analyzer: str, key: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in analyzer)
        return self.dir / safe / key[:2] / f"{key}.json"

    def get(self, analyzer: str, key: str) -> dict[str, Any] | None:
        p = self._path(analyzer, key)
        try:
            doc = json.loads(p.read_text("utf-8"))
        except (OSError, ValueError):
            self.misses += 1
            return None
        if not isinstance(doc, dict) or doc.get("key") != key:
            self.misses += 1
            return None
        self.hits += 1
        try:
            os.utime(p)  # recently used entries survive pruning
        except OSError:
            pass
        return doc

    def get_findings(self, analyzer: str, key: str) -> list[RawFinding] | None:
        doc = self.get(analyzer, key)
        if doc is None:
            return None
        try:
            return [finding_from(d) for d in doc.get("findings", [])]
        except TypeError:
            return None

    def put(self, analyzer: str, key: str, findings: Sequence[RawFinding], extra: Mapping[str, Any] | None = None) -> None:
        doc = {"key": key, "findings": [asdict(f) for f in findings], **(extra or {})}
        try:
            data = json.dumps(doc, default=_refuse).encode()
        except (TypeError, ValueError):
            return  # properties that are not plain data are not cached
        p = self._path(analyzer, key)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, p)
        except OSError:
            return

    def close(self) -> None:
        if self._memo_dirty:
            try:
                fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-")
                with os.fdopen(fd, "w") as fh:
                    json.dump(self._memo, fh)
                os.replace(tmp, self._memo_path)
            except OSError:
                pass
        self.prune()

    def prune(self) -> None:
        entries: list[tuple[float, int, Path]] = []
        total = 0
        for root, _dirs, files in os.walk(self.dir):
            for name in files:
                p = Path(root) / name
                try:
                    st = p.stat()
                except OSError:
                    continue
                total += st.st_size
                entries.append((st.st_mtime, st.st_size, p))
        if total <= self.max_bytes:
            return
        for _mtime, size, p in sorted(entries):
            if p == self._memo_path:
                continue
            try:
                p.unlink()
            except OSError:
                continue
            total -= size
            if total <= self.max_bytes * 0.8:
                break


def _refuse(obj: Any) -> Any:
    raise TypeError(f"not cacheable: {type(obj).__name__}")


def group_by_path(findings: Iterable[RawFinding]) -> dict[str, list[RawFinding]]:
    out: dict[str, list[RawFinding]] = {}
    for f in findings:
        out.setdefault(f.path, []).append(f)
    return out
