"""The additive sections of the results document in the reports: the risk register's acceptance
fields (status reason, waived findings with approver and expiry, open stages, residual scores), metric
gates in the Test stage, dataset sampling in the Data Build stage, the diff base, analyzer notes and
cache counts, and the count of excluded files in every output format (issue 10)."""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from html import unescape
from typing import Any

from auditor.reports import interface
from auditor.reports._view import build_view
from auditor.reports.html import HtmlReporter
from auditor.reports.interface import Format, RenderContext
from auditor.reports.junit import JunitReporter
from auditor.reports.markdown import MarkdownReporter
from auditor.reports.sarif import SarifReporter
from auditor.reports.text import TextReporter
from reports.test_injection import payloads, poisoned


def _html(doc: dict[str, Any]) -> str:
    return HtmlReporter().render(doc, RenderContext()).decode()


def _section(html: str, start: str, end: str) -> str:
    """The HTML between two element ids, as plain text."""
    body = html.split(f'id="{start}"', 1)[1].split(f'id="{end}"', 1)[0]
    body = re.sub(r"</?(td|th|tr|li|p|br|div|h\d|ul|table|thead|tbody)\b[^>]*>", " ", body)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", body)))


# ------------------------------------------------------------------ risk register


def test_risk_register_shows_reason_open_stages_and_residual(sample: dict[str, Any]) -> None:
    text = _section(_html(sample), "risks", "audit")
    assert "acceptance expired on 2024-06-01; 0 finding(s) open again" in text
    assert "2 open finding(s) and ratp.yaml gives no treatment" in text
    # R-UNSAFE-DESERIALIZATION: open in data-build? no: model-build only; residual 2 x 5 = 10
    unsafe = text.split("R-UNSAFE-DESERIALIZATION", 1)[1].split("R-SECRET-LEAKAGE", 1)[0]
    assert "Open in: Model Train & Build" in unsafe
    assert "20 4 × 5" in unsafe and "10 2 × 5" in unsafe


def test_findings_waived_under_an_acceptance_name_approver_and_expiry(sample: dict[str, Any]) -> None:
    html = _html(sample)
    text = _section(html, "risk-waivers", "audit")
    row = text.split("R-COMPROMISED-DEPENDENCY", 1)[1]
    assert "ACCEPTED 1 finding waived; accepted by Dana Reviewer (CISO) on 2025-01-10, expires 2099-01-10" in row
    assert "DEP-VULN-001" in row and "requirements.txt:7" in row
    assert "the RATP acceptance Dana Reviewer (CISO) 2099-01-10" in row
    # the register links to the waived list
    assert 'href="#waived-R-COMPROMISED-DEPENDENCY"' in html and 'id="waived-R-COMPROMISED-DEPENDENCY"' in html


def test_waived_list_falls_back_to_the_findings_acceptance(sample: dict[str, Any]) -> None:
    for r in sample["risks"]:
        del r["waived"]
    v = build_view(sample, RenderContext())
    (risk,) = v["waived_risks"]
    assert risk["id"] == "R-COMPROMISED-DEPENDENCY"
    (w,) = risk["waived"]
    assert (w["rule_id"], w["location"], w["approved_by"], w["until"]) == (
        "DEP-VULN-001", "requirements.txt:7", "Dana Reviewer", "2099-01-10")


def test_no_waived_findings_says_so(sample: dict[str, Any]) -> None:
    for r in sample["risks"]:
        r["waived"] = []
    assert "No finding is waived under a risk acceptance." in _html(sample)


# ------------------------------------------------------------------ stage sections


def test_metric_gates_in_the_test_stage(sample: dict[str, Any]) -> None:
    html = _html(sample)
    test = _section(html, "stage-test", "stage-integrate-release")
    assert "Metric gates" in test and "1 pass, 1 fail, 1 missing or not a number" in test
    assert "accuracy 0.93 >= 0.90 PASS" in test
    assert "fairness.demographic_parity_difference 0.14 <= 0.10 FAIL" in test
    assert "robustness.auc_drop — <= 0.05 MISSING" in test
    assert "metrics/missing.csv (csv) — error: does not exist" in test
    other = _section(html, "stage-data-build", "stage-test")
    assert "Metric gates" not in other


def test_data_sampling_in_the_data_build_stage(sample: dict[str, Any]) -> None:
    html = _html(sample)
    data = _section(html, "stage-data-build", "stage-model-build")
    assert "What was sampled" in data and "2 dataset(s) read" in data and "at most 2000 rows or 8.0 MB" in data
    assert "data/customers.csv csv · 19.3 KB all 500 rows (19.3 KB)" in data
    assert "email: email in 485 of 500 rows (97%), e.g. j***@e***.com" in data
    assert "first 2,000 rows (first 8.0 MB of 70.0 MB) 8.0 MB read, partial" in data
    assert "Fairness evidence: found — fairness threshold" in data
    assert "What was sampled" not in _section(html, "stage-model-build", "stage-test")


def test_older_documents_render_without_the_new_sections(sample: dict[str, Any]) -> None:
    for key in ("metrics", "data_audit"):
        del sample[key]
    del sample["audit"]["diff_base"], sample["audit"]["excluded_files"], sample["inventory"]["excluded"]
    for r in sample["risks"]:
        for key in ("status_reason", "open_stages", "waived"):
            del r[key]
    for a in sample["analyzers"]:
        a.pop("notes", None)
        a.pop("cached_files", None)
    html = _html(sample)
    assert "Metric gates" not in html and "What was sampled" not in html and "Diff base" not in html
    assert "The results do not record how many files were excluded." in html
    md = MarkdownReporter().render(sample, RenderContext()).decode()
    assert "**Scope:** 57 file\\(s\\) scanned, 2 skipped" in md


