"""The self-contained HTML report."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from helpers import catalog

from auditor.reports import interface
from auditor.reports.html import CSP, HtmlReporter
from auditor.reports.interface import RenderContext


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def render(doc: dict[str, Any], ctx: RenderContext | None = None) -> str:
    return HtmlReporter().render(doc, ctx or RenderContext()).decode("utf-8")


def test_registry_loads_every_reporter_of_this_module_set() -> None:
    for fmt in (interface.Format.HTML, interface.Format.PDF, interface.Format.SARIF, interface.Format.JUNIT,
                interface.Format.MARKDOWN, interface.Format.GITLAB):
        assert interface.load(fmt).format is fmt


def test_self_contained_with_strict_csp(sample: dict[str, Any]) -> None:
    html = render(sample)
    tags = tags_of(html)
    names = {t for t, _ in tags}
    assert "script" not in names and "link" not in names and "img" not in names and "iframe" not in names
    csp = [a for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and csp[0]["content"] == CSP and "default-src 'none'" in CSP
    # no reference leaves the file: only in-page anchors and SVG namespaces
    for _, attrs in tags:
        for key in ("src", "href", "action", "srcset", "poster", "data"):
            value = attrs.get(key)
            assert value is None or value.startswith("#"), (key, value)
    assert "url(" not in html and "@import" not in html
    assert "<style>" in html


def test_cover_summary_stages_audit_sbom_signoff(sample: dict[str, Any]) -> None:
    html = render(sample, RenderContext(results_sha256="d" * 64))
    assert "fraud-detector" in html and "3f9d2c4b8e7a6150c2d1e0f9a8b7c6d5e4f3a2b1" in html
    assert "release/1.4" in html and "0.1.0" in html and "9f2ca1" in html and "c0ffee" in html
    assert re.search(r'class="gate-mark gate-fail">\s*<div class="word">FAIL</div>', html)
    assert 'id="results-sha256">' + "d" * 64 in html
    for title in ("Problem Definition", "Data Build", "Model Train &amp; Build", "Test", "Integrate &amp; Release",
                  "Deploy", "Operate / Model Serving", "Monitoring"):
        assert 'class="stage-title">' in html and title in html
    assert html.count('class="stage-title"') == 8
    assert html.count("<svg") == 3  # pipeline, severity bars, heat map
    assert "notebooks/explore.ipynb:2 (cell 3)" in html
    assert "AKIA****" in html and "posix.system" in html
    assert "PYSEC-2024-259" in html and "fixed_versions: 2.2.2" in html
    assert "expired waiver" in html and "DOCKER-USER-001" in html and "2024-01-31" in html
    assert ".auditor-baseline.json" in html and "12 fingerprint(s), 2 matched" in html
    assert "modelscan is not installed" in html and "data/raw/huge.parquet" in html
    assert "5d41402abc4b2a76b9719d911017c592" in html and "CC-BY-4.0" in html
    assert "Dana Reviewer" in html and "Prepared by" in html and "Approved by" in html
    assert "if len(x) &lt; 3 and eval(expr):" in html


def test_renders_a_minimal_contract_document(sample: dict[str, Any]) -> None:
    minimal = {k: sample[k] for k in ("schema_version", "tool", "target", "started_at", "finished_at", "inventory",
                                      "analyzers", "findings", "stages", "risks", "gate")}
    minimal["target"] = {"root": "."}
    minimal["findings"] = [{k: v for k, v in f.items() if k != "properties"} for f in sample["findings"]]
    html = render(minimal, RenderContext(catalog=catalog()))
    assert "repository" in html and html.count('class="stage-title"') == 8
    assert "Software bill of materials" not in html
    # the cover digest falls back to the canonical JSON of the document
    from auditor.reports._text import canonical_sha256

    assert canonical_sha256(minimal) in html


def test_incomplete_gate(sample: dict[str, Any]) -> None:
    sample["gate"] = {"decision": "incomplete", "exit_code": 3, "reasons": ["analyzer bandit failed"]}
    sample["analyzers"][0].update(status="failed", reason="bandit crashed: exit 2")
    html = render(sample)
    assert '<div class="word">INCOMPLETE</div>' in html and "bandit crashed: exit 2" in html
