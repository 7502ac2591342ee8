"""Bounded readers for model formats without code: safetensors headers, GGUF metadata, ONNX
external-data references (a minimal protobuf walk with our own varint reader, no onnx dependency),
and the checks on a Keras config document. Every reader takes a file handle and seeks; nothing reads
tensor data."""

from __future__ import annotations

import json
import posixpath
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from auditor.pickle_policy import DANGEROUS, classify

# ---- safetensors ------------------------------------------------------------------------------------

SAFETENSORS_MAX_HEADER = 100_000_000  # the safetensors library's own bound
ST_DTYPES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1, "I16": 2, "U16": 2,
             "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8, "C64": 8,
             "F4": 1, "F6_E2M3": 1, "F6_E3M2": 1}


def safetensors_problems(fh: BinaryIO, size: int) -> list[str]:
    """Why this safetensors file is invalid (empty when it is valid)."""
    head = fh.read(8)
    if len(head) < 8:
        return ["file is shorter than the 8-byte header length"]
    (hlen,) = struct.unpack("<Q", head)
    if hlen > SAFETENSORS_MAX_HEADER:
        return [f"header length {hlen} exceeds the 100 MB bound safetensors enforces"]
    if hlen + 8 > size:
        return [f"header length {hlen} runs past the end of the file ({size} bytes)"]
    raw = fh.read(hlen)
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        return [f"header is not valid JSON: {exc.__class__.__name__}"]
    if not isinstance(doc, dict):
        return ["header is not a JSON object"]
    data_len = size - 8 - hlen
    problems: list[str] = []
    spans: list[tuple[int, int, str]] = []
    for name, info in doc.items():
        if name == "__metadata__":
            if not isinstance(info, dict) or not all(isinstance(v, str) for v in info.values()):
                problems.append("__metadata__ must map strings to strings")
            continue
        if not isinstance(info, dict):
            problems.append(f"tensor '{name[:60]}' is not an object")
            continue
        dtype, shape, offs = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if dtype not in ST_DTYPES:
            problems.append(f"tensor '{name[:60]}' has unknown dtype {str(dtype)[:30]!r}")
            continue
        if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
            problems.append(f"tensor '{name[:60]}' has an invalid shape")
            continue
        if not (isinstance(offs, list) and len(offs) == 2 and all(isinstance(o, int) for o in offs)):
            problems.append(f"tensor '{name[:60]}' has invalid data_offsets")
            continue
        begin, end = offs
        if not 0 <= begin <= end <= data_len:
            problems.append(f"tensor '{name[:60]}' points outside the data ({begin}..{end} of {data_len})")
            continue
        count = 1
        for d in shape:
            count *= d
        if (end - begin) * 8 != count * ST_DTYPES[dtype] * 8 and dtype not in ("F4", "F6_E2M3", "F6_E3M2"):
            problems.append(f"tensor '{name[:60]}' spans {end - begin} bytes but shape and dtype need "
                            f"{count * ST_DTYPES[dtype]}")
        spans.append((begin, end, name))
    spans.sort()
    pos = 0
    for begin, end, name in spans:
        if begin < pos:
            problems.append(f"tensor '{name[:60]}' overlaps the previous tensor")
        elif begin > pos:
            problems.append(f"{begin - pos} unaccounted bytes before tensor '{name[:60]}'")
        pos = max(pos, end)
    if not problems and pos != data_len:
        problems.append(f"{data_len - pos} bytes after the last tensor are not described by the header")
    return problems


# ---- GGUF -------------------------------------------------------------------------------------------

GGUF_MAX_KV = 1_000_000
GGUF_MAX_STRING = 64 * 1024**2
GGUF_MAX_ARRAY = 50_000_000
_GGUF_SCALAR = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}

JINJA_GADGETS = re.compile(
    r"__(?:class|globals|subclasses|builtins|import|mro|base|bases|init|getattribute|code|dict|reduce"
    r"|reduce_ex|loader|spec)__"
    r"|\bos\s*\.\s*(?:popen|system|exec\w*|spawn\w*)|\bpopen\s*\(|\bsubprocess\b|\beval\s*\(|\bexec\s*\("
    r"|\b(?:lipsum|cycler|joiner)\b"
    r"|\b(?:namespace|range|dict|self|config|request)\s*(?:\.|\[\s*['\"])\s*_",
)


class FormatError(Exception):
    pass


class _File:
    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh

    def take(self, n: int) -> bytes:
        b = self.fh.read(n)
        if len(b) < n:
            raise FormatError(f"truncated: {n} bytes wanted at offset {self.fh.tell() - len(b)}")
        return b

    def u32(self) -> int:
        return int(struct.unpack("<I", self.take(4))[0])

    def u64(self) -> int:
        return int(struct.unpack("<Q", self.take(8))[0])

    def skip(self, n: int) -> None:
        self.fh.seek(n, 1)


