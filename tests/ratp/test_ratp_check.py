"""`auditor ratp check` and `auditor ratp init`: every gap of a deliberately incomplete plan, exit codes
0 / 1 / 2, validation errors that name the file and the field, and the draft."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from helpers import write_tree

from auditor.ratp import gaps as gaps_mod

Cli = Callable[..., tuple[int, str, str]]
TODAY = dt.date.today()
YESTERDAY = (TODAY - dt.timedelta(days=1)).isoformat()
FUTURE = (TODAY + dt.timedelta(days=60)).isoformat()

INCOMPLETE = f"""\
version: 1
system: {{name: churn, owner: TODO}}
criteria: {{acceptance_threshold: 6, review_interval_days: 30}}
reviewed: {(TODAY - dt.timedelta(days=400)).isoformat()}
risks:
  - id: R-UNSAFE-DESERIALIZATION          # accepted, but the approval expired yesterday
    treatment: accept
    owner: alice
    residual: {{likelihood: 1, impact: 5}}
    approval: {{by: Carol, role: CISO, date: 2026-01-01, rationale: internal models only, expires: {YESTERDAY}}}
  - id: R-SECRET-LEAKAGE                  # TODO owner, control that is no rule
    treatment: mitigate
    owner: TODO
    controls: [TEST-METRIC-001, SECRET-NOPE-999]
    due: {FUTURE}
  - id: R-DRIFT                           # past due
    treatment: mitigate
    owner: bob
    due: 2020-01-01
  - id: R-GOVERNANCE-GAP                  # accepted without approval, inherent 3x3 above the threshold 6
    treatment: accept
    owner: carol
  - id: R-UNRELIABLE-OUTPUT               # no treatment
    owner: dave
