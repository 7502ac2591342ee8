"""Content sniffing: what a file really is, from its first bytes (and a zip's directory).

Nothing here loads or executes anything: pickles are recognised by opcode signatures, zips by their
central directory names, other formats by magic numbers.
"""

from __future__ import annotations

import re
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HEAD = 4096

_PROTO0_GLOBAL = re.compile(rb"^\(?c[A-Za-z_][\w.]*\n[A-Za-z_][\w.]*\n")
_PROTO01_START = re.compile(rb"^(\(|\]|\}|\(dp0|\(lp0|ccopy_reg\n|c__builtin__\n|cbuiltins\n)")


@dataclass(frozen=True)
class Sniffed:
    format: str | None
    detail: dict[str, Any] = field(default_factory=dict)


def looks_like_pickle(head: bytes, strict: bool) -> int | None:
    """Pickle protocol (0-5) when ``head`` starts like a pickle, else None.

    Protocol 2+ begins with PROTO (0x80 n). Protocols 0/1 have no header: a GLOBAL opcode
    (``cmodule\\nname\\n``) or a MARK/EMPTY_* start followed by a STOP at the end is required.
    ``strict`` (text-named files) accepts only the unambiguous forms.
    """
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return head[1]
    if _PROTO0_GLOBAL.match(head):
        return 0
    if strict:
        return None
    if _PROTO01_START.match(head) and head.rstrip().endswith(b"."):
        return 0 if head[:1] in (b"(", b"c") else 1
    return None


def _zip_detail(path: Path, max_members: int) -> Sniffed:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = [i.filename for i in infos[:max_members]]
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError):
        return Sniffed("zip", {"error": "unreadable zip directory"})
    detail: dict[str, Any] = {"members": len(infos)}
    base = {n.rsplit("/", 1)[-1] for n in names}
    if any(n.endswith("/data.pkl") or n == "data.pkl" for n in names):
        return Sniffed("pytorch-zip", detail)
    if "config.json" in base and ("model.weights.h5" in base or "metadata.json" in base):
        return Sniffed("keras-v3", detail)
    if names and all(n.endswith(".npy") for n in names):
        return Sniffed("npz", detail)
    if any(n.endswith((".pkl", ".pickle", ".joblib")) for n in names):
        return Sniffed("pickle-zip", detail)
    return Sniffed("zip", detail)


def sniff(path: Path, name_hint: str, size: int, max_zip_members: int = 10_000) -> Sniffed:
    """Identify a file's format from content. ``name_hint`` is the lower-cased file name."""
    try:
        with path.open("rb") as fh:
            head = fh.read(HEAD)
    except OSError as exc:
        return Sniffed(None, {"error": exc.strerror or str(exc)})
    if not head:
        return Sniffed(None, {"empty": True})
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_detail(path, max_zip_members)
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return Sniffed("hdf5")
    if head.startswith(b"\x93NUMPY"):
        return Sniffed("npy", {"version": head[6] if len(head) > 6 else None})
    if head.startswith(b"GGUF"):
        return Sniffed("gguf")
    if head[4:8] == b"TFL3":
        return Sniffed("tflite")
    if len(head) >= 10:
        (hlen,) = struct.unpack("<Q", head[:8])
        if 2 <= hlen <= size - 8 and head[8:9] == b"{":
            return Sniffed("safetensors", {"header_len": hlen})
    textish = name_hint.endswith((".txt", ".md", ".csv", ".json", ".yaml", ".yml", ".py", ".cfg", ".toml"))
    proto = looks_like_pickle(head, strict=textish)
    if proto is not None:
        return Sniffed("pickle", {"pickle_protocol": proto})
    if name_hint.endswith(".onnx"):
        return Sniffed("onnx")
    if b"\0" in head[:1024]:
        return Sniffed("binary")
    return Sniffed(None)
