"""Golden rule cases, collected automatically from tests/rule_cases/*.yaml (the sqlfluff habit).

Each file holds cases for one or more rules:

    rule: SECRET-AWS-001            # default rule for the cases below
    cases:
      - name: access key in code
        expect: fail                # the rule reports at least one finding
        files: {app.py: "key = 'AKIA...'"}
      - name: placeholder
        expect: pass                # the rule reports nothing
        files: {app.py: "key = os.environ['AWS_KEY']"}
        config: {}                  # optional configuration document
        generated: {model.pkl: evil_pickle_os_system}   # optional binary files from fixtures.generators
        count: 2                    # optional exact number of findings (with expect: fail)
        line: 3                     # optional line of the first finding

Every enabled rule of an analyzer must have at least one `fail` and one `pass` case, here or in a
Python test that names the rule id (see test_every_rule_has_cases).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import REPO, catalog, run_analyzer, write_tree

from fixtures.generators import GENERATORS

CASES_DIR = Path(__file__).parent / "rule_cases"


def _load_cases() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for f in sorted(CASES_DIR.glob("*.yaml")):
        doc = yaml.safe_load(f.read_text())
        default_rule = doc.get("rule")
        for case in doc.get("cases", []):
            rule = case.get("rule", default_rule)
            out.append((f"{f.stem}:{rule}:{case['name']}", rule, case))
    return out


CASES = _load_cases()


@pytest.mark.parametrize("case_id,rule_id,case", CASES, ids=[c[0] for c in CASES])
def test_golden_case(tmp_path: Path, case_id: str, rule_id: str, case: dict[str, Any]) -> None:
    rule = catalog().rules[rule_id]
    root = tmp_path / "target"
    root.mkdir()
    write_tree(root, case.get("files") or {})
    for rel, name in (case.get("generated") or {}).items():
        write_tree(root, {rel: GENERATORS[name]()})
    findings = [f for f in run_analyzer(rule.source, root, None, config=case.get("config"))
                if f.rule_id == rule_id]
    if case["expect"] == "fail":
        assert findings, f"{rule_id} should report on case '{case['name']}'"
        if "count" in case:
            assert len(findings) == case["count"], [(f.path, f.start_line, f.message) for f in findings]
        if "line" in case:
            assert findings[0].start_line == case["line"], [(f.path, f.start_line) for f in findings]
        if "path" in case:
            assert findings[0].path == case["path"]
    else:
        assert case["expect"] == "pass"
        assert not findings, [(f.path, f.start_line, f.message) for f in findings]


def _python_test_mentions() -> str:
    texts = []
    for p in (REPO / "tests").rglob("test_*.py"):
        if p.name != "test_rule_cases.py":
            texts.append(p.read_text())
    return "\n".join(texts)


def test_every_rule_has_cases() -> None:
    """Each rule has a positive and a negative golden case, or is named in a Python test."""
    covered: dict[str, set[str]] = {}
    for _, rule_id, case in CASES:
        covered.setdefault(rule_id, set()).add(case["expect"])
    mentions = set(re.findall(r"\b[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-\d{3}\b", _python_test_mentions()))
    missing = []
    for rule in catalog().rules.values():
        if covered.get(rule.id) == {"fail", "pass"} or rule.id in mentions:
            continue
        missing.append(rule.id)
    assert not missing, f"rules without a positive and a negative case: {missing}"


def test_every_rule_is_documented() -> None:
    for rule in catalog().rules.values():
        assert len(rule.description) >= 10, rule.id
        assert len(rule.remediation) >= 10, rule.id
        assert rule.references, rule.id
        assert rule.risks and all(r in catalog().risks for r in rule.risks), rule.id
