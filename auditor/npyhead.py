"""The header of a NumPy ``.npy`` array, read with bounds (never ``np.load``).

An array whose dtype holds Python objects (``O``) stores its data as a pickle right after the header:
``np.load(allow_pickle=True)`` unpickles it. ``parse`` says where that pickle starts.
"""

from __future__ import annotations

import ast
import struct
from dataclasses import dataclass
from typing import Any

MAGIC = b"\x93NUMPY"
MAX_HEADER = 65536  # numpy itself refuses headers above 10000 bytes by default
MAX_ELEMENTS = 1 << 48

_ITEMSIZE = {"b": 1, "B": 1, "?": 1, "h": 2, "H": 2, "i": 4, "I": 4, "l": 8, "L": 8, "q": 8, "Q": 8,
             "e": 2, "f": 4, "d": 8, "g": 16, "F": 8, "D": 16, "G": 32, "M": 8, "m": 8}


class NpyError(Exception):
    pass


@dataclass(frozen=True)
class NpyHeader:
    version: tuple[int, int]
    descr: Any
    fortran_order: bool
    shape: tuple[int, ...]
    data_offset: int
    has_object: bool
    data_bytes: int | None  # expected size of the raw data (None for object arrays)


def _has_object(descr: Any) -> bool:
    if isinstance(descr, str):
        return descr.lstrip("<>|=").startswith("O")
    if isinstance(descr, list):
        for field in descr:
            if isinstance(field, (tuple, list)) and len(field) >= 2 and _has_object(field[1]):
                return True
        return False
    return True  # anything else is not a dtype numpy writes: treat as unsafe


def _itemsize(descr: Any) -> int | None:
    if isinstance(descr, str):
        code = descr.lstrip("<>|=")
        if code[:1] in ("S", "U", "V", "a"):
            try:
                n = int(code[1:] or "0")
            except ValueError:
                return None
            return n * (4 if code[0] == "U" else 1)
        if code[:1] in _ITEMSIZE:
            rest = code[1:]
            if rest.isdigit():
                return int(rest)
            return _ITEMSIZE[code[0]]
        return None
    return None


def parse(head: bytes) -> NpyHeader:
    """Parse the header from the first bytes of a file (at least header length + 12 bytes)."""
    if not head.startswith(MAGIC) or len(head) < 10:
        raise NpyError("missing the \\x93NUMPY magic")
    major, minor = head[6], head[7]
    if major == 1:
        (hlen,) = struct.unpack("<H", head[8:10])
        start = 10
    elif major in (2, 3):
        if len(head) < 12:
            raise NpyError("truncated header")
        (hlen,) = struct.unpack("<I", head[8:12])
        start = 12
    else:
        raise NpyError(f"unknown .npy format version {major}.{minor}")
    if hlen > MAX_HEADER:
        raise NpyError(f"header length {hlen} is absurd (limit {MAX_HEADER})")
    raw = head[start:start + hlen]
    if len(raw) < hlen:
        raise NpyError(f"header length {hlen} runs past the end of the file")
    try:
        text = raw.decode("utf-8" if major == 3 else "latin-1")
        doc = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, UnicodeDecodeError, MemoryError, RecursionError, TypeError) as exc:
        raise NpyError(f"header is not a Python literal: {exc.__class__.__name__}") from None
    if not isinstance(doc, dict) or set(doc) != {"descr", "fortran_order", "shape"}:
        raise NpyError("header must be a dict with exactly descr, fortran_order and shape")
    shape = doc["shape"]
    if not isinstance(shape, tuple) or not all(isinstance(d, int) and not isinstance(d, bool) for d in shape):
        raise NpyError(f"shape {shape!r} is not a tuple of integers")
    if any(d < 0 for d in shape):
        raise NpyError(f"shape {shape!r} has a negative dimension")
    count = 1
    for d in shape:
        count *= d
        if count > MAX_ELEMENTS:
            raise NpyError(f"shape {shape!r} is absurd ({count}+ elements)")
    has_obj = _has_object(doc["descr"])
    size = _itemsize(doc["descr"])
    data_bytes = None if has_obj or size is None else count * size
    return NpyHeader((major, minor), doc["descr"], bool(doc["fortran_order"]), shape, start + hlen,
                     has_obj, data_bytes)
