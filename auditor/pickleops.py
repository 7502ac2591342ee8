"""A pickle opcode reader that never loads anything.

``scan_stream`` walks every opcode of every pickle stream in a byte source (stacked streams included:
after a STOP it keeps going while the next bytes parse as a pickle), simulating just enough of the
unpickler's stack and memo to know which globals a load would import and which of them it would call.
Strings that reach STACK_GLOBAL through the memo (MEMOIZE/PUT, GET), through non-unicode string opcodes
(SHORT_BINSTRING, BINBYTES, ...) or through DUP are followed; when an operand cannot be determined the
import is reported as unresolved (fail-safe, critical).

Large arguments (tensor bytes in BINBYTES8, long strings) are skipped, not read into memory, so a 1 GB
pickle is scanned in bounded memory. The memo keeps only small strings and globals, up to a cap.
Nothing here imports, executes or unpickles: the only stdlib help is the opcode table of pickletools.
"""

from __future__ import annotations

import _compat_pickle
import pickletools
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from auditor.pickle_policy import Verdict, classify

CHUNK = 1 << 20
KEEP_STRING = 4096  # longer string arguments are skipped (an import name never needs more)
MAX_LINE = 65536
MAX_MEMO = 1_000_000
MAX_STACK = 1_000_000
MAX_FINDINGS = 200
# torch's legacy (non-zip) format: magic number pickle, protocol, sys info, object, storage keys, raw data
TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
TORCH_LEGACY_STREAMS = 5


class _Mark:
    __slots__ = ()


class _Unknown:
    __slots__ = ()


MARK = _Mark()
UNKNOWN = _Unknown()


@dataclass(frozen=True)
class Str:
    value: str


@dataclass(frozen=True)
class Global:
    module: str
    name: str
    opcode: str
    offset: int
    verdict: Verdict


@dataclass(frozen=True)
class Result:
    """The object a call of ``callable`` returned (so BUILD on it is not a new call)."""

    callable: Global | None


@dataclass
class GlobalUse:
    module: str
    name: str
    verdict: Verdict
    offset: int
    opcode: str
    invoked_by: str | None = None
    stream: int = 1


@dataclass
class ScanReport:
    globals: dict[tuple[str, str], GlobalUse] = field(default_factory=dict)
    streams: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (offset, message)
    unresolved: list[tuple[int, str]] = field(default_factory=list)
    extensions: list[int] = field(default_factory=list)
    bytes_read: int = 0
    trailing: int = 0  # bytes after the last stream that are not pickle (legacy torch storages)
    legacy_torch: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class MalformedPickle(Exception):
    pass


class _Reader:
    """Chunked reader over an iterator of byte chunks, with bounded skipping."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self.buf = b""
        self.i = 0
        self.base = 0  # absolute offset of buf[0]
        self.eof = False

    @property
    def pos(self) -> int:
        return self.base + self.i

    def fill(self, n: int) -> bool:
        """Make at least n bytes available from i; False when the source ends first."""
        while len(self.buf) - self.i < n:
            if self.eof:
                return False
            nxt = next(self._chunks, b"")
            if not nxt:
                self.eof = True
                return False
            rest = self.buf[self.i:]
            self.base += self.i
            self.buf = rest + nxt if rest else nxt
            self.i = 0
        return True

    def take(self, n: int) -> bytes:
        if not self.fill(n):
            raise MalformedPickle(f"truncated: {n} bytes wanted at offset {self.pos}")
        out = self.buf[self.i:self.i + n]
        self.i += n
        return out

    def skip(self, n: int) -> None:
        while n > 0:
            avail = len(self.buf) - self.i
            if avail >= n:
                self.i += n
                return
            n -= avail
            self.base += len(self.buf)
            self.buf, self.i = b"", 0
            if not self.fill(1):
                raise MalformedPickle(f"truncated: argument runs past the end ({n} bytes missing)")

    def line(self) -> bytes:
        searched = self.i
        while True:
            j = self.buf.find(b"\n", searched)
            if j >= 0:
                out = self.buf[self.i:j]
                self.i = j + 1
                return out
            have = len(self.buf) - self.i
            if have > MAX_LINE:
                raise MalformedPickle(f"line argument longer than {MAX_LINE} bytes at offset {self.pos}")
            if not self.fill(have + 1):
                raise MalformedPickle(f"truncated: missing newline at offset {self.pos}")
            searched = self.i + have

    def at_end(self) -> bool:
        return not self.fill(1)


_OPS: dict[int, pickletools.OpcodeInfo] = {ord(op.code): op for op in pickletools.opcodes}

def _effect(op: pickletools.OpcodeInfo) -> tuple[int, int, int]:
    before = op.stack_before
    mark = before.index(pickletools.markobject) if pickletools.markobject in before else -1
    return mark, len(before), len(op.stack_after)


_STACK_EFFECT: dict[str, tuple[int, int, int]] = {op.name: _effect(op) for op in pickletools.opcodes}

# opcode -> argument size, for opcodes that only push one plain value
_FAST: dict[int, int] = {ord(c): n for c, n in (
    ("K", 1), ("M", 2), ("J", 4), ("G", 8), ("N", 0), ("\x88", 0), ("\x89", 0), ("]", 0), ("}", 0),
    (")", 0), ("\x8f", 0))}

_STRING_OPS = {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE",
               "BINUNICODE8", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8"}


def _fix_name(module: str, name: str) -> tuple[str, str]:
    """Python 2 names as pickle's fix_imports maps them (``__builtin__`` -> ``builtins``)."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        module, name = _compat_pickle.NAME_MAPPING[(module, name)]
    elif module in _compat_pickle.IMPORT_MAPPING:
        module = _compat_pickle.IMPORT_MAPPING[module]
    return module, name


