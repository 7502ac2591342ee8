"""The presence analyzer: required files, forbidden files, content conditions, counts, messages."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import DEMO, run_analyzer, write_tree

from auditor.analyzers.interface import AnalysisContext, AnalyzerOutput, ScanOptions
from auditor.analyzers.presence import PresenceAnalyzer
from auditor.config import Config
from auditor.discover import discover
from auditor.errors import RuleError
from auditor.model import Rule, StageSpec
from auditor.rules import load_pack


def make_rule(match: Mapping[str, Any], rule_id: str = "TEST-PRESENCE-001") -> Rule:
    return Rule(id=rule_id, title="Test presence", stage=StageSpec(default="problem-definition"),
                severity="medium", risks=("R-GOVERNANCE-GAP",), applies_to=("repo",), source="presence",
                match=match, description="test rule", remediation="Add the file. More text.",
                references=("ISO-42001-6.1",), scope="repo")


def run_rules(root: Path, rules: Sequence[Rule], all_paths: frozenset[str] | None = None) -> AnalyzerOutput:
    inv = discover(root, Config(data={}))
    ctx = AnalysisContext(root=inv.root, inventory=inv.assets, options=ScanOptions(),
                          all_paths=inv.all_paths if all_paths is None else all_paths)
    return PresenceAnalyzer().analyze(ctx, list(inv.assets), rules)


def test_missing_file_is_reported_on_the_repository(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": "x\n"})
    [f] = run_rules(tmp_path, [make_rule({"any_of": ["/SECURITY.md", "/.github/SECURITY.md"]})]).findings
    assert (f.path, f.start_line, f.kind) == (".", None, "repo")
    assert "/SECURITY.md" in f.message and "Add one" in f.message
    assert f.fingerprint_key == "missing:TEST-PRESENCE-001"


def test_custom_message(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": "x\n"})
    [f] = run_rules(tmp_path, [make_rule({"any_of": ["SECURITY.md"], "message": "Add SECURITY.md now"})]).findings
    assert f.message == "Add SECURITY.md now"


def test_present_file_passes_and_anchoring(tmp_path: Path) -> None:
    write_tree(tmp_path, {"docs/SECURITY.md": "x\n"})
    anchored = make_rule({"any_of": ["/SECURITY.md"]})
    anywhere = make_rule({"any_of": ["SECURITY.md"]}, rule_id="TEST-PRESENCE-002")
    assert [f.rule_id for f in run_rules(tmp_path, [anchored, anywhere]).findings] == ["TEST-PRESENCE-001"]


def test_contains_condition(tmp_path: Path) -> None:
    write_tree(tmp_path, {"jobs/a.py": "import pandas\n", "jobs/b.py": "# uses evidently later\n"})
    rule = make_rule({"any_of": ["*.py"], "contains": r"^\s*(from|import)\s+evidently\b"})
    assert run_rules(tmp_path, [rule]).findings
    write_tree(tmp_path, {"jobs/c.py": "from evidently.report import Report\n"})
    assert not run_rules(tmp_path, [rule]).findings


def test_any_of_alternatives_with_their_own_contains(tmp_path: Path) -> None:
    rule = make_rule({"any_of": ["/monitoring/", {"files": ["*.py"], "contains": "import whylogs"}]})
    write_tree(tmp_path, {"a.py": "import os\n"})
    [f] = run_rules(tmp_path, [rule]).findings
    assert "/monitoring/" in f.message and "whylogs" in f.message
    write_tree(tmp_path, {"b.py": "import whylogs as why\n"})
    assert not run_rules(tmp_path, [rule]).findings


def test_min_count(tmp_path: Path) -> None:
    write_tree(tmp_path, {"tests/test_a.py": "", "tests/test_b.py": ""})
    rule = make_rule({"any_of": ["test_*.py"], "min_count": 3})
    [f] = run_rules(tmp_path, [rule]).findings
    assert "2 of the 3" in f.message
    write_tree(tmp_path, {"tests/test_c.py": ""})
    assert not run_rules(tmp_path, [rule]).findings


def test_none_of_reports_each_offending_file(tmp_path: Path) -> None:
    write_tree(tmp_path, {".env": "A=1\n", "svc/.env": "B=2\n", ".env.example": "A=\n", "app.py": ""})
    rule = make_rule({"none_of": [".env", "!.env.example"]})
    findings = run_rules(tmp_path, [rule]).findings
    assert sorted(f.path for f in findings) == [".env", "svc/.env"]
    assert all("must not be" in f.message for f in findings)


def test_uses_all_paths_beyond_the_analysed_files(tmp_path: Path) -> None:
    """Pre-commit mode: only staged files are assets, but the repository's paths decide presence."""
    write_tree(tmp_path, {"app.py": "x = 1\n", "SECURITY.md": "policy\n", "mon/drift.py": "import nannyml\n"})
    rules = [make_rule({"any_of": ["SECURITY.md"]}),
             make_rule({"any_of": ["mon/*.py"], "contains": "import nannyml"}, rule_id="TEST-PRESENCE-002")]
    assert not run_rules(tmp_path, rules, all_paths=frozenset({"app.py", "SECURITY.md", "mon/drift.py"})).findings
    assert len(run_rules(tmp_path, rules, all_paths=frozenset({"app.py"})).findings) == 2


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_contains_never_reads_outside_the_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("import evidently\n")
    root = tmp_path / "repo"
    write_tree(root, {"a.py": "x = 1\n"})
    (root / "link.py").symlink_to(outside)
    rule = make_rule({"any_of": ["*.py"], "contains": "import evidently"})
    assert run_rules(root, [rule], all_paths=frozenset({"a.py", "link.py"})).findings


def test_invalid_contains_regex_is_a_rule_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": ""})
    with pytest.raises(RuleError, match="contains"):
        run_rules(tmp_path, [make_rule({"any_of": ["*.py"], "contains": "("})])


def test_match_schema(tmp_path: Path) -> None:
    for match in ({}, {"any_of": []}, {"any_of": ["x"], "extra": 1}, {"any_of": [{"contains": "x"}]},
                  {"any_of": ["x"], "contains": "("}):
        pack = tmp_path / "p.yaml"
        pack.write_text(yaml.safe_dump([{
            "id": "USER-PRES-001", "title": "x rule", "stage": "test", "severity": "low",
            "risks": ["R-GOVERNANCE-GAP"], "applies_to": ["repo"], "source": "presence", "match": match,
            "description": "a description", "remediation": "a remediation", "references": ["X-1"]}]))
        with pytest.raises(RuleError, match="match"):
            load_pack(pack)


def test_demo_repo_governance() -> None:
    failed = {f.rule_id for f in run_analyzer("presence", DEMO)}
    assert {"GOV-SECURITY-001", "GOV-THREATMODEL-001"} <= failed
    assert "GOV-TESTS-001" not in failed and "GOV-MODELCARD-001" not in failed
