"""Bounded samples of tabular datasets: CSV/TSV, JSON Lines, JSON arrays of records and Parquet.

A sample is at most ``max_rows`` rows read from at most ``max_bytes`` bytes at the start of the file
(Parquet: the first record batch). A malformed row, a field over the csv module's field limit or a
giant unterminated quoted field ends the sample where it is, with the reason recorded: it never
reads past the byte bound, never hangs and never holds more than that prefix in memory.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_COLUMNS = 500
MAX_CELL_CHARS = 10_000
MAX_JSON_LINE = 1024 * 1024
MAX_FLATTEN_DEPTH = 4
MAX_LIST_ITEMS = 20

TABLE_FORMATS = ("csv", "tsv", "jsonl", "json", "parquet")


class ParquetUnavailable(Exception):
    """pyarrow is not installed: Parquet files cannot be sampled."""


@dataclass(frozen=True)
class Sample:
    path: str
    format: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    size: int
    bytes_read: int
    # the sample reached the end of the file (every row of the file is in it)
    complete: bool
    # why reading stopped before the row or byte bound (malformed row, giant field), if it did
    stopped: str | None = None

    def values(self, index: int) -> Iterator[str]:
        for row in self.rows:
            yield row[index] if index < len(row) else ""

    def describe(self) -> str:
        """What was sampled, for messages: "first 2,000 rows of 1.2 GB" / "all 200 rows (12.0 KB)"."""
        n = len(self.rows)
        if self.complete:
            text = f"all {n:,} rows ({human_size(self.size)})"
        elif self.bytes_read and self.bytes_read < self.size:
            text = f"first {n:,} rows (first {human_size(self.bytes_read)} of {human_size(self.size)})"
        else:
            text = f"first {n:,} rows of {human_size(self.size)}"
        if self.stopped:
            text += f"; stopped early: {self.stopped}"
        return text

    def summary(self) -> dict[str, Any]:
        return {
            "format": self.format, "size": self.size, "bytes_read": self.bytes_read,
            "rows_sampled": len(self.rows), "complete": self.complete, "columns": list(self.columns),
            "stopped": self.stopped, "sampled": self.describe(),
        }


def human_size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover


def read_prefix(path: Path, max_bytes: int) -> tuple[bytes, bool]:
    """Up to ``max_bytes`` bytes and whether the file goes on beyond them."""
    with path.open("rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        return data[:max_bytes], True
    return data, False


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", "replace")
    return raw.decode("utf-8", "replace")


def _clip(value: str) -> str:
    return value if len(value) <= MAX_CELL_CHARS else value[:MAX_CELL_CHARS]


def _column_names(header: list[str]) -> tuple[str, ...]:
    names: list[str] = []
    seen: set[str] = set()
    for i, h in enumerate(header[:MAX_COLUMNS]):
        name = h.strip()[:200] or f"column_{i + 1}"
        while name in seen:
            name += f"_{i + 1}"
        seen.add(name)
        names.append(name)
    return tuple(names)


def sniff_delimiter(first_line: str) -> str:
    """The delimiter that occurs most often outside quotes in the header line (default comma)."""
    counts = {",": 0, ";": 0, "\t": 0, "|": 0}
    quoted = False
    for ch in first_line[:65536]:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else ","


def read_csv(path: Path, rel: str, size: int, max_rows: int, max_bytes: int, delimiter: str | None = None,
             fmt: str = "csv") -> Sample:
    raw, more = read_prefix(path, max_bytes)
    text = _decode(raw)
    dropped = 0
    if more:
        cut = text.rfind("\n")
        if cut > 0:
            dropped = len(text) - cut - 1
            text = text[: cut + 1]
    if delimiter is None:
        delimiter = sniff_delimiter(text[: text.find("\n")] if "\n" in text else text[:65536])
    buf = io.StringIO(text)
    reader = csv.reader(buf, delimiter=delimiter)
    used = len(raw)
    header: list[str] | None = None
    rows: list[tuple[str, ...]] = []
    stopped = None
    exhausted = False
    try:
        for record in reader:
            if header is None:
                header = record
                continue
            if not record:
                continue
            if len(rows) >= max_rows:
                used = len(text[: buf.tell()].encode("utf-8", "surrogatepass"))
                break
            rows.append(tuple(_clip(v) for v in record[:MAX_COLUMNS]))
        else:
            exhausted = True
    except csv.Error as exc:
        stopped = f"row {reader.line_num}: {exc}"
    if stopped is None and dropped > max(MAX_CELL_CHARS, len(text)):
        # the byte bound cut through one enormous record (e.g. an unterminated quoted field)
        stopped = f"a record of more than {human_size(dropped)} after row {len(rows)} was not read"
    columns = _column_names(header or [])
    return Sample(rel, fmt, columns, tuple(rows), size, used, complete=exhausted and not more,
                  stopped=stopped)


# --------------------------------------------------------------------------- JSON


def _scalar(value: Any) -> str | None:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return _clip(str(value))
    return None


def flatten(record: Any, prefix: str = "", depth: int = 0, out: dict[str, str] | None = None) -> dict[str, str]:
    """A JSON record as dotted column -> text; list items share their column (joined by " | ")."""
    if out is None:
        out = {}
    scalar = _scalar(record)
    if scalar is not None:
        key = prefix or "value"
        out[key] = f"{out[key]} | {scalar}" if key in out and out[key] else scalar
        return out
    if depth >= MAX_FLATTEN_DEPTH:
        return out
    if isinstance(record, dict):
        for k, v in list(record.items())[:MAX_COLUMNS]:
            flatten(v, f"{prefix}.{k}" if prefix else str(k), depth + 1, out)
    elif isinstance(record, list):
        for item in record[:MAX_LIST_ITEMS]:
            flatten(item, f"{prefix}[]" if prefix else "[]", depth + 1, out)
    return out


def _table(records: list[dict[str, str]]) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    columns: dict[str, None] = {}
    for r in records:
        for k in r:
            if len(columns) >= MAX_COLUMNS:
                break
            columns.setdefault(k, None)
    names = tuple(columns)
    rows = tuple(tuple(r.get(c, "") for c in names) for r in records)
    return names, rows


def read_jsonl(path: Path, rel: str, size: int, max_rows: int, max_bytes: int) -> Sample:
    raw, more = read_prefix(path, max_bytes)
    text = _decode(raw)
    lines = text.split("\n")
    if more and len(lines) > 1:
        lines = lines[:-1]
    records: list[dict[str, str]] = []
    bad = 0
    first_bad = None
    consumed_all = True
    used = 0
    for number, line in enumerate(lines, start=1):
        if len(records) >= max_rows:
            consumed_all = False
            break
        used += len(line) + 1
        line = line.strip()
        if not line:
            continue
        if len(line) > MAX_JSON_LINE:
            bad += 1
            first_bad = first_bad or f"line {number}: longer than {MAX_JSON_LINE} bytes (skipped)"
            continue
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):
            bad += 1
            first_bad = first_bad or f"line {number}: not valid JSON"
            continue
        records.append(flatten(obj))
    columns, rows = _table(records)
    stopped = f"{bad} unreadable line(s), first at {first_bad}" if bad else None
    used = len(raw) if consumed_all else min(len(raw), used)
    return Sample(rel, "jsonl", columns, rows, size, used, complete=consumed_all and not more,
                  stopped=stopped)


def _records_of(doc: Any) -> list[Any] | None:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        for v in doc.values():
            if isinstance(v, list) and v and isinstance(v[0], dict):
                return v
    return None


def _array_prefix(text: str, max_rows: int) -> tuple[list[Any], bool, str | None]:
    """Decode the elements of a top-level JSON array one by one, from a possibly truncated text."""
    decoder = json.JSONDecoder()
    i = len(text) - len(text.lstrip())
    if not text.startswith("[", i):
        return [], False, "not a JSON array"
    i += 1
    items: list[Any] = []
    n = len(text)
    while len(items) < max_rows:
        while i < n and text[i] in " \t\r\n,":
            i += 1
        if i >= n or text[i] == "]":
            return items, i < n, None
        try:
            obj, i = decoder.raw_decode(text, i)
        except (ValueError, RecursionError):
            return items, False, None
        items.append(obj)
    return items, False, None


def read_json(path: Path, rel: str, size: int, max_rows: int, max_bytes: int) -> Sample:
    raw, more = read_prefix(path, max_bytes)
    text = _decode(raw)
    records: list[Any] | None = None
    complete = False
    stopped = None
    if not more:
        try:
            records = _records_of(json.loads(text))
        except (ValueError, RecursionError):
            records = None
        if records is not None:
            complete = len(records) <= max_rows
    if records is None:
        records, closed, stopped = _array_prefix(text, max_rows)
        complete = closed and not more
    flat = [flatten(r) for r in records[:max_rows]]
    columns, rows = _table(flat)
    return Sample(rel, "json", columns, rows, size, len(raw), complete=complete, stopped=stopped)


def looks_like_json_records(head: bytes) -> bool:
    """A JSON document that starts as an array of objects."""
    text = head.lstrip()
    if not text.startswith(b"["):
        return False
    return text[1:].lstrip().startswith(b"{")


# --------------------------------------------------------------------------- Parquet


def parquet_available() -> bool:
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


def read_parquet(path: Path, rel: str, size: int, max_rows: int) -> Sample:
    """The first batch of at most ``max_rows`` rows (pyarrow reads the first row group only)."""
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ParquetUnavailable("pyarrow is not installed") from exc
    pf = pq.ParquetFile(str(path), pre_buffer=False)
    columns = tuple(pf.schema_arrow.names[:MAX_COLUMNS])
    total = pf.metadata.num_rows if pf.metadata is not None else None
    batch = next(pf.iter_batches(batch_size=max_rows, columns=list(columns)), None)
    records = batch.to_pylist() if batch is not None else []
    flat = [{c: (_scalar(r.get(c)) or "") for c in columns} for r in records]
    rows = tuple(tuple(f[c] for c in columns) for f in flat)
    complete = total is not None and len(rows) >= total
    return Sample(rel, "parquet", columns, rows, size, 0, complete=complete)
