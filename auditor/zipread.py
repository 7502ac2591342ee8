"""A bounded, streaming zip reader for model containers (PyTorch zips, npz, Keras v3, pickle zips).

Nothing is extracted to disk and nothing is read whole: members are yielded as chunks of at most
``CHUNK`` bytes, inflated with an output cap, and stopped when the member count, the compression
ratio or the total uncompressed size passes the limits (``zip_max_members``, ``zip_max_ratio``,
``zip_max_uncompressed`` of the config).

How data is located, and why: both torch (miniz's ``mz_zip_reader_*``) and Python's ``zipfile`` take
the member list, compression method and sizes from the **central directory**, and use the local header
only for the length of its name and extra fields to find where the data starts. We read the data the
same way, so we scan exactly the bytes ``torch.load`` would unpickle. The local header is parsed too
and every disagreement with the central directory (name, method, encryption flag, CRC or sizes) is
reported: scanners that trust the local header (or fail on the mismatch, as ``zipfile`` does for a
different name) are the bypass we close. CRC is checked while streaming; a bad CRC makes ``zipfile``
(and so modelscan and picklescan) give up while miniz-based loaders may still load the member, so we
keep scanning the data and report the CRC.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

CHUNK = 1 << 20
MIN_RATIO_BYTES = 1 << 20  # ratios are only judged once this much was inflated

EOCD_SIG = b"PK\x05\x06"
Z64_LOC_SIG = b"PK\x06\x07"
Z64_EOCD_SIG = b"PK\x06\x06"
CD_SIG = b"PK\x01\x02"
LOCAL_SIG = b"PK\x03\x04"


class ZipFormatError(Exception):
    """Not a readable zip (no end of central directory, or a broken central directory)."""


@dataclass(frozen=True)
class ZipLimits:
    max_members: int = 10_000
    max_ratio: float = 200.0
    max_uncompressed: int = 8 * 1024**3


@dataclass(frozen=True)
class ZipProblem:
    kind: str  # header-mismatch | duplicate | limit | crc | unreadable | structure
    member: str | None
    message: str


@dataclass(frozen=True)
class ZipEntry:
    name: str
    method: int
    flags: int
    crc: int
    csize: int
    usize: int
    header_offset: int
    data_offset: int
    local_name: str


def _name(raw: bytes, flags: int) -> str:
    if flags & 0x800:
        return raw.decode("utf-8", "replace")
    return raw.decode("cp437")


@dataclass
class ZipReader:
    path: Path
    limits: ZipLimits = field(default_factory=ZipLimits)
    entries: list[ZipEntry] = field(default_factory=list)
    problems: list[ZipProblem] = field(default_factory=list)
    total_members: int = 0
    _fh: BinaryIO | None = None
    _budget: int = 0

    def __enter__(self) -> ZipReader:
        self._fh = self.path.open("rb")
        self._budget = self.limits.max_uncompressed
        self._index()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    @property
    def fh(self) -> BinaryIO:
        assert self._fh is not None, "use ZipReader as a context manager"
        return self._fh

    def _read_at(self, offset: int, n: int) -> bytes:
        self.fh.seek(offset)
        return self.fh.read(n)

    # -- directory ---------------------------------------------------------------------------
    def _index(self) -> None:
        size = self.fh.seek(0, 2)
        tail_len = min(size, 65535 + 22)
        tail = self._read_at(size - tail_len, tail_len)
        pos = tail.rfind(EOCD_SIG)
        if pos < 0 or len(tail) - pos < 22:
            raise ZipFormatError("no end-of-central-directory record: not a zip, or truncated")
        eocd_pos = size - tail_len + pos
        (_, _disk, _cd_disk, _n_disk, total, cd_size, cd_offset, _clen) = struct.unpack(
            "<4sHHHHIIH", tail[pos:pos + 22])
        if total == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
            loc = self._read_at(eocd_pos - 20, 20) if eocd_pos >= 20 else b""
            if len(loc) == 20 and loc[:4] == Z64_LOC_SIG:
                (z64_off,) = struct.unpack("<Q", loc[8:16])
                rec = self._read_at(z64_off, 56)
                if len(rec) == 56 and rec[:4] == Z64_EOCD_SIG:
                    total, cd_size, cd_offset = struct.unpack("<QQQ", rec[32:56])
                    eocd_pos = z64_off
        base = eocd_pos - cd_size - cd_offset  # bytes prepended before the archive (as zipfile allows)
        if base < 0 or cd_offset + cd_size > size:
            raise ZipFormatError("central directory lies outside the file")
        if base > 0:
            self.problems.append(ZipProblem("structure", None, f"{base} bytes precede the zip archive "
                                                               f"(polyglot or self-extracting file)"))
        self.total_members = total
        if total > self.limits.max_members:
            self.problems.append(ZipProblem(
                "limit", None, f"{total} members exceed zip_max_members={self.limits.max_members}; "
                               f"only the first {self.limits.max_members} were read"))
        self.fh.seek(base + cd_offset)
        cd = self.fh.read(min(cd_size, 64 * 1024**2))
        off = 0
        seen: dict[str, int] = {}
        for _ in range(min(total, self.limits.max_members)):
            if cd[off:off + 4] != CD_SIG or off + 46 > len(cd):
                self.problems.append(ZipProblem("structure", None,
                                                "central directory is shorter than its entry count"))
                break
            (flags, method, crc, csize, usize, nlen, elen, clen, lho) = struct.unpack(
                "<8xHH4xIIIHHH8xI", cd[off:off + 46])
            raw_name = cd[off + 46:off + 46 + nlen]
            extra = cd[off + 46 + nlen:off + 46 + nlen + elen]
            off += 46 + nlen + elen + clen
            usize, csize, lho = _zip64(extra, usize, csize, lho)
            name = _name(raw_name, flags)
            entry = self._local(name, flags, method, crc, csize, usize, base + lho)
            if entry is None:
                continue
            if name in seen:
                self.problems.append(ZipProblem("duplicate", name, f"member name '{name}' appears "
                                                                   f"{seen[name] + 1} times"))
            seen[name] = seen.get(name, 0) + 1
            self.entries.append(entry)
        self._check_overlap(size)

    def _local(self, name: str, flags: int, method: int, crc: int, csize: int, usize: int,
               lho: int) -> ZipEntry | None:
        hdr = self._read_at(lho, 30)
        if len(hdr) < 30 or hdr[:4] != LOCAL_SIG:
            self.problems.append(ZipProblem("unreadable", name, f"no local header at offset {lho}"))
            return None
        (lflags, lmethod, lcrc, lcsize, lusize, lnlen, lelen) = struct.unpack("<6xHH4xIIIHH", hdr)
        lraw = self._read_at(lho + 30, lnlen)
        lname = _name(lraw, lflags)
        diffs = []
        if lname != name:
            diffs.append(f"name '{lname}' in the local header")
        if lmethod != method:
            diffs.append(f"compression method {lmethod} locally vs {method} in the directory")
        if (lflags ^ flags) & 0x1:
            diffs.append("encryption flag differs")
        if not (lflags & 0x8):
            if lcrc != crc and lcrc != 0:
                diffs.append(f"CRC {lcrc:08x} locally vs {crc:08x}")
            if lcsize not in (csize, 0xFFFFFFFF) or lusize not in (usize, 0xFFFFFFFF):
                diffs.append(f"sizes {lcsize}/{lusize} locally vs {csize}/{usize}")
        if diffs:
            self.problems.append(ZipProblem(
                "header-mismatch", name,
                f"local header disagrees with the central directory: {'; '.join(diffs)} (read as the "
                f"central directory says, as torch and zipfile do)"))
        return ZipEntry(name, method, flags, crc, csize, usize, lho, lho + 30 + lnlen + lelen, lname)

    def _check_overlap(self, size: int) -> None:
        spans = sorted((e.header_offset, e.data_offset + e.csize, e.name) for e in self.entries)
        for (s1, e1, n1), (s2, _e2, n2) in zip(spans, spans[1:], strict=False):
            if s2 < e1 and s1 != s2:
                self.problems.append(ZipProblem("structure", n2, f"member '{n2}' overlaps '{n1}' "
                                                                 f"(overlapping-member zip bomb)"))
                break
        for e in self.entries:
            if e.data_offset + e.csize > size:
                self.problems.append(ZipProblem("unreadable", e.name, "member data runs past the end "
                                                                      "of the file (truncated zip)"))

    # -- data --------------------------------------------------------------------------------
    def readable(self, entry: ZipEntry) -> str | None:
        """Why ``entry`` cannot be read, or None."""
        if entry.flags & 0x1:
            return "encrypted member"
        if entry.method not in (0, 8):
            return f"compression method {entry.method} is not supported (torch reads stored/deflate only)"
        return None

    def iter_member(self, entry: ZipEntry, max_bytes: int | None = None) -> Iterator[bytes]:
        """Yield the member's uncompressed bytes in chunks; checks CRC and limits on the way.
        ``max_bytes`` stops early (no CRC check then)."""
        why = self.readable(entry)
        if why is not None:
            self.problems.append(ZipProblem("unreadable", entry.name, why))
            return
        left = entry.csize
        pos = entry.data_offset
        crc = 0
        produced = 0
        inflater = zlib.decompressobj(-15) if entry.method == 8 else None
        stopped = False
        while not stopped:
            if inflater is not None and inflater.unconsumed_tail:
                raw = inflater.unconsumed_tail
            elif left > 0:
                raw = self._read_at(pos, min(CHUNK, left))
                if not raw:
                    self.problems.append(ZipProblem("unreadable", entry.name, "member data truncated"))
                    return
                pos += len(raw)
                left -= len(raw)
            elif inflater is not None and not inflater.eof:
                raw = b""
            else:
                break
            if inflater is not None:
                try:
                    out = inflater.decompress(raw, CHUNK)
                except zlib.error as exc:
                    self.problems.append(ZipProblem("unreadable", entry.name, f"deflate error: {exc}"))
                    return
                if not out and not raw:
                    break
            else:
                out = raw
            if not out:
                continue
            produced += len(out)
            if produced > self._budget:
                self.problems.append(ZipProblem(
                    "limit", entry.name, f"total uncompressed size passes zip_max_uncompressed="
                                         f"{self.limits.max_uncompressed}; the rest was not read"))
                self._budget = -1
                return
            consumed = entry.csize - left
            if produced > MIN_RATIO_BYTES and produced > self.limits.max_ratio * max(consumed, 1):
                self.problems.append(ZipProblem(
                    "limit", entry.name, f"compression ratio above zip_max_ratio={self.limits.max_ratio} "
                                         f"(zip bomb?); the rest of the member was not read"))
                return
            crc = zlib.crc32(out, crc)
            if max_bytes is not None and produced >= max_bytes:
                stopped = True
            yield out
        self._budget -= produced
        if stopped:
            return
        if inflater is not None and not inflater.eof:
            self.problems.append(ZipProblem("unreadable", entry.name, "deflate stream is truncated"))
        if produced != entry.usize:
            self.problems.append(ZipProblem("crc", entry.name, f"size {produced} differs from the "
                                                               f"declared {entry.usize}"))
        elif crc != entry.crc:
            self.problems.append(ZipProblem("crc", entry.name, f"CRC-32 {crc:08x} differs from the "
                                                               f"declared {entry.crc:08x}"))

    def read_small(self, entry: ZipEntry, cap: int) -> bytes | None:
        """The whole member when it is at most ``cap`` bytes uncompressed, else None."""
        if entry.usize > cap:
            return None
        parts = []
        n = 0
        for chunk in self.iter_member(entry, cap + 1):
            parts.append(chunk)
            n += len(chunk)
            if n > cap:
                return None
        return b"".join(parts)


def _zip64(extra: bytes, usize: int, csize: int, lho: int) -> tuple[int, int, int]:
    i = 0
    while i + 4 <= len(extra):
        tag, ln = struct.unpack("<HH", extra[i:i + 4])
        body = extra[i + 4:i + 4 + ln]
        if tag == 1:
            j = 0
            vals = []
            while j + 8 <= len(body):
                vals.append(struct.unpack("<Q", body[j:j + 8])[0])
                j += 8
            it = iter(vals)
            if usize == 0xFFFFFFFF:
                usize = next(it, usize)
            if csize == 0xFFFFFFFF:
                csize = next(it, csize)
            if lho == 0xFFFFFFFF:
                lho = next(it, lho)
            break
        i += 4 + ln
    return usize, csize, lho


def limits_from(config: Mapping[str, Any] | None) -> ZipLimits:
    """Zip limits from a validated configuration mapping (``limits:`` section)."""
    from auditor.config import DEFAULT_LIMITS, parse_size

    lim: dict[str, Any] = dict(DEFAULT_LIMITS)
    lim.update((config or {}).get("limits") or {})
    return ZipLimits(max_members=int(lim["zip_max_members"]), max_ratio=float(lim["zip_max_ratio"]),
                     max_uncompressed=parse_size(lim["zip_max_uncompressed"]))