def gguf_templates(fh: BinaryIO, size: int) -> list[tuple[str, str]]:
    """(key, value) of every chat-template string in the GGUF metadata; raises FormatError."""
    f = _File(fh)
    if f.take(4) != b"GGUF":
        raise FormatError("missing GGUF magic")
    version = f.u32()
    if version not in (1, 2, 3):
        raise FormatError(f"unknown GGUF version {version}")
    length = f.u32 if version == 1 else f.u64
    length()  # tensor count
    n_kv = length()
    if n_kv > GGUF_MAX_KV:
        raise FormatError(f"{n_kv} metadata entries is absurd")

    def string() -> bytes | None:
        n = length()
        if n > GGUF_MAX_STRING or n > size:
            raise FormatError(f"string length {n} is absurd")
        if n > 1024 * 1024:
            f.skip(n)
            return None
        return f.take(n)

    out: list[tuple[str, str]] = []
    for _ in range(n_kv):
        key_raw = string()
        key = (key_raw or b"").decode("utf-8", "replace")
        vtype = f.u32()
        if vtype == 8:
            val = string()
            if key.startswith("tokenizer.chat_template") and val is not None:
                out.append((key, val.decode("utf-8", "replace")))
        elif vtype == 9:
            itype = f.u32()
            count = length()
            if count > GGUF_MAX_ARRAY:
                raise FormatError(f"array of {count} items is absurd")
            if itype == 8:
                for _i in range(count):
                    string()
            elif itype in _GGUF_SCALAR:
                if count * _GGUF_SCALAR[itype] > size:
                    raise FormatError("array runs past the end of the file")
                f.skip(count * _GGUF_SCALAR[itype])
            else:
                raise FormatError(f"unsupported array item type {itype}")
        elif vtype in _GGUF_SCALAR:
            f.skip(_GGUF_SCALAR[vtype])
        else:
            raise FormatError(f"unknown metadata value type {vtype} for key '{key[:60]}'")
        if fh.tell() > size:
            raise FormatError("metadata runs past the end of the file")
    return out


def template_gadgets(template: str) -> list[str]:
    return sorted({m.group(0).strip() for m in JINJA_GADGETS.finditer(template)})


# ---- ONNX (protobuf) ------------------------------------------------------------------------------

MAX_DEPTH = 64