def _decode(raw: bytes, kind: str) -> str:
    if kind == "utf8":
        return raw.decode("utf-8", "surrogatepass")
    return raw.decode("latin-1")


class _Scanner:
    def __init__(self, reader: _Reader, report: ScanReport) -> None:
        self.r = reader
        self.rep = report
        self.memo: dict[int, object] = {}
        self.stack: list[object] = []
        self.stream = 0
        self.degraded = False

    # -- stack helpers -------------------------------------------------------------------
    def push(self, v: object) -> None:
        if len(self.stack) >= MAX_STACK:
            # keep going by opcode; STACK_GLOBAL operands become unknown (reported as unresolved)
            self.stack.clear()
            self.degraded = True
        self.stack.append(v)

    def pop(self) -> object:
        if self.stack:
            return self.stack.pop()
        if self.degraded:
            return UNKNOWN
        raise MalformedPickle("stack underflow")

    def pop_mark(self) -> list[object]:
        items: list[object] = []
        while self.stack:
            v = self.stack.pop()
            if v is MARK:
                items.reverse()
                return items
            items.append(v)
        if self.degraded:
            items.reverse()
            return items
        raise MalformedPickle("MARK expected on the stack")

    def top(self) -> object:
        if self.stack:
            return self.stack[-1]
        if self.degraded:
            return UNKNOWN
        raise MalformedPickle("empty stack")

    # -- findings --------------------------------------------------------------------------
    def add_global(self, module: str, name: str, opcode: str, offset: int) -> Global:
        module, name = _fix_name(module, name)
        verdict = classify(module, name)
        key = (module, name)
        if key not in self.rep.globals and len(self.rep.globals) < MAX_FINDINGS:
            self.rep.globals[key] = GlobalUse(module, name, verdict, offset, opcode, stream=self.stream)
        return Global(module, name, opcode, offset, verdict)

    def invoke(self, target: object, how: str) -> Result:
        if isinstance(target, Global):
            use = self.rep.globals.get((target.module, target.name))
            if use is not None and use.invoked_by is None:
                use.invoked_by = how
            return Result(target)
        return Result(None)

    # -- one stream ----------------------------------------------------------------------
    def run_stream(self) -> object:
        """Scan one stream up to STOP; returns the value left on the stack (for the torch magic)."""
        r = self.r
        self.stack = []
        self.stream += 1
        stack = self.stack
        fast = _FAST
        while True:
            # fast path: plain values with fixed-size arguments already in the buffer (ints, floats,
            # None, bools, empty containers): nothing to track but one pushed value
            i = r.i
            buf = r.buf
            if i < len(buf):
                n = fast.get(buf[i])
                if n is not None and i + 1 + n <= len(buf):
                    r.i = i + 1 + n
                    if len(stack) < MAX_STACK:
                        stack.append(UNKNOWN)
                    else:
                        self.push(UNKNOWN)
                        stack = self.stack
                    continue
            if not r.fill(1):
                raise MalformedPickle(f"truncated: no STOP opcode (stream {self.stream})")
            offset = r.pos
            code = r.buf[r.i]
            r.i += 1
            op = _OPS.get(code)
            if op is None:
                raise MalformedPickle(f"unknown opcode 0x{code:02x} at offset {offset}")
            name = op.name
            arg = self.read_arg(op)
            if name == "STOP":
                return self.pop() if self.stack else UNKNOWN
            if name == "PROTO":
                if not isinstance(arg, int) or arg > 5:
                    raise MalformedPickle(f"unsupported pickle protocol {arg} at offset {offset}")
                continue
            if name == "FRAME":
                continue
            if name in _STRING_OPS:
                self.push(arg)
            elif name in ("GLOBAL", "INST"):
                assert isinstance(arg, tuple)
                g = self.add_global(arg[0], arg[1], name, offset)
                if name == "GLOBAL":
                    self.push(g)
                else:
                    self.pop_mark()
                    self.push(self.invoke(g, "INST"))
            elif name == "STACK_GLOBAL":
                gname, gmod = self.pop(), self.pop()
                if isinstance(gmod, Str) and isinstance(gname, Str):
                    self.push(self.add_global(gmod.value, gname.value, name, offset))
                else:
                    what = f"module={_describe(gmod)}, name={_describe(gname)}"
                    self.rep.unresolved.append((offset, what))
                    self.push(Global("?", "?", name, offset, classify("?", "?")))
            elif name == "MEMOIZE":
                self.remember(len(self.memo), self.top())
            elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                self.remember(int(arg), self.top())  # type: ignore[call-overload]
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                self.push(self.memo.get(int(arg), UNKNOWN))  # type: ignore[call-overload]
            elif name == "REDUCE":
                self.pop()
                self.push(self.invoke(self.pop(), "REDUCE"))
            elif name == "NEWOBJ":
                self.pop()
                self.push(self.invoke(self.pop(), "NEWOBJ"))
            elif name == "NEWOBJ_EX":
                self.pop()
                self.pop()
                self.push(self.invoke(self.pop(), "NEWOBJ_EX"))
            elif name == "OBJ":
                items = self.pop_mark()
                self.push(self.invoke(items[0] if items else UNKNOWN, "OBJ"))
            elif name == "BUILD":
                self.pop()
                obj = self.top()
                if isinstance(obj, Global):  # setstate on a class or function object itself
                    self.invoke(obj, "BUILD")
            elif name == "MARK":
                self.push(MARK)
            elif name == "DUP":
                self.push(self.top())
            elif name == "POP":
                v = self.pop()
                if v is MARK:  # POP of a MARK behaves like POP_MARK in CPython
                    pass
            elif name == "POP_MARK":
                self.pop_mark()
            elif name in ("EXT1", "EXT2", "EXT4"):
                self.rep.extensions.append(int(arg))  # type: ignore[call-overload]
                self.push(UNKNOWN)
            else:
                self.generic(op, arg)

    def remember(self, idx: int, value: object) -> None:
        if len(self.memo) >= MAX_MEMO and idx not in self.memo:
            return
        if isinstance(value, (Str, Global)):
            self.memo[idx] = value
        else:
            self.memo.pop(idx, None)

    def generic(self, op: pickletools.OpcodeInfo, arg: object) -> None:
        mark_idx, npop, npush = _STACK_EFFECT[op.name]
        if mark_idx >= 0:
            self.pop_mark()
            npop = mark_idx
        stack = self.stack
        if len(stack) >= npop:
            if npop:
                del stack[-npop:]
        else:
            for _ in range(npop):
                self.pop()
        if op.name == "LONG1" and arg == TORCH_LEGACY_MAGIC:
            self.push(("torch-magic",))
            return
        for _ in range(npush):
            self.push(UNKNOWN)

    def read_arg(self, op: pickletools.OpcodeInfo) -> object:
        a = op.arg
        if a is None:
            return None
        r = self.r
        kind = a.name
        if kind == "uint1":
            return r.take(1)[0]
        if kind == "uint2":
            return int(struct.unpack("<H", r.take(2))[0])
        if kind == "int4":
            return int(struct.unpack("<i", r.take(4))[0])
        if kind == "uint4":
            return int(struct.unpack("<I", r.take(4))[0])
        if kind == "uint8":
            return int(struct.unpack("<Q", r.take(8))[0])
        if kind == "float8":
            r.skip(8)
            return None
        if kind in ("long1", "long4"):
            n = r.take(1)[0] if kind == "long1" else int(struct.unpack("<i", r.take(4))[0])
            if n < 0:
                raise MalformedPickle(f"negative length at offset {r.pos}")
            if n <= 16:
                return int.from_bytes(r.take(n), "little", signed=True)
            r.skip(n)
            return None
        if kind in ("string1", "bytes1", "unicodestring1"):
            return self.sized(r.take(1)[0], "utf8" if kind.startswith("unicode") else "latin")
        if kind in ("string4", "bytes4", "unicodestring4"):
            fmt = "<i" if kind == "string4" else "<I"
            n = int(struct.unpack(fmt, r.take(4))[0])
            if n < 0:
                raise MalformedPickle(f"negative string length at offset {r.pos}")
            return self.sized(n, "utf8" if kind.startswith("unicode") else "latin")
        if kind in ("bytes8", "bytearray8", "unicodestring8"):
            n = int(struct.unpack("<Q", r.take(8))[0])
            return self.sized(n, "utf8" if kind.startswith("unicode") else "latin")
        if kind == "stringnl_noescape_pair":
            mod = r.line()
            nm = r.line()
            try:  # pickle itself decodes GLOBAL/INST names as UTF-8 and fails on anything else
                return (_decode(mod, "utf8"), _decode(nm, "utf8"))
            except UnicodeDecodeError as exc:
                raise MalformedPickle(f"GLOBAL/INST name is not UTF-8 at offset {r.pos}") from exc
        line = r.line()
        if kind in ("decimalnl_short", "decimalnl_long"):
            txt = line.rstrip(b"L")
            if kind == "decimalnl_short" and len(txt) > 40:
                # INT/GET/PUT: pickle accepts any length int() does (a memo index of 50 digits is
                # valid), so it must resolve here too; past int()'s digit limit pickle fails as well
                if len(txt) > 4300:
                    raise MalformedPickle(f"integer argument of {len(txt)} digits at offset {r.pos}")
            elif len(txt) > 40:
                return None
            try:
                return int(txt)
            except ValueError as exc:
                raise MalformedPickle(f"bad integer argument at offset {r.pos}") from exc
        if kind == "stringnl":
            if len(line) < 2 or line[:1] not in (b"'", b'"') or line[-1:] != line[:1]:
                raise MalformedPickle(f"STRING argument is not quoted at offset {r.pos}")
            body = line[1:-1]
            try:
                return Str(body.decode("unicode_escape")) if len(body) <= KEEP_STRING else UNKNOWN
            except UnicodeDecodeError:
                return UNKNOWN
        if kind == "unicodestringnl":
            try:
                return Str(line.decode("raw-unicode-escape")) if len(line) <= KEEP_STRING else UNKNOWN
            except UnicodeDecodeError:
                return UNKNOWN
        return None  # floatnl, stringnl_noescape (PERSID)

    def sized(self, n: int, enc: str) -> object:
        if n > KEEP_STRING:
            self.r.skip(n)
            return UNKNOWN
        raw = self.r.take(n)
        try:
            return Str(_decode(raw, enc))
        except UnicodeDecodeError:
            return UNKNOWN


