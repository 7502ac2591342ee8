"""Bounded rendering of large results, and every format end to end on the demo repository."""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pypdf
import pytest
from helpers import VULNDB

from auditor.cli import main
from auditor.reports.html import HtmlReporter
from auditor.reports.interface import RenderContext
from auditor.reports.pdf import PdfReporter
from reports.sample import large_results
from reports.test_pdf import STAGE_TITLES, outline_titles
from reports.test_sarif import sarif_errors


def test_html_of_5000_findings_is_bounded() -> None:
    doc = large_results(5000)
    start = time.perf_counter()
    html = HtmlReporter().render(doc, RenderContext()).decode()
    elapsed = time.perf_counter() - start
    print(f"\nHTML, 5000 findings: {elapsed:.2f} s, {len(html):,} bytes")
    assert elapsed < 10
    assert len(html) < 2_000_000
    shown = html.count("<span class=\"muted\">fp ")
    assert 100 <= shown <= 600
    assert "the full list is in results.json" in html


@pytest.mark.slow
def test_pdf_of_5000_findings_is_bounded() -> None:
    doc = large_results(5000)
    start = time.perf_counter()
    data = PdfReporter().render(doc, RenderContext())
    elapsed = time.perf_counter() - start
    pages = len(pypdf.PdfReader(io.BytesIO(data)).pages)
    print(f"\nPDF, 5000 findings: {elapsed:.2f} s, {pages} pages, {len(data):,} bytes")
    assert pages < 120
    assert elapsed < 120  # ~12 s on a loaded 2-core machine


@pytest.mark.slow
def test_every_format_on_the_demo_results(tmp_path: Path, demo_repo: Path) -> None:
    out = tmp_path / "out"
    names = ["results.json", "report.html", "report.pdf", "results.sarif", "junit.xml", "summary.md",
             "gl-code-quality.json"]
    args = ["scan", str(demo_repo), *[a for n in names for a in ("-o", str(out / n))], "--allow-incomplete"]
    if VULNDB.exists():
        args += ["--vuln-db", str(VULNDB)]
    rc = main(args)
    assert rc in (1, 3)  # the demo fails its gate on purpose
    results = json.loads((out / "results.json").read_text())
    known = next(f for f in results["findings"] if f["status"] == "open" and f["location"]["path"] != ".")
    digest = hashlib.sha256((out / "results.json").read_bytes()).hexdigest()

    # SARIF validates, one result per finding
    sarif = json.loads((out / "results.sarif").read_text())
    assert sarif_errors(sarif) == []
    assert len(sarif["runs"][0]["results"]) == len(results["findings"])
    # JUnit parses, one suite per stage (+ analyzers)
    junit = ET.fromstring((out / "junit.xml").read_bytes())
    assert len(junit.findall("testsuite")) == 9
    # GitLab: one issue per open finding
    gl = json.loads((out / "gl-code-quality.json").read_text())
    assert len(gl) == sum(f["status"] == "open" for f in results["findings"])
    md = (out / "summary.md").read_text()
    assert f"gate {results['gate']['decision'].upper()}" in md and "<details>" in md
    html = (out / "report.html").read_text()
    assert html.count('class="stage-title"') == 8 and known["rule_id"] in html
    # what other parts of the scan add to the document shows in the report
    excluded = results["audit"]["excluded_files"]
    assert sarif["runs"][0]["properties"]["excludedFiles"] == excluded
    assert f"{excluded} excluded by the configuration or .gitignore" in md
    test = html.split('id="stage-test"', 1)[1].split('id="stage-integrate-release"', 1)[0]
    for entry in results.get("metrics", []):
        assert entry["file"] in test and all(m["name"] in test for m in entry["metrics"])
    data = html.split('id="stage-data-build"', 1)[1].split('id="stage-model-build"', 1)[0]
    for path in results.get("data_audit", {}).get("datasets", {}):
        assert path in data
    waivers = html.split('id="risk-waivers"', 1)[1].split('id="audit"', 1)[0]
    for risk in results["risks"]:
        assert risk["status_reason"].split(";")[0].replace("'", "&#39;") in html
        for w in risk.get("waived", []):
            assert w["rule_id"] in waivers and (w["approved_by"] or "—") in waivers
    for a in results["analyzers"]:
        for note in a.get("notes", [])[:6]:
            assert note.replace("'", "&#39;")[:60] in html

    # the PDF: stages, gate, a known finding, outline; re-rendered later from the saved results
    assert main(["report", str(out / "results.json"), "-o", str(out / "again.pdf")]) == 0
    for pdf in (out / "report.pdf", out / "again.pdf"):
        reader = pypdf.PdfReader(str(pdf))
        text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))
        for i, title in enumerate(STAGE_TITLES, 1):
            assert f"{i}. {title}" in text
        assert results["gate"]["decision"].upper() in text
        assert known["rule_id"] in text
        stages = [t for d, t in outline_titles(reader) if d == 1 and re.match(r"\d\. ", t)]
        assert len(stages) == 8
    cover = re.sub(r"\s+", "", pypdf.PdfReader(str(out / "again.pdf")).pages[0].extract_text())
    assert digest in cover  # `auditor report` passes the digest of the file bytes
