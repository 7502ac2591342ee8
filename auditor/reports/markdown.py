"""Markdown for a pull-request comment: gate, stage table, top findings, collapsed details.

The template (``report_templates/summary.md.j2``) is rendered with an escaping ``finalize``: every
``{{ value }}`` is Markdown-escaped (no HTML, links, emphasis, table breaks, @mentions) unless the
code marked it as trusted Markup, the Markdown counterpart of HTML autoescape.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from auditor import resources
from auditor.reports._text import md_escape
from auditor.reports._view import Limits, build_view, top_findings
from auditor.reports.interface import Format, RenderContext, ReportError

TEMPLATE = "summary.md.j2"
GATE_ICON = {"pass": "✅", "fail": "❌", "incomplete": "⚠️"}
STATUS_ICON = {"pass": "✅", "fail": "❌", "not_applicable": "➖", "not_gated": "ℹ️", "waived": "🟣", "error": "⚠️"}
SEVERITY_ICON = {"critical": "🟥", "high": "🔴", "medium": "🟠", "low": "🟡", "info": "⚪"}
MAX_DETAILS_PER_STAGE = 30


def _finalize(value: Any) -> Any:
    from markupsafe import Markup

    if isinstance(value, Markup):
        return str(value)
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return md_escape(value)


@lru_cache(maxsize=2)
def environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.templates_dir())), autoescape=False,  # noqa: S701
        finalize=_finalize, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_markdown(results: Mapping[str, Any], ctx: RenderContext, limits: Limits | None = None) -> str:
    import jinja2
    from markupsafe import Markup

    limits = limits or Limits()
    view = build_view(results, ctx, limits)
    top = top_findings(results, limits.top, limits)
    details = []
    for s in view["stages"]:
        rows = []
        for g in s["groups"]:
            for file in g["files"]:
                rows.extend(file["findings"])
        hidden = s["findings_total"] - min(len(rows), MAX_DETAILS_PER_STAGE)
        details.append({"stage": s, "rows": rows[:MAX_DETAILS_PER_STAGE], "hidden": hidden})
    try:
        text = environment().get_template(TEMPLATE).render(
            v=view, top=top, details=details, gate_icon=Markup(GATE_ICON.get(view["gate"]["decision"], "")),
            status_icon={k: Markup(x) for k, x in STATUS_ICON.items()},
            severity_icon={k: Markup(x) for k, x in SEVERITY_ICON.items()}, raw=Markup,
        )
    except jinja2.TemplateError as exc:
        raise ReportError(f"report template {TEMPLATE}: {exc}") from exc
    return str(text)


class MarkdownReporter:
    format = Format.MARKDOWN

    def render(self, results: Mapping[str, Any], ctx: RenderContext) -> bytes:
        return render_markdown(results, ctx).encode("utf-8")
