"""Inline suppressions: ``# auditor: ignore[RULE-ID, RULE-ID] reason``.

A suppression covers findings of the named rules on its own line and on the next line (a comment
on its own line above the code). A reason is required: without one the suppression is not honoured
and is itself reported. A suppression that covers nothing is reported as unused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from auditor import notebooks
from auditor.model import Asset, Finding

MARKER = b"auditor: ignore["
_SUPPRESS = re.compile(r"auditor: ignore\[([^\]]*)\][ \t]*([^\r\n]*)")
_ID = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-\d{3}$")
TEXT_KINDS = frozenset({"python", "notebook", "dependency", "container", "iac", "pipeline", "config", "doc",
                        "other", "data"})
MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Suppression:
    path: str
    line: int
    cell: int | None
    rules: tuple[str, ...]
    reason: str
    used: bool = False

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"path": self.path, "line": self.line, "rules": list(self.rules),
                                  "reason": self.reason, "used": self.used}
        if self.cell is not None:
            out["cell"] = self.cell
        return out


def _parse_lines(path: str, lines: Sequence[tuple[int | None, int, str]]) -> list[Suppression]:
    out = []
    for cell, number, line in lines:
        if "auditor: ignore[" not in line:
            continue
        for m in _SUPPRESS.finditer(line):
            ids = tuple(sorted({p.strip() for p in m.group(1).split(",") if p.strip()}))
            reason = m.group(2).strip().rstrip("*/-#>").strip()
            out.append(Suppression(path=path, line=number, cell=cell, rules=ids, reason=reason))
    return out


def collect(assets: Sequence[Asset]) -> list[Suppression]:
    """Every inline suppression in the text assets (files without the marker are skipped fast)."""
    found: list[Suppression] = []
    for asset in assets:
        if asset.kind not in TEXT_KINDS or asset.size > MAX_BYTES or asset.kind == "model":
            continue
        try:
            raw = asset.abspath.read_bytes()
        except OSError:
            continue
        if MARKER not in raw:
            continue
        if asset.kind == "notebook":
            try:
                cells = notebooks.cells(notebooks.load_json(raw))
            except notebooks.NotebookError:
                continue
            nb_lines = [(n, i, text) for n, c in enumerate(cells, start=1)
                        for i, text in enumerate(notebooks.cell_text(c).splitlines(), start=1)]
            found.extend(_parse_lines(asset.path, nb_lines))
        else:
            text = raw.decode("utf-8", "replace")
            found.extend(_parse_lines(asset.path, [(None, i, t) for i, t in enumerate(text.splitlines(), 1)]))
    return found


def apply(findings: list[Finding], suppressions: list[Suppression]) -> tuple[list[Finding], list[Suppression]]:
    """Mark covered findings ``suppressed``; returns findings and suppressions with ``used`` set."""
    index: dict[tuple[str, int | None, int], list[int]] = {}
    for i, s in enumerate(suppressions):
        for line in (s.line, s.line + 1):
            index.setdefault((s.path, s.cell, line), []).append(i)
    used = [False] * len(suppressions)
    out = []
    for f in findings:
        hit = None
        if f.start_line is not None:
            for i in index.get((f.path, f.cell, f.start_line), []):
                s = suppressions[i]
                if f.rule_id in s.rules and s.reason:
                    hit = s
                    used[i] = True
                    break
        if hit is not None and f.status == "open":
            f = replace(f, status="suppressed", status_reason=f"inline: {hit.reason}")
        out.append(f)
    return out, [replace(s, used=u) for s, u in zip(suppressions, used, strict=True)]


def problems(suppressions: Sequence[Suppression], known_rules: frozenset[str]) -> list[tuple[str, Suppression, str]]:
    """(rule id, suppression, message) for suppressions without a reason and unused ones."""
    out = []
    for s in suppressions:
        where = f"line {s.line}" + (f" of cell {s.cell}" if s.cell else "")
        if not s.reason:
            out.append(("AUDIT-SUPPRESS-001", s, f"suppression of {', '.join(s.rules) or '(no rule)'} at {where} "
                                                  f"has no reason and is not honoured"))
        elif not s.used:
            unknown = [r for r in s.rules if r not in known_rules or not _ID.match(r)]
            detail = f" (unknown rule: {', '.join(unknown)})" if unknown else ""
            out.append(("AUDIT-SUPPRESS-002", s, f"suppression of {', '.join(s.rules) or '(no rule)'} at {where} "
                                                  f"suppresses nothing{detail}"))
    return out
