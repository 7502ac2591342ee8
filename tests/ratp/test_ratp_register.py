"""Risk register semantics (unit level) and the demo's deliberately imperfect plan."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

from helpers import DEMO, catalog

from auditor.model import Finding
from auditor.ratp.plan import Approval, Plan, PlanRisk, PlanState
from auditor.ratp.register import apply_acceptances, risk_register

TODAY = dt.date(2026, 6, 1)


def _f(rule: str, risks: tuple[str, ...], stage: str = "model-build", analyzer: str = "x") -> Finding:
    return Finding(fingerprint=f"fp-{rule}-{'-'.join(risks)}", rule_id=rule, title=rule, severity="high", stage=stage,
                   risks=risks, analyzer=analyzer, path="a.py", message="m")


def _state(*risks: PlanRisk) -> PlanState:
    return PlanState(path=Path("ratp.yaml"), rel="ratp.yaml", plan=Plan(path=Path("ratp.yaml"), rel="ratp.yaml",
                                                                        risks=risks))


def test_statuses() -> None:
    ok = Approval(by="c", role="r", date=TODAY, rationale="x", expires=TODAY + dt.timedelta(days=1))
    state = _state(
        PlanRisk(id="R-INSECURE-CODE", index=0, treatment="accept", owner="a", approval=ok),
        PlanRisk(id="R-SECRET-LEAKAGE", index=1, treatment="transfer", owner="a"),
        PlanRisk(id="R-DRIFT", index=2, treatment="accept", owner="a"),                      # no approval
        PlanRisk(id="R-BIAS", index=3, treatment="avoid", owner="a"),                         # no finding
        PlanRisk(id="R-OWN-1", index=4, title="Our own", likelihood=2, impact=2, treatment="mitigate", owner="a"),
        PlanRisk(id="R-INFRA-MISCONFIG", index=5, treatment="accept", owner="a",
                 approval=Approval(by="c", expires=TODAY)),                                 # expires today: valid
    )
    fs = [_f("A", ("R-INSECURE-CODE",)), _f("B", ("R-SECRET-LEAKAGE",)), _f("C", ("R-DRIFT",)),
          _f("D", ("R-UNSAFE-DESERIALIZATION",)), _f("E", ("R-GOVERNANCE-GAP",), analyzer="ratp"),
          _f("F", ("R-INFRA-MISCONFIG", "R-INSECURE-CODE"))]
    judged = apply_acceptances(fs, state, [], TODAY)
    st = {f.rule_id: f.status for f in judged}
    assert st == {"A": "waived", "B": "open", "C": "open", "D": "open", "E": "open", "F": "waived"}
    reg = {r["id"]: r for r in risk_register(catalog(), judged, frozenset({"python"}), state, TODAY)}
    assert reg["R-INSECURE-CODE"]["status"] == "accepted" and reg["R-INSECURE-CODE"]["findings_waived"] == 2
    assert reg["R-SECRET-LEAKAGE"]["status"] == "open" and reg["R-SECRET-LEAKAGE"]["treatment"] == "transfer"
    assert reg["R-DRIFT"]["status"] == "untreated" and "no approval" in reg["R-DRIFT"]["status_reason"]
    assert reg["R-UNSAFE-DESERIALIZATION"]["status"] == "untreated"  # not in the plan
    assert reg["R-BIAS"]["status"] == "mitigated"                        # in the plan, no finding
    assert reg["R-MALICIOUS-MODEL"]["status"] == "not_applicable"        # no model, no finding, no entry
    assert reg["R-OWN-1"]["title"] == "Our own" and reg["R-OWN-1"]["score"] == 4
    assert reg["R-GOVERNANCE-GAP"]["findings_open"] == 1                  # the plan's own gaps are never accepted
    assert reg["R-INFRA-MISCONFIG"]["status"] == "accepted"
    json.dumps(list(reg.values()))  # the register is plain JSON data


def test_no_plan_changes_nothing() -> None:
    fs = [_f("A", ("R-INSECURE-CODE",))]
    assert apply_acceptances(fs, None, [], TODAY) == fs
    reg = {r["id"]: r for r in risk_register(catalog(), fs, frozenset(), None, TODAY)}
    assert reg["R-INSECURE-CODE"]["status"] == "untreated" and reg["R-GOVERNANCE-GAP"]["status"] == "mitigated"


def test_demo_plan_has_exactly_its_three_planted_gaps(cli: Callable[..., tuple[int, str, str]]) -> None:
    rc, out, _ = cli("ratp", "check", str(DEMO), "--format", "json")
    assert rc == 1
    gaps = {(g["kind"], g["risk"]) for g in json.loads(out)["gaps"]}
    assert gaps == {("expired", "R-UNSAFE-DESERIALIZATION"), ("owner", "R-PII-IN-DATA"),
                    ("overdue", "R-SECRET-LEAKAGE")}


def test_demo_metrics_fail_the_accuracy_gate(tmp_path: Path, demo_repo: Path,
                                             capsys: object) -> None:
    from auditor.cli import main

    out = tmp_path / "r.json"
    rc = main(["scan", str(demo_repo), "-o", str(out), "--no-cache", "-q"])
    doc = json.loads(out.read_text())
    assert rc == 1
    [m] = [f for f in doc["findings"] if f["rule_id"] == "TEST-METRIC-001"]
    assert "accuracy = 0.87" in m["message"] and ">= 0.90" in m["message"]
    risks = {r["id"]: r for r in doc["risks"]}
    assert risks["R-UNSAFE-DESERIALIZATION"]["status"] == "expired"
    assert risks["R-DENIAL-OF-SERVICE"]["status"] == "accepted" and risks["R-DENIAL-OF-SERVICE"]["findings_waived"] >= 1
    assert any(r.startswith("risk R-UNSAFE-DESERIALIZATION") and "expired" in r for r in doc["gate"]["reasons"])
