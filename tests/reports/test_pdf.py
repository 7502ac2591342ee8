"""The PDF sign-off report: text, outline, running header, page numbers."""

from __future__ import annotations

import io
import re
from typing import Any

import pypdf
import pytest

from auditor import resources
from auditor.reports.interface import RenderContext
from auditor.reports.pdf import make_fetcher, render_pdf

STAGE_TITLES = ["Problem Definition", "Data Build", "Model Train & Build", "Test", "Integrate & Release", "Deploy",
                "Operate / Model Serving", "Monitoring"]


def outline_titles(reader: pypdf.PdfReader) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []

    def walk(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, str(item.title)))

    walk(reader.outline, 0)
    return out


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def sample_pdf() -> tuple[bytes, list[str]]:
    from reports.sample import sample_results

    fetcher = make_fetcher(resources.templates_dir())
    data = render_pdf(sample_results(), RenderContext(results_sha256="e" * 64), fetcher=fetcher)
    return data, list(fetcher.requested)


def test_pdf_text_gate_stages_and_a_known_finding(sample_pdf: tuple[bytes, list[str]]) -> None:
    data, _ = sample_pdf
    assert data.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(data))
    pages = [flat(p.extract_text()) for p in reader.pages]
    text = " ".join(pages)
    assert "FAIL" in pages[0] and "gate decision" in pages[0]
    assert "e" * 64 in pages[0].replace(" ", "")  # the results digest on the cover
    for i, title in enumerate(STAGE_TITLES, 1):
        assert f"{i}. {title}" in text
    assert "Pickle imports posix.system" in text and "AKIA****" in text
    assert "Risk register (RATP)" in text and "Audit trail" in text and "Sign-off" in text
    # the additive sections: metric gates, sampling, acceptance waivers, diff base, excluded files
    assert "Metric gates" in text and "fairness.demographic_parity_difference" in text
    assert "What was sampled" in text and "first 2,000 rows" in text
    assert "Findings waived under risk acceptance" in text and "Dana Reviewer (CISO)" in text
    assert "4 excluded by the configuration or .gitignore" in pages[0]
    assert "Diff base origin/main" in text
    # running header with project and commit, page numbers
    assert "fraud-detector — commit 3f9d2c4b8e7a" in pages[2]
    assert f"Page 3 of {len(pages)}" in pages[2]
    assert "commit 3f9d2c4b8e7a" not in pages[0].split("commit 3f9d2c4b8e7a on branch")[0]


def test_pdf_outline_has_the_eight_stages(sample_pdf: tuple[bytes, list[str]]) -> None:
    reader = pypdf.PdfReader(io.BytesIO(sample_pdf[0]))
    titles = outline_titles(reader)
    top = [t for d, t in titles if d == 0]
    assert top[:2] == ["Executive summary", "Lifecycle stages"] and "Risk register (RATP)" in top
    stages = [t for d, t in titles if d == 1 and re.match(r"\d\. ", t)]
    assert [re.sub(r" (FAIL|PASS|N/A|NOT GATED|ERROR)$", "", t) for t in stages] == [
        f"{i}. {s}" for i, s in enumerate(STAGE_TITLES, 1)]


def test_pdf_fetches_only_the_packaged_stylesheet(sample_pdf: tuple[bytes, list[str]]) -> None:
    _, requested = sample_pdf
    root = resources.templates_dir().resolve().as_uri()
    assert requested == [f"{root}/report.css"]


def test_pdf_has_no_attachments_or_scripts(sample_pdf: tuple[bytes, list[str]]) -> None:
    data = sample_pdf[0]
    for marker in (b"/EmbeddedFile", b"/JavaScript", b"/JS ", b"/Launch", b"/FileAttachment"):
        assert marker not in data