def _describe(v: object) -> str:
    if isinstance(v, Str):
        return repr(v.value[:60])
    if isinstance(v, Global):
        return f"a global ({v.module}.{v.name})"
    if isinstance(v, Result):
        return "a call result"
    return "unknown"


def _looks_like_stream_start(reader: _Reader) -> bool:
    if not reader.fill(1):
        return False
    b = reader.buf[reader.i]
    if b == 0x80:
        return reader.fill(2) and 2 <= reader.buf[reader.i + 1] <= 5
    return b in _OPS and b not in (ord("."),)


def scan_chunks(chunks: Iterator[bytes], *, stacked: bool = True) -> ScanReport:
    """Scan every pickle stream in the bytes ``chunks`` yields."""
    rep = ScanReport()
    reader = _Reader(chunks)
    sc = _Scanner(reader, rep)
    first_value: object = None
    try:
        while True:
            value = sc.run_stream()
            if rep.streams == 0:
                first_value = value
            rep.streams += 1
            if not stacked or reader.at_end():
                break
            if first_value == ("torch-magic",) and rep.streams >= TORCH_LEGACY_STREAMS:
                rep.legacy_torch = True
                rest = 0
                while reader.fill(1):
                    rest += len(reader.buf) - reader.i
                    reader.skip(len(reader.buf) - reader.i)
                rep.trailing = rest
                break
            if not _looks_like_stream_start(reader):
                off = reader.pos
                size = _trailing_size(reader)
                raise MalformedPickle(f"{size} bytes of non-pickle data after stream {rep.streams} "
                                      f"at offset {off}")
    except MalformedPickle as exc:
        rep.errors.append((reader.pos, str(exc)))
    rep.bytes_read = reader.pos
    return rep


def _trailing_size(reader: _Reader) -> int:
    n = 0
    while reader.fill(1):
        n += len(reader.buf) - reader.i
        reader.skip(len(reader.buf) - reader.i)
        if n > 1 << 40:
            break
    return n


def file_chunks(path: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        fh.seek(start)
        left = length
        while True:
            want = CHUNK if left is None else min(CHUNK, left)
            if want <= 0:
                return
            data = fh.read(want)
            if not data:
                return
            if left is not None:
                left -= len(data)
            yield data


def bytes_chunks(data: bytes) -> Iterator[bytes]:
    for i in range(0, len(data), CHUNK):
        yield data[i:i + CHUNK]


def scan_bytes(data: bytes) -> ScanReport:
    return scan_chunks(bytes_chunks(data))


ChunkSource = Callable[[], Iterator[bytes]]
