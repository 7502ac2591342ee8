"""Our own pickle scanner: opcodes only, never a load.

Every pickle the inventory found (by content: a pickle named ``.bin``, ``.txt`` or with no extension
is still a pickle), every pickle member of a zip container (PyTorch ``archive/data.pkl``, pickle zips,
``.npy`` members of an npz with object dtype), and the pickle part of ``.npy`` object arrays. Zip
containers are read with :mod:`auditor.zipread`: member by member, bounded, CRC-checked, local and
central headers compared. See :mod:`auditor.pickle_policy` for the allowlist and denylist.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor import npyhead, pickleops
from auditor.analyzers.interface import AnalysisContext, AnalyzerOutput, BaseAnalyzer
from auditor.model import Asset, RawFinding, Rule
from auditor.pickle_policy import DANGEROUS, SAFE
from auditor.zipread import ZipEntry, ZipFormatError, ZipReader, limits_from

CHECKS = ("dangerous-global", "unexpected-global", "invoked-global", "malformed", "zip-structure",
          "zip-limit", "zip-crc", "zip-duplicate", "zip-unreadable")
ZIP_FORMATS = frozenset({"pytorch-zip", "pickle-zip", "npz", "keras-v3", "zip"})
PICKLE_NAMES = (".pkl", ".pickle", ".joblib", ".dill", ".pt", ".pth", ".bin", ".ckpt", ".sav", ".dat",
                ".data")
_ZIP_KIND_TO_CHECK = {"header-mismatch": "zip-structure", "structure": "zip-structure", "limit": "zip-limit",
                      "crc": "zip-crc", "duplicate": "zip-duplicate", "unreadable": "zip-unreadable"}


@dataclass
class _Collector:
    rules: dict[str, Rule]
    asset: Asset
    findings: list[RawFinding] = field(default_factory=list)
    verified: bool = True

    def add(self, check: str, message: str, *, member: str | None = None, key: str | None = None,
            snippet: str | None = None, props: dict[str, Any] | None = None) -> None:
        rule = self.rules.get(check)
        if rule is None:
            return
        where = f"{member}: " if member else ""
        properties = dict(props or {})
        if member:
            properties["member"] = member
        self.findings.append(RawFinding(
            rule_id=rule.id, path=self.asset.path, message=where + message, snippet=snippet,
            kind=self.asset.kind, fingerprint_key=f"{member or ''}|{key or message}", properties=properties))


def report_pickle(col: _Collector, rep: pickleops.ScanReport, member: str | None,
                  must_parse: bool = True) -> None:
    """Turn one opcode scan into findings."""
    for use in rep.globals.values():
        if use.verdict.level == SAFE:
            continue
        dotted = f"{use.module}.{use.name}"
        called = f", called via {use.invoked_by}" if use.invoked_by else " (imported, not called)"
        props = {"module": use.module, "name": use.name, "offset": use.offset, "opcode": use.opcode,
                 "stream": use.stream, "invoked_by": use.invoked_by}
        if use.verdict.level == DANGEROUS:
            check = "dangerous-global"
        else:
            check = "invoked-global" if use.invoked_by else "unexpected-global"
        col.add(check, f"pickle imports {dotted} at offset {use.offset} (stream {use.stream}){called}: "
                       f"{use.verdict.reason}", member=member, key=dotted, snippet=dotted, props=props)
    for offset, what in rep.unresolved:
        col.add("dangerous-global", f"STACK_GLOBAL at offset {offset} imports a name the scanner could not "
                                    f"determine ({what}); a load may import anything",
                member=member, key=f"unresolved@{offset}", snippet="STACK_GLOBAL ?",
                props={"offset": offset})
    for ext in sorted(set(rep.extensions)):
        col.add("unexpected-global", f"EXT opcode references copyreg extension code {ext}: the object "
                                     f"it names depends on the loading process",
                member=member, key=f"ext{ext}", snippet=f"EXT {ext}")
    if rep.errors and must_parse:
        offset, msg = rep.errors[0]
        col.verified = False
        col.add("malformed", f"malformed or truncated pickle after {rep.streams} complete stream(s): {msg}; "
                             f"the bytes from offset {offset} on were not verified",
                member=member, key="malformed", props={"offset": offset, "streams": rep.streams})


def _peek(chunks: Iterator[bytes], n: int) -> tuple[bytes, Iterator[bytes]]:
    got: list[bytes] = []
    size = 0
    for c in chunks:
        got.append(c)
        size += len(c)
        if size >= n:
            break
    head = b"".join(got)
    return head[:n], itertools.chain([head] if head else [], chunks)


def _is_storage(name: str) -> bool:
    parts = name.split("/")
    return (len(parts) >= 2 and parts[-2] == "data" and parts[-1].isdigit()) or "/.data/" in f"/{name}"


def _scan_npy_stream(col: _Collector, chunks: Iterator[bytes], member: str | None) -> None:
    head, chunks = _peek(chunks, npyhead.MAX_HEADER + 16)
    try:
        hdr = npyhead.parse(head)
    except npyhead.NpyError as exc:
        col.add("malformed", f".npy header is invalid: {exc}", member=member, key="npy-header")
        col.verified = False
        return
    if not hdr.has_object:
        for _ in chunks:  # drain: CRC check of zip members
            pass
        return
    rest = _skip(chunks, hdr.data_offset)
    rep = pickleops.scan_chunks(rest)
    report_pickle(col, rep, member)


def _skip(chunks: Iterator[bytes], n: int) -> Iterator[bytes]:
    for c in chunks:
        if n >= len(c):
            n -= len(c)
            continue
        yield c[n:]
        n = 0
        break
    yield from chunks


class PickleAnalyzer(BaseAnalyzer):
    name = "pickle"
    kinds = frozenset({"model", "data"})
    match_schema: dict[str, Any] = {
        "type": "object", "additionalProperties": False, "required": ["check"],
        "properties": {"check": {"enum": list(CHECKS)}},
    }

    def analyze(self, ctx: AnalysisContext, assets: Sequence[Asset], rules: Sequence[Rule]) -> AnalyzerOutput:
        by_check = {str(r.match.get("check")): r for r in rules}
        limits = limits_from(dict(ctx.config))
        findings: list[RawFinding] = []
        files = 0
        streams = 0
        notes: list[str] = []
        for asset in assets:
            col = _Collector(by_check, asset)
            fmt = asset.format
            if fmt == "pickle":
                rep = pickleops.scan_chunks(pickleops.file_chunks(str(asset.abspath)))
                report_pickle(col, rep, None)
                streams += rep.streams
                if rep.legacy_torch:
                    notes.append(f"{asset.path}: legacy torch file, {rep.streams} pickle streams and "
                                 f"{rep.trailing} bytes of storages")
            elif fmt == "npy":
                _scan_npy_stream(col, pickleops.file_chunks(str(asset.abspath)), None)
            elif fmt in ZIP_FORMATS:
                self._scan_zip(col, asset, limits)
            else:
                continue
            files += 1
            findings.extend(col.findings)
        if streams:
            notes.append(f"{streams} pickle stream(s) read by opcode, none loaded")
        return AnalyzerOutput(findings=findings, files=files, notes=notes)

    def _scan_zip(self, col: _Collector, asset: Asset, limits: Any) -> None:
        try:
            with ZipReader(asset.abspath, limits) as zr:
                for entry in zr.entries:
                    self._scan_member(col, zr, entry, asset.format or "zip")
                problems = list(zr.problems)
        except ZipFormatError as exc:
            col.add("zip-unreadable", f"zip container cannot be read: {exc}; its members were not verified",
                    key="zip-format")
            return
        seen: set[tuple[str, str | None, str]] = set()
        for p in problems:
            key = (p.kind, p.member, p.message)
            if key in seen:
                continue
            seen.add(key)
            col.add(_ZIP_KIND_TO_CHECK.get(p.kind, "zip-unreadable"), p.message, member=p.member,
                    key=f"{p.kind}:{p.message[:80]}")

    def _scan_member(self, col: _Collector, zr: ZipReader, entry: ZipEntry, fmt: str) -> None:
        name = entry.name
        low = name.lower()
        if name.endswith("/"):
            return
        if zr.readable(entry) is not None:
            list(zr.iter_member(entry))  # records the problem
            return
        chunks = zr.iter_member(entry)
        if fmt == "pytorch-zip" and _is_storage(name):
            for _ in chunks:
                pass
            return
        head, chunks = _peek(chunks, 8)
        if low.endswith(".npy") or head.startswith(npyhead.MAGIC):
            _scan_npy_stream(col, chunks, name)
            return
        if head.startswith(b"PK\x03\x04"):
            col.add("zip-unreadable", "nested zip archive: its members were not scanned (loaders that "
                                      "open nested archives would read unverified data)",
                    member=name, key="nested")
            for _ in chunks:
                pass
            return
        named = low.endswith(PICKLE_NAMES)
        sniffed = pickleops_looks_like(head)
        if named or sniffed:
            rep = pickleops.scan_chunks(chunks)
            report_pickle(col, rep, name, must_parse=named or head[:1] == b"\x80")
        for _ in chunks:
            pass


def pickleops_looks_like(head: bytes) -> bool:
    from auditor.discover.sniff import looks_like_pickle

    return looks_like_pickle(head, strict=True) is not None
