"""Notebook code cells as one Python source, with a map back to (cell, line).

IPython magics (``%x``, ``%%x``) and shell escapes (``!cmd``) become blank placeholder lines so that
the code parses and line numbers stay aligned; nothing in the notebook is executed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MAX_NOTEBOOK_DEPTH = 64
_SHELL_ASSIGN = re.compile(r"^\s*[A-Za-z_]\w*\s*=\s*[!%]")


class NotebookError(ValueError):
    """The notebook is not valid JSON or has no usable cells."""


@dataclass(frozen=True)
class NotebookSource:
    code: str
    # index i (0-based line of ``code``) -> (cell number 1-based, line within cell 1-based)
    line_map: tuple[tuple[int, int], ...]
    shell_lines: tuple[tuple[int, int, str], ...]  # (cell, line, command) of `!` and `%pip` lines

    def locate(self, line: int) -> tuple[int, int]:
        """(cell, line in cell) for a 1-based line of ``code``."""
        if 1 <= line <= len(self.line_map):
            return self.line_map[line - 1]
        return (0, line)


def _depth(obj: Any, limit: int) -> int:
    # iterative depth check: json.loads itself is recursive, deep documents are refused before use
    stack = [(obj, 1)]
    deepest = 0
    while stack:
        cur, d = stack.pop()
        deepest = max(deepest, d)
        if d > limit:
            return d
        if isinstance(cur, dict):
            stack.extend((v, d + 1) for v in cur.values())
        elif isinstance(cur, list):
            stack.extend((v, d + 1) for v in cur)
    return deepest


def load_json(raw: bytes) -> Any:
    try:
        doc = json.loads(raw.decode("utf-8", "replace"))
    except (ValueError, RecursionError) as exc:
        raise NotebookError(f"not valid JSON: {str(exc)[:120]}") from exc
    if _depth(doc, MAX_NOTEBOOK_DEPTH) > MAX_NOTEBOOK_DEPTH:
        raise NotebookError(f"nested deeper than {MAX_NOTEBOOK_DEPTH} levels")
    return doc


def cells(doc: Any) -> list[dict[str, Any]]:
    if not isinstance(doc, dict) or not isinstance(doc.get("cells"), list):
        raise NotebookError("no 'cells' list: not a Jupyter notebook (nbformat 4)")
    return [c for c in doc["cells"] if isinstance(c, dict)]


def cell_text(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    if isinstance(src, list):
        return "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def code_source(raw: bytes) -> NotebookSource:
    """All code cells of a notebook file's bytes, joined, with the line map."""
    doc = load_json(raw)
    lines: list[str] = []
    line_map: list[tuple[int, int]] = []
    shell: list[tuple[int, int, str]] = []
    for number, cell in enumerate(cells(doc), start=1):
        if cell.get("cell_type") != "code":
            continue
        in_cell_magic = False
        for i, line in enumerate(cell_text(cell).splitlines(), start=1):
            stripped = line.lstrip()
            if i == 1 and stripped.startswith("%%"):
                in_cell_magic = not stripped.startswith(("%%time", "%%timeit", "%%capture"))
                lines.append("")
            elif in_cell_magic:
                lines.append("")
            elif stripped.startswith("!") or stripped.startswith(("%pip", "%conda")):
                shell.append((number, i, stripped.lstrip("!%")))
                lines.append("")
            elif stripped.startswith(("%", "?")) or stripped.endswith("?"):
                lines.append("")
            elif _SHELL_ASSIGN.match(line):
                # `x = !cmd` (shell) or `x = %magic ...`: the command after the first ! or %
                shell.append((number, i, line.split("=", 1)[1].lstrip().lstrip("!%")))
                lines.append("")
            else:
                lines.append(line)
            line_map.append((number, i))
        # a blank separator line between cells keeps one cell's dangling block from the next
        lines.append("")
        line_map.append((number, 0))
    return NotebookSource(code="\n".join(lines) + "\n", line_map=tuple(line_map), shell_lines=tuple(shell))


def outputs_text(raw: bytes, limit: int = 5_000_000) -> list[tuple[int, str]]:
    """(cell number, text) of each code cell's outputs (stream text and text/plain data)."""
    doc = load_json(raw)
    out: list[tuple[int, str]] = []
    total = 0
    for number, cell in enumerate(cells(doc), start=1):
        for o in cell.get("outputs", []) or []:
            if not isinstance(o, dict):
                continue
            parts: list[str] = []
            text = o.get("text")
            if isinstance(text, (str, list)):
                parts.append("".join(text) if isinstance(text, list) else text)
            data = o.get("data")
            if isinstance(data, dict):
                for mime in ("text/plain", "text/html", "text/markdown"):
                    v = data.get(mime)
                    if isinstance(v, (str, list)):
                        parts.append("".join(x for x in v if isinstance(x, str)) if isinstance(v, list) else v)
            for p in parts:
                total += len(p)
                if total > limit:
                    return out
                out.append((number, p))
    return out