class _PB:
    """A protobuf reader over a seekable file, messages addressed by (start, end) ranges."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh

    def varint(self) -> int:
        shift = 0
        result = 0
        while True:
            b = self.fh.read(1)
            if not b:
                raise FormatError("truncated varint")
            result |= (b[0] & 0x7F) << shift
            if not b[0] & 0x80:
                return result
            shift += 7
            if shift > 70:
                raise FormatError("varint too long")

    def fields(self, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
        """(field number, wire type, value-or-start, length) for each field in [start, end)."""
        pos = start
        while pos < end:
            self.fh.seek(pos)
            key = self.varint()
            field, wire = key >> 3, key & 7
            if wire == 0:
                val = self.varint()
                pos = self.fh.tell()
                yield field, wire, val, 0
            elif wire == 2:
                n = self.varint()
                s = self.fh.tell()
                if s + n > end:
                    raise FormatError(f"field {field} runs past its message")
                pos = s + n
                yield field, wire, s, n
            elif wire == 1:
                pos = self.fh.tell() + 8
                yield field, wire, 0, 8
            elif wire == 5:
                pos = self.fh.tell() + 4
                yield field, wire, 0, 4
            else:
                raise FormatError(f"unsupported wire type {wire}")
            if pos > end:
                raise FormatError("message overruns its bounds")

    def text(self, start: int, n: int) -> str:
        self.fh.seek(start)
        return self.fh.read(min(n, 65536)).decode("utf-8", "replace")


def onnx_external_locations(fh: BinaryIO, size: int) -> list[tuple[str, str]]:
    """(tensor name, location) for every external-data tensor of the model."""
    pb = _PB(fh)
    out: list[tuple[str, str]] = []

    def tensor(s: int, e: int) -> None:
        name, loc = "", None
        for f, w, v, n in list(pb.fields(s, e)):
            if f == 8 and w == 2:
                name = pb.text(v, n)
            elif f == 13 and w == 2:
                key = val = None
                for f2, w2, v2, n2 in list(pb.fields(v, v + n)):
                    if f2 == 1 and w2 == 2:
                        key = pb.text(v2, n2)
                    elif f2 == 2 and w2 == 2:
                        val = pb.text(v2, n2)
                if key == "location" and val is not None:
                    loc = val
        if loc is not None:
            out.append((name, loc))

    def sparse(s: int, e: int) -> None:
        for f, w, v, n in list(pb.fields(s, e)):
            if f in (1, 2) and w == 2:
                tensor(v, v + n)

    def attr(s: int, e: int, depth: int) -> None:
        for f, w, v, n in list(pb.fields(s, e)):
            if w != 2:
                continue
            if f in (5, 10):
                tensor(v, v + n)
            elif f in (6, 11):
                graph(v, v + n, depth + 1)
            elif f in (22, 23):
                sparse(v, v + n)

    def node(s: int, e: int, depth: int) -> None:
        for f, w, v, n in list(pb.fields(s, e)):
            if f == 5 and w == 2:
                attr(v, v + n, depth)

    def graph(s: int, e: int, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise FormatError("subgraphs nested too deeply")
        for f, w, v, n in list(pb.fields(s, e)):
            if w != 2:
                continue
            if f == 1:
                node(v, v + n, depth)
            elif f == 5:
                tensor(v, v + n)
            elif f == 15:
                sparse(v, v + n)

    for f, w, v, n in list(pb.fields(0, size)):
        if f == 7 and w == 2:
            graph(v, v + n, 0)
        elif f == 25 and w == 2:  # FunctionProto: nodes (field 7) may hold tensors in attributes
            for f2, w2, v2, n2 in list(pb.fields(v, v + n)):
                if f2 == 7 and w2 == 2:
                    node(v2, v2 + n2, 1)
    return out


def location_escapes(loc: str) -> str | None:
    """Why an external-data location leaves the model folder, or None."""
    norm = loc.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm) or norm.startswith("//"):
        return "absolute path"
    if "://" in norm:
        return "URL"
    if posixpath.normpath(norm).split("/")[0] == "..":
        return "climbs out of the model folder with '..'"
    if "\x00" in norm:
        return "NUL byte in the path"
    return None


# ---- Keras config ---------------------------------------------------------------------------------

KERAS_MODULES = ("keras", "tf_keras", "tensorflow", "keras_hub", "keras_nlp", "keras_cv", "tf")


def _is_keras_module(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in KERAS_MODULES)


@dataclass(frozen=True)
class KerasIssue:
    check: str  # keras-lambda | keras-foreign-module | keras-unsafe-toggle
    message: str
    severity: str | None = None
    key: str = ""


def keras_issues(doc: Any) -> list[KerasIssue]:
    out: list[KerasIssue] = []
    seen: set[str] = set()
    lambdas: list[str] = []

    def add(issue: KerasIssue) -> None:
        if issue.key not in seen:
            seen.add(issue.key)
            out.append(issue)

    def walk(node: Any, path: str, depth: int) -> None:
        if depth > 200:
            return
        if isinstance(node, dict):
            cls = node.get("class_name")
            module = node.get("module")
            name = ""
            cfg = node.get("config")
            if isinstance(cfg, dict):
                name = str(cfg.get("name", ""))[:60]
            in_lambda = any(path.startswith(p) for p in lambdas)
            if (cls == "Lambda" or cls == "__lambda__") and not in_lambda:
                lambdas.append(path)
                what = "Lambda layer" if cls == "Lambda" else "marshalled lambda function"
                add(KerasIssue("keras-lambda", f"{what} '{name or path}' at {path}", key=f"lambda:{path}"))
            if "enable_unsafe_deserialization" in (str(cls), str(cfg)) or "safe_mode" in node:
                add(KerasIssue("keras-unsafe-toggle", f"{path} references {cls or 'safe_mode'}: "
                                                      f"it turns safe mode off while loading",
                               key=f"toggle:{path}"))
            reg = node.get("registered_name")
            if isinstance(module, str) and module and not _is_keras_module(module):
                targets = [str(cls)] + ([cfg] if isinstance(cfg, str) else [])
                danger = [t for t in targets if classify(module, t).level == DANGEROUS]
                if danger or classify(module, "x").level == DANGEROUS:
                    add(KerasIssue("keras-foreign-module",
                                   f"{path} makes Keras import '{module}' and call '{cls}': "
                                   f"{classify(module, danger[0] if danger else 'x').reason}",
                                   key=f"module:{module}.{cls}"))
                else:
                    add(KerasIssue("keras-foreign-module",
                                   f"{path} makes Keras import custom module '{module}' (class '{cls}', "
                                   f"registered as {reg!r}): its import-time code runs; verify it is yours",
                                   severity="medium", key=f"module:{module}.{cls}"))
            for k, v in node.items():
                walk(v, f"{path}.{k}", depth + 1)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]", depth + 1)

    walk(doc, "config", 0)
    return out
