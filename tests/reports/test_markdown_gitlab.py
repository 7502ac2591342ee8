"""Markdown PR comment (golden file) and GitLab Code Quality JSON.

Regenerate the golden file after an intended change with
``AUDITOR_UPDATE_GOLDEN=1 .venv/bin/pytest tests/reports/test_markdown_gitlab.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from auditor.reports.gitlab import SEVERITY, GitlabReporter
from auditor.reports.interface import RenderContext
from auditor.reports.markdown import MarkdownReporter

GOLDEN = Path(__file__).parent / "golden" / "summary.md"


def test_markdown_matches_the_golden_file(sample: dict[str, Any]) -> None:
    md = MarkdownReporter().render(sample, RenderContext(results_sha256="f" * 64)).decode()
    if os.environ.get("AUDITOR_UPDATE_GOLDEN"):
        GOLDEN.write_text(md, encoding="utf-8")
    assert md == GOLDEN.read_text(encoding="utf-8"), "run with AUDITOR_UPDATE_GOLDEN=1 and review the diff"


def test_markdown_content(sample: dict[str, Any]) -> None:
    md = MarkdownReporter().render(sample, RenderContext()).decode()
    assert md.startswith("## ❌ AI/ML audit: gate FAIL")
    assert md.count("<details>") == md.count("</details>") == 9  # 8 stages with findings + risk register
    assert "| 3. Model Train &amp; Build | ❌ fail | 2/3/1/0/0 | 5 of 6 |" in md
    top = md.split("### Top findings", 1)[1].split("<details>", 1)[0]
    assert top.count("\n| 🟥 critical") == 4 and "suppressed" not in top
    assert "expired waiver" in md
    sample["gate"] = {"decision": "pass", "exit_code": 0, "reasons": []}
    sample["findings"] = []
    md = MarkdownReporter().render(sample, RenderContext()).decode()
    assert md.startswith("## ✅ AI/ML audit: gate PASS") and "No open findings." in md


def test_gitlab_code_quality(sample: dict[str, Any]) -> None:
    issues = json.loads(GitlabReporter().render(sample, RenderContext()))
    open_findings = [f for f in sample["findings"] if f["status"] == "open"]
    assert len(issues) == len(open_findings)
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in {"blocker", "critical", "major", "minor", "info"}
        assert issue["location"]["path"] and issue["location"]["lines"]["begin"] >= 1
    first = issues[0]
    assert first["check_name"] == "GOV-RATP-002" and first["location"] == {"path": "ratp.yaml",
                                                                             "lines": {"begin": 14, "end": 14}}
    card = next(i for i in issues if i["check_name"] == "GOV-CARD-001")
    assert card["location"]["path"] == ".auditor.yaml" and "repository-level" in card["description"]
    pickle = next(i for i in issues if i["check_name"] == "MODEL-PICKLE-001")
    assert pickle["severity"] == SEVERITY["critical"] == "blocker"
    nb = next(i for i in issues if "cell 3" in i["description"])
    assert nb["location"]["path"] == "notebooks/explore.ipynb"


def test_gitlab_fingerprints_stay_unique(sample: dict[str, Any]) -> None:
    dup = dict(sample["findings"][0])
    sample["findings"].append(dup)
    issues = json.loads(GitlabReporter().render(sample, RenderContext()))
    assert len({i["fingerprint"] for i in issues}) == len(issues)
