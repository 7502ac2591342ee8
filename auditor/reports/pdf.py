"""The PDF sign-off report: the HTML report laid out by WeasyPrint.

Hardened: WeasyPrint gets a URL fetcher that serves only the packaged report assets (stylesheets and
images in ``report_templates/``) and refuses every other URL — http(s), file outside the assets,
data:, anything — and records what it was asked for; no attachments are embedded. Scanned text is
autoescaped in the template, so it can never become an element or a stylesheet in the first place.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from auditor import resources
from auditor.reports._view import Limits
from auditor.reports.html import render_html
from auditor.reports.interface import Format, RenderContext, ReportError

ASSET_SUFFIXES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}


class AssetOnlyFetcher:
    """Serves ``file:`` URLs of packaged assets inside ``root``; refuses everything else.

    ``requested`` lists every URL WeasyPrint asked for, ``refused`` the ones it did not get.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.requested: list[str] = []
        self.refused: list[str] = []

    def asset_path(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost") or parts.query:
            return None
        path = Path(unquote(parts.path))
        if ".." in path.parts or path.suffix.lower() not in ASSET_SUFFIXES:
            return None
        try:
            real = path.resolve(strict=True)
        except OSError:
            return None
        if real.parent != self.root or not real.is_file():
            return None
        return real

    def __call__(self, url: str) -> Any:
        return self.fetch(url)

    def fetch(self, url: str, headers: Any = None) -> Any:
        from weasyprint.urls import URLFetcherResponse

        self.requested.append(url)
        path = self.asset_path(url)
        if path is None:
            self.refused.append(url)
            raise ValueError(f"refused by the report URL policy: {url[:200]}")
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": ASSET_SUFFIXES[path.suffix.lower()]})


def make_fetcher(root: Path) -> Any:
    """An ``AssetOnlyFetcher`` that WeasyPrint accepts as its ``url_fetcher`` (a URLFetcher subclass
    in WeasyPrint >= 66; a plain callable before)."""
    try:
        from weasyprint.urls import URLFetcher
    except ImportError:  # pragma: no cover - older WeasyPrint takes any callable
        return AssetOnlyFetcher(root)

    class _Fetcher(AssetOnlyFetcher, URLFetcher):
        def __init__(self, root: Path) -> None:
            URLFetcher.__init__(self, timeout=1, allowed_protocols=("file",), allow_redirects=False,
                                fail_on_errors=False)
            AssetOnlyFetcher.__init__(self, root)

        def fetch(self, url: str, headers: Any = None) -> Any:
            return AssetOnlyFetcher.fetch(self, url, headers)

        def open(self, url: Any, data: Any = None, timeout: Any = None) -> Any:
            return AssetOnlyFetcher.fetch(self, getattr(url, "full_url", url))

        def __call__(self, url: str) -> Any:
            return AssetOnlyFetcher.fetch(self, url)

    return _Fetcher(root)


def render_pdf(results: Mapping[str, Any], ctx: RenderContext, *, limits: Limits | None = None,
               fetcher: Any = None) -> bytes:
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise ReportError(f"PDF reports need WeasyPrint and its system libraries (pango): {exc}") from exc
    root = resources.templates_dir().resolve()
    fetcher = fetcher if fetcher is not None else make_fetcher(root)
    html = render_html(results, ctx, inline_css=False, limits=limits)
    # WeasyPrint logs every refused URL and layout hint as a warning; keep them out of the CLI output
    logger = logging.getLogger("weasyprint")
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        document = weasyprint.HTML(string=html, base_url=root.as_uri() + "/", url_fetcher=fetcher)
        pdf: bytes = document.write_pdf(attachments=[], pdf_forms=False, custom_metadata=False)
    finally:
        logger.setLevel(previous)
    return pdf


class PdfReporter:
    format = Format.PDF

    def render(self, results: Mapping[str, Any], ctx: RenderContext) -> bytes:
        return render_pdf(results, ctx)