"""


def test_ratp_check_lists_every_gap_of_an_incomplete_plan(tmp_path: Path, ours: Path, cli: Cli) -> None:
    root = write_tree(tmp_path / "p", {"train.py": "x = 1\n", "ratp.yaml": INCOMPLETE})
    rc, out, _ = cli("ratp", "check", str(root), "--format", "json")
    assert rc == 1
    doc = json.loads(out)
    got = {(g["kind"], g["risk"]) for g in doc["gaps"]}
    expected = {
        ("owner", None),                                   # system owner TODO
        ("expired", "R-UNSAFE-DESERIALIZATION"),
        ("owner", "R-SECRET-LEAKAGE"),
        ("control", "R-SECRET-LEAKAGE"),
        ("overdue", "R-DRIFT"),
        ("approval", "R-GOVERNANCE-GAP"),
        ("threshold", "R-GOVERNANCE-GAP"),
        ("untreated", "R-UNRELIABLE-OUTPUT"),              # listed, no treatment
        ("untreated", "R-INSUFFICIENT-MONITORING"),        # applies to every repository, not listed
        ("untreated", "R-ADVERSARIAL-EVASION"),
        ("review", None),                                  # reviewed 400 days ago, interval 30
    }
    assert expected <= got
    assert {g["kind"] for g in doc["gaps"]} == set(gaps_mod.KINDS) - {"missing", "invalid"}
    # python code is here: the python risks apply and are reported untreated too
    assert ("untreated", "R-INSECURE-CODE") in got
    assert not any(g["risk"] == "R-MALICIOUS-MODEL" for g in doc["gaps"])  # no model file
    [control] = [g for g in doc["gaps"] if g["kind"] == "control"]
    assert "SECRET-NOPE-999" in control["message"] and "TEST-METRIC-001" not in control["message"]
    assert all(g["rule_id"] == gaps_mod.RULES[g["kind"]] for g in doc["gaps"])
    rc, text, _ = cli("ratp", "check", str(root))
    assert rc == 1 and f"{len(doc['gaps'])} gap(s)" in text and "expired on " + YESTERDAY in text


def test_ratp_check_exit_codes(tmp_path: Path, ours: Path, cli: Cli) -> None:
    root = write_tree(tmp_path / "p", {"README.md": "# x\n"})
    rc, _, err = cli("ratp", "check", str(root))
    assert rc == 2 and "ratp init" in err
    (root / "ratp.yaml").write_text("risks:\n  - id: R-DRIFT\n    treatment: mitigated\n")
    rc, _, err = cli("ratp", "check", str(root))
    assert rc == 2 and "ratp.yaml" in err and "risks[0] (R-DRIFT): field 'treatment'" in err
    assert cli("ratp", "init", str(root), "--force", "--rules", str(ours))[0] == 0
    plan = yaml.safe_load((root / "ratp.yaml").read_text())
    plan["system"]["owner"] = "ml-team"
    for r in plan["risks"]:
        r["owner"] = "alice"
    (root / "ratp.yaml").write_text(yaml.safe_dump(plan))
    rc, out, _ = cli("ratp", "check", str(root), "--rules", str(ours))
    assert rc == 0 and "no gaps" in out


@pytest.mark.parametrize("text,field", [
    ("risks:\n  - id: R-DRIFT\n    likelihood: 7\n", "risks[0] (R-DRIFT): field 'likelihood'"),
    ("risks:\n  - id: R-DRIFT\n    owner: a\n    colour: red\n", "risks[0] (R-DRIFT): field 'colour': unknown field"),
    ("risks:\n  - id: R-DRIFT\n    due: 2026-02-30\n", "day is out of range"),
    ("risks:\n  - id: R-DRIFT\n    due: next week\n", "risks[0] (R-DRIFT): field 'due': 'next week' is not a date"),
    ("risks:\n  - id: R-DRIFT\n  - id: R-DRIFT\n", "risks[1] (R-DRIFT): field 'id': duplicate"),
    ("risks:\n  - {id: R-OWN-1, title: Mine, likelihood: 2}\n", "risks[0] (R-OWN-1): field 'impact': is required"),
    ("risks:\n  - id: R-DRIFT\n    approval: {by: x, expires: soon}\n", "risks[0] (R-DRIFT): field 'approval.expires'"),
    ("criteria: {acceptance_threshold: 30}\nrisks: []\n", "field 'criteria.acceptance_threshold'"),
    ("system: {owner: x}\nrisks: []\n", "field 'system.name': is required"),
    ("- just a list\n", "must be a mapping"),
    ("risks: [\n", "not valid YAML at line"),
])
def test_invalid_plans_name_the_field(tmp_path: Path, cli: Cli, text: str, field: str) -> None:
    root = write_tree(tmp_path / "p", {"ratp.yaml": text})
    rc, _, err = cli("ratp", "check", str(root))
    assert rc == 2 and "ratp.yaml" in err and field in err, err


def test_ratp_init_drafts_applicable_risks_and_never_overwrites(tmp_path: Path, ours: Path, cli: Cli) -> None:
    root = write_tree(tmp_path / "p", {"serve.py": "x = 1\n", ".github/workflows/ci.yml": "on: push\njobs: {}\n"})
    rc, out, _ = cli("ratp", "init", str(root), "--rules", str(ours), "--name", "Churn model")
    assert rc == 0 and "risks apply" in out
    plan = yaml.safe_load((root / "ratp.yaml").read_text())
    ids = {r["id"] for r in plan["risks"]}
    assert {"R-INSECURE-CODE", "R-CICD-COMPROMISE", "R-GOVERNANCE-GAP"} <= ids  # python, pipeline, repo
    assert not ids & {"R-MALICIOUS-MODEL", "R-DATA-POISONING", "R-INFRA-MISCONFIG"}  # no model, data, iac
    assert plan["system"]["name"] == "Churn model"
    code = next(r for r in plan["risks"] if r["id"] == "R-INSECURE-CODE")
    assert code["owner"] == "TODO" and code["treatment"] == "mitigate" and "FAKERATP-BAD-001" in code["controls"]
    assert code["likelihood"] >= 1 and code["asset"] == "serve.py"
    before = (root / "ratp.yaml").read_text()
    rc, _, err = cli("ratp", "init", str(root), "--rules", str(ours))
    assert rc == 2 and "ratp.yaml" in err and "--force" in err
    assert (root / "ratp.yaml").read_text() == before
    rc, out, _ = cli("ratp", "init", str(root), "-o", "-", "--rules", str(ours))
    assert rc == 0 and out.startswith("# Risk Analysis and Treatment Plan")
    rc, _, _ = cli("ratp", "init", str(root), "--force", "--rules", str(ours))
    assert rc == 0


def test_scan_reports_plan_gaps_as_problem_definition_controls(tmp_path: Path, ours: Path, scan: Callable) -> None:
    root = write_tree(tmp_path / "p", {"train.py": "x = 1\n", "ratp.yaml": INCOMPLETE})
    rc, doc, _, _ = scan(root, "--rules", str(ours))
    assert doc and rc == 1
    pd = {c["rule_id"]: c for c in {s["id"]: s for s in doc["stages"]}["problem-definition"]["controls"]}
    for rid in ("RATP-CURRENT-002", "RATP-ACCEPT-001", "RATP-COMPLETE-001", "RATP-COMPLETE-002", "RATP-CONTROL-001",
                "RATP-CURRENT-001", "RATP-CURRENT-003", "RATP-ACCEPT-002"):
        assert pd[rid]["status"] == "fail", rid
    assert pd["RATP-VALID-001"]["status"] == "pass"
    [expired] = [f for f in doc["findings"] if f["rule_id"] == "RATP-CURRENT-002"]
    assert expired["location"]["path"] == "ratp.yaml" and expired["location"]["start_line"] == 6
    # an invalid plan is a finding in a scan (not exit 2), and the register falls back to "no plan"
    (root / "ratp.yaml").write_text("risks: 3\n")
    rc, doc, _, _ = scan(root, "--rules", str(ours))
    assert doc and rc == 1
    [bad] = [f for f in doc["findings"] if f["rule_id"] == "RATP-VALID-001"]
    assert "field 'risks'" in bad["message"]