# ------------------------------------------------------------------ audit trail


def test_diff_base_analyzer_notes_and_cache_in_the_audit_trail(sample: dict[str, Any]) -> None:
    html = _html(sample)
    audit = _section(html, "audit", "sbom")
    assert "Diff base origin/main (commit 8c1d0e2f3a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9)" in audit
    assert "21 finding(s) there, 2 of this scan's findings matched" in audit
    assert "pickle 0.1.0 OK 3 1 0.05 s 1 pickle stream(s) read by opcode, none loaded" in audit
    cover = _section(html, "cover", "summary")
    assert "only findings new since origin/main (8c1d0e2f3a4b) gate" in cover
    sample["audit"]["diff_base"]["base_incomplete"] = True
    assert "The scan of the diff base was incomplete" in _html(sample)


# ------------------------------------------------------------------ excluded files in every format


def _with_excluded(sample: dict[str, Any], n: int) -> dict[str, Any]:
    doc = copy.deepcopy(sample)
    doc["inventory"]["excluded"] = doc["audit"]["excluded_files"] = n
    return doc


def test_excluded_count_in_html(sample: dict[str, Any]) -> None:
    html = _html(_with_excluded(sample, 7))
    cover = _section(html, "cover", "summary")
    assert "57 file(s) scanned, 7 excluded by the configuration or .gitignore, 2 skipped" in cover
    assert "7 file(s) excluded from the scan" in cover
    assert "57 / 7files scanned / excluded" in _section(html, "summary", "stages")
    assert "7 file(s) excluded from the scan by the configuration's exclude patterns" in _section(html, "audit", "sbom")
    zero = _html(_with_excluded(sample, 0))
    assert "0 files excluded by the configuration or .gitignore." in _section(zero, "audit", "sbom")
    assert "file(s) excluded from the scan" not in zero


def test_excluded_count_in_markdown(sample: dict[str, Any]) -> None:
    md = MarkdownReporter().render(_with_excluded(sample, 7), RenderContext()).decode()
    assert "⚠️ **Scope:** 57 file\\(s\\) scanned, 7 excluded by the configuration or .gitignore, 2 skipped" in md
    md = MarkdownReporter().render(_with_excluded(sample, 0), RenderContext()).decode()
    assert "\n**Scope:** 57 file\\(s\\) scanned, 0 excluded by the configuration" in md


def test_excluded_count_in_sarif_run_properties(sample: dict[str, Any]) -> None:
    run = json.loads(SarifReporter().render(_with_excluded(sample, 7), RenderContext()))["runs"][0]
    assert run["properties"]["excludedFiles"] == 7 and run["properties"]["filesScanned"] == 57
    assert "7 excluded" in run["properties"]["scope"]
    assert run["properties"]["commit"].startswith("3f9d2c4b")
    assert run["properties"]["diffBase"]["ref"] == "origin/main"


def test_excluded_count_in_junit(sample: dict[str, Any]) -> None:
    root = ET.fromstring(JunitReporter().render(_with_excluded(sample, 7), RenderContext()))
    suite = root.find("testsuite[@name='analyzers']")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["inventory.excluded_files"] == "7" and props["inventory.files"] == "57"
    out = suite.find("system-out")
    assert out is not None and "7 excluded by the configuration" in (out.text or "")
    # properties come first, system-out last (the JUnit schema's order)
    assert list(suite)[0].tag == "properties" and list(suite)[-1].tag == "system-out"


def test_excluded_count_in_text(sample: dict[str, Any]) -> None:
    text = TextReporter().render(_with_excluded(sample, 7), RenderContext(width=200)).decode()
    assert "57 files, 7 excluded)" in text
    assert "7 file(s) excluded from the scan by the configuration or .gitignore: not audited" in text
    text = TextReporter().render(_with_excluded(sample, 0), RenderContext(width=200)).decode()
    assert "57 files, 0 excluded)" in text and "not audited" not in text


def test_gitlab_cannot_carry_the_excluded_count(sample: dict[str, Any]) -> None:
    # GitLab Code Quality is a bare JSON array of issues: there is no place for run-level facts such
    # as the excluded-file count. The count reaches GitLab through the judge's AUDIT-EXCLUDE-*
    # finding (an ordinary issue) and the other artifacts of the same job (SARIF, JUnit, Markdown).
    issues = json.loads(interface.load(Format.GITLAB).render(_with_excluded(sample, 7), RenderContext()))
    assert isinstance(issues, list) and all(i["type"] == "issue" for i in issues)


# ------------------------------------------------------------------ hardening of the new fields


def test_new_fields_render_as_inert_text(sample: dict[str, Any]) -> None:
    doc = poisoned(sample, "http://127.0.0.1:9")
    html = _html(doc)
    test = html.split('id="stage-test"', 1)[1].split('id="stage-integrate-release"', 1)[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in test  # the metric name, escaped
    data = html.split('id="stage-data-build"', 1)[1].split('id="stage-model-build"', 1)[0]
    assert "&lt;link rel=attachment href=file:///etc/passwd&gt;" in data  # the dataset path
    waived = html.split('id="risk-waivers"', 1)[1].split('id="audit"', 1)[0]
    assert "&lt;/pre&gt;&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;" in waived  # the acceptance's "via"
    assert "<script" not in html.split("</head>", 1)[1]
    md = MarkdownReporter().render(doc, RenderContext()).decode()
    assert payloads("x")[0] not in md and "&lt;script&gt;" in md.split("### Metric gates", 1)[1]
