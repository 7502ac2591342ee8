"""The reporter interface and the format registry (keyed by an enum, loaded lazily)."""

from __future__ import annotations

import enum
import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from auditor.errors import UsageError
from auditor.rules import Catalog


class Format(str, enum.Enum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    MARKDOWN = "markdown"
    GITLAB = "gitlab"
    HTML = "html"
    PDF = "pdf"
    CYCLONEDX = "cyclonedx"


REPORTERS: dict[Format, str] = {
    Format.TEXT: "auditor.reports.text:TextReporter",
    Format.JSON: "auditor.reports.json_report:JsonReporter",
    Format.SARIF: "auditor.reports.sarif:SarifReporter",
    Format.JUNIT: "auditor.reports.junit:JunitReporter",
    Format.MARKDOWN: "auditor.reports.markdown:MarkdownReporter",
    Format.GITLAB: "auditor.reports.gitlab:GitlabReporter",
    Format.HTML: "auditor.reports.html:HtmlReporter",
    Format.PDF: "auditor.reports.pdf:PdfReporter",
    Format.CYCLONEDX: "auditor.reports.cyclonedx:CycloneDxReporter",
}

# checked in order: the longest suffixes first
EXTENSIONS: tuple[tuple[str, Format], ...] = (
    (".cdx.json", Format.CYCLONEDX),
    ("code-quality.json", Format.GITLAB),
    (".gitlab.json", Format.GITLAB),
    (".sarif.json", Format.SARIF),
    (".sarif", Format.SARIF),
    (".json", Format.JSON),
    (".xml", Format.JUNIT),
    (".md", Format.MARKDOWN),
    (".html", Format.HTML),
    (".htm", Format.HTML),
    (".pdf", Format.PDF),
    (".txt", Format.TEXT),
)


@dataclass(frozen=True)
class RenderContext:
    catalog: Catalog | None = None
    color: bool = False
    width: int = 100
    # the raw bytes of the results document as written/read, for the digest on the PDF cover
    results_sha256: str | None = None


class Reporter(Protocol):
    format: Format

    def render(self, results: Mapping[str, Any], ctx: RenderContext) -> bytes:
        ...


class ReportError(UsageError):
    """A report cannot be rendered from this results document."""


def format_for_path(path: Path) -> Format:
    name = path.name.lower()
    for suffix, fmt in EXTENSIONS:
        if name.endswith(suffix):
            return fmt
    known = ", ".join(s for s, _ in EXTENSIONS)
    raise UsageError(f"{path}: cannot tell the report format from the file name (use one of: {known})")


def load(fmt: Format) -> Reporter:
    module_name, _, attr = REPORTERS[fmt].partition(":")
    module = importlib.import_module(module_name)
    reporter: Reporter = getattr(module, attr)()
    return reporter
