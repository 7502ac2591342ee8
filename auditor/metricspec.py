"""Metric gates: the ``metrics:`` section of the configuration and the metrics files it names.

```yaml
metrics:
  - file: reports/metrics.json           # relative to the scanned root; may not leave it
    format: json                         # optional: json | yaml | csv (default: from the extension)
    thresholds:
      accuracy: ">= 0.90"
      "fairness.demographic_parity_difference": "<= 0.10"
```

A threshold is an operator (``>=``, ``>``, ``<=``, ``<``, ``==``, ``!=``) and a number. A metric name
is looked up as a literal key first, then as a dotted path into nested mappings (a numeric segment
indexes a list). Values must be numbers (a string holding a finite number is accepted, as CSV values
always are); booleans, NaN and infinities are not numbers. ``==`` and ``!=`` compare with a relative
tolerance of 1e-9.

CSV files come in two shapes: rows of ``name,value`` (a first row ``name,value``, ``metric,value`` or
``key,value`` is a header and skipped), or a header row of metric names with exactly one data row.
A file whose rows all have two cells and whose first row ends in a number is read as name,value rows.

Malformed thresholds and paths that leave the root are configuration errors (exit 2), checked when
the configuration is loaded; a missing file, missing metric, non-numeric value or a value past its
threshold is a finding (see rules/metrics.yaml).
"""

from __future__ import annotations

import csv
import io
import json
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from auditor.errors import ConfigError

MAX_BYTES = 10 * 1024 * 1024
FORMATS = ("json", "yaml", "csv")

_THRESHOLD = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda a, b: a >= b or _close(a, b), ">": operator.gt,
    "<=": lambda a, b: a <= b or _close(a, b), "<": operator.lt,
    "==": _close, "!=": lambda a, b: not _close(a, b),
}


@dataclass(frozen=True)
class Threshold:
    metric: str
    op: str
    limit: float
    text: str  # as written, normalised: ">= 0.9"

    def holds(self, value: float) -> bool:
        return OPS[self.op](value, self.limit)


@dataclass(frozen=True)
class MetricsFile:
    file: str
    format: str
    thresholds: tuple[Threshold, ...]
    index: int


def parse_threshold(metric: str, text: str, where: str) -> Threshold:
    m = _THRESHOLD.match(text) if isinstance(text, str) else None
    if not m:
        raise ConfigError(f"{where}: threshold '{text}' is not valid: write an operator (>=, >, <=, <, ==, !=) "
                          f"and a number, e.g. \">= 0.90\"")
    limit = float(m.group(2))
    return Threshold(metric=metric, op=m.group(1), limit=limit, text=f"{m.group(1)} {m.group(2)}")


def check_relative(path: str, where: str) -> str:
    """A path from the configuration that must stay inside the scanned root."""
    p = PurePosixPath(path.replace("\\", "/"))
    if not path.strip() or p.is_absolute() or re.match(r"^[A-Za-z]:", path) or ".." in p.parts:
        raise ConfigError(f"{where}: '{path}' must be a path relative to the scanned root that stays inside it "
                          f"(no absolute paths, no '..')")
    return str(p)


def format_of(file: str, declared: str | None) -> str:
    if declared:
        return declared
    low = file.lower()
    if low.endswith((".yaml", ".yml")):
        return "yaml"
    if low.endswith((".csv", ".tsv")):
        return "csv"
    return "json"


def parse_config(section: Any, source: str = "configuration") -> list[MetricsFile]:
    """The ``metrics`` section (already schema-checked) as MetricsFiles; ConfigError names the key."""
    out = []
    for i, item in enumerate(section or []):
        where = f"{source}: metrics[{i}]"
        file = check_relative(str(item["file"]), f"{where}.file")
        thresholds = []
        for key, text in (item.get("thresholds") or {}).items():
            if not str(key).strip():
                raise ConfigError(f"{where}.thresholds: a metric name is empty")
            thresholds.append(parse_threshold(str(key), text, f"{where}.thresholds.{key}"))
        if not thresholds:
            raise ConfigError(f"{where}.thresholds: declare at least one threshold, e.g. accuracy: \">= 0.90\"")
        out.append(MetricsFile(file=file, format=format_of(file, item.get("format")),
                               thresholds=tuple(thresholds), index=i))
    return out


def validate_config(data: Mapping[str, Any], source: str) -> None:
    """Semantic checks the JSON schema cannot express (called by auditor.config.validate)."""
    if data.get("metrics"):
        parse_config(data["metrics"], source)
    if isinstance(data.get("ratp"), str):  # the plan, like metrics files, lives inside the scanned root
        check_relative(data["ratp"], f"{source}: ratp")


# ------------------------------------------------------------------------------------------ reading

class MetricsReadError(Exception):
    """The metrics file cannot be read or parsed; the message says why (becomes a finding)."""


def read_document(path: Path, fmt: str) -> Any:
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise MetricsReadError(f"cannot read: {exc.strerror}") from exc
    if len(raw) > MAX_BYTES:
        raise MetricsReadError(f"larger than {MAX_BYTES} bytes")
    text = raw.decode("utf-8-sig", "replace")
    if fmt == "json":
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise MetricsReadError(f"not valid JSON: {exc}") from exc
    if fmt == "yaml":
        import yaml

        from auditor import yamlio

        try:
            return yamlio.load(text)
        except yaml.YAMLError as exc:
            raise MetricsReadError(f"not valid YAML at {yamlio.error_location(exc)}") from exc
        except (ValueError, TypeError, RecursionError) as exc:  # an impossible date, deep nesting
            raise MetricsReadError(f"not readable YAML: {exc}") from exc
    return read_csv(text)


def read_csv(text: str) -> dict[str, str]:
    try:
        rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    except csv.Error as exc:
        raise MetricsReadError(f"not valid CSV: {exc}") from exc
    rows = [[c.strip() for c in r] for r in rows]
    if not rows:
        raise MetricsReadError("empty CSV file")
    two = all(len(r) == 2 for r in rows)
    if two and rows[0][0].lower() in ("name", "metric", "key") and rows[0][1].lower() in ("value", "score"):
        return {r[0]: r[1] for r in rows[1:]}
    if two and as_number(rows[0][1]) is not None:
        return {r[0]: r[1] for r in rows}
    if len(rows) == 2 and len(rows[0]) == len(rows[1]):
        return dict(zip(rows[0], rows[1], strict=True))
    raise MetricsReadError("CSV must hold name,value rows or a header row with exactly one data row")


_MISSING = object()


def lookup(doc: Any, name: str) -> Any:
    """The value at ``name``: a literal key first, then a dotted path; ``_MISSING`` when absent."""
    if isinstance(doc, Mapping) and name in doc:
        return doc[name]
    node = doc
    for part in name.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def is_missing(value: Any) -> bool:
    return value is _MISSING


def as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        f = float(value)
    elif isinstance(value, str):
        try:
            f = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return f if math.isfinite(f) else None


def show(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def key_line(text: Sequence[str], name: str) -> int | None:
    """Best effort: the line of the metric's last key in a JSON/YAML text."""
    last = name.split(".")[-1]
    pat = re.compile(r'^\s*(?:"' + re.escape(last) + r'"|\'' + re.escape(last) + r"'|" + re.escape(last) + r")\s*:")
    pat_full = re.compile(r'^\s*"' + re.escape(name) + r'"\s*:')
    for pattern in (pat_full, pat):
        for i, line in enumerate(text, start=1):
            if pattern.search(line):
                return i
    return None
