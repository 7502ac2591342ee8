"""The HTML compliance report: one self-contained file (CSS inline, pictures as inline SVG, nothing
fetched) with a strict Content-Security-Policy. The PDF reporter renders the same template."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from auditor import resources
from auditor.reports._view import Limits, build_view
from auditor.reports.interface import Format, RenderContext, ReportError

TEMPLATE = "report.html.j2"
STYLESHEET = "report.css"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


@lru_cache(maxsize=4)
def environment(directory: Path | None = None) -> Any:
    """A jinja2 environment with autoescape on for every template (whatever its name)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory or resources.templates_dir())),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False, lstrip_blocks=False,
        keep_trailing_newline=True,
    )


def stylesheet_text() -> str:
    css = (resources.templates_dir() / STYLESHEET).read_text(encoding="utf-8")
    if "</" in css:  # never let a stylesheet close the <style> element it is inlined into
        raise ReportError(f"{STYLESHEET}: the packaged stylesheet must not contain '</'")
    return css


def render_html(results: Mapping[str, Any], ctx: RenderContext, *, inline_css: bool,
                limits: Limits | None = None) -> str:
    import jinja2
    from markupsafe import Markup

    view = build_view(results, ctx, limits)
    try:
        template = environment().get_template(TEMPLATE)
        return str(template.render(
            v=view,
            # the packaged stylesheet (trusted asset, not scanned text) is inlined as-is
            inline_css=Markup(stylesheet_text()) if inline_css else None,  # noqa: S704
            stylesheet_href=STYLESHEET,
        ))
    except jinja2.TemplateError as exc:
        raise ReportError(f"report template {TEMPLATE}: {exc}") from exc


class HtmlReporter:
    format = Format.HTML

    def render(self, results: Mapping[str, Any], ctx: RenderContext) -> bytes:
        return render_html(results, ctx, inline_css=True).encode("utf-8")
