"""Terminal output with rich: the stage table, then the findings, then the gate.

Scanned text is never interpreted as markup (rich ``Text`` objects, markup off) and control or
escape characters are shown escaped, so a file name cannot drive the terminal.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from auditor.reports._sections import excluded_count
from auditor.reports.interface import Format, RenderContext

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

SEV_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim"}
STATUS_STYLE = {"pass": "green", "fail": "bold red", "not_applicable": "dim", "not_gated": "dim yellow",
                "incomplete": "bold magenta"}


def clean(value: object) -> str:
    """Printable text: control and bidi characters become visible escapes."""
    text = str(value)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                        text)


def location(f: Mapping[str, Any]) -> str:
    loc = f.get("location", {})
    where = clean(loc.get("path", "."))
    if loc.get("cell"):
        where += f" cell {loc['cell']}"
    if loc.get("start_line"):
        where += f":{loc['start_line']}"
    return where


def render_console(console: Console, results: Mapping[str, Any], compact: bool = False) -> None:
    gate = results.get("gate", {})
    if not compact:
        table = Table(title="auditor — lifecycle stages", show_lines=False, expand=False)
        for col in ("stage", "status", "critical", "high", "medium", "low", "info", "controls failed"):
            table.add_column(col)
        for s in results.get("stages", []):
            counts = s.get("counts", {})
            failed = sum(1 for c in s.get("controls", []) if c["status"] == "fail")
            table.add_row(Text(s["title"]), Text(s["status"], style=STATUS_STYLE.get(s["status"], "")),
                          *[Text(str(counts.get(k, 0))) for k in ("critical", "high", "medium", "low", "info")],
                          Text(str(failed)))
        console.print(table)
    open_findings = [f for f in results.get("findings", []) if f.get("status") == "open"]
    for f in open_findings:
        line = Text()
        if compact:  # pre-commit: `path:line RULE-ID message [severity]`, one line each, editor-clickable
            line.append(location(f), style="bold")
            line.append(f" {f['rule_id']} ", style="magenta")
            line.append(clean(f.get("message", "")))
            line.append(f" [{f['severity']}]", style=SEV_STYLE.get(f["severity"], ""))
            console.print(line, soft_wrap=True)
            continue
        line.append(f"{f['severity'].upper():8}", style=SEV_STYLE.get(f["severity"], ""))
        line.append(" ")
        line.append(location(f), style="bold")
        line.append(f" {f['rule_id']} ", style="magenta")
        line.append(clean(f.get("message", "")))
        console.print(line, soft_wrap=compact)
        if not compact and f.get("location", {}).get("snippet"):
            console.print(Text("         " + clean(f["location"]["snippet"])[:200], style="dim"))
    others = len(results.get("findings", [])) - len(open_findings)
    excluded = excluded_count(results)
    summary = Text()
    decision = gate.get("decision", "?")
    summary.append(f"gate: {decision.upper()}", style=STATUS_STYLE.get(decision, "bold"))
    summary.append(f"  (exit {gate.get('exit_code')}, fail on {gate.get('fail_on')}; {len(open_findings)} open, "
                   f"{others} suppressed/waived/baselined; {results.get('inventory', {}).get('files', 0)} files"
                   + (f", {excluded} excluded" if excluded is not None else "") + ")")
    console.print(summary)
    if excluded:
        console.print(Text(f"  ! {excluded} file(s) excluded from the scan by the configuration or .gitignore: "
                           "not audited", style="yellow"))
    for reason in gate.get("reasons", []):
        console.print(Text("  - " + clean(reason)))


class TextReporter:
    format = Format.TEXT

    def render(self, results: Mapping[str, Any], ctx: RenderContext) -> bytes:
        buf = io.StringIO()
        console = Console(file=buf, force_terminal=ctx.color, color_system="standard" if ctx.color else None,
                          width=ctx.width, markup=False, highlight=False, emoji=False)
        render_console(console, results)
        return buf.getvalue().encode("utf-8")
