"""Done-when of issue 6, end to end through the CLI: `auditor init` to a passing gate by treating the
risks in ratp.yaml; an acceptance that expired yesterday re-opens its findings and fails the gate
with require_treatment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from helpers import write_tree

from .conftest import RunFn

TODAY = dt.date.today()


def _repo(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "proj", {
        "src/train.py": "model = fit()\nx = 'BAD'\n",
        "reports/metrics.json": '{"accuracy": 0.93, "fairness": {"demographic_parity_difference": 0.04}}\n',
    })


def _configure(root: Path, extra: str = "") -> None:
    cfg = root / ".auditor.yaml"
    text = cfg.read_text().replace("\nfail_on: high\n", "\nfail_on: medium\n")
    text += ("gate: {require_treatment: true}\n"
             "metrics:\n  - file: reports/metrics.json\n"
             "    thresholds: {accuracy: \">= 0.90\", fairness.demographic_parity_difference: \"<= 0.10\"}\n" + extra)
    cfg.write_text(text)


def _treat(root: Path, accept: dict[str, Any] | None) -> dict[str, Any]:
    plan = yaml.safe_load((root / "ratp.yaml").read_text())
    plan["system"]["owner"] = "ml-platform team"
    for r in plan["risks"]:
        r["owner"] = "alice@example.com"
        if r["id"] == "R-INSECURE-CODE" and accept is not None:
            r["treatment"] = "accept"
            r["residual"] = {"likelihood": 1, "impact": 2}
            r["approval"] = accept
    (root / "ratp.yaml").write_text(yaml.safe_dump(plan, sort_keys=False))
    return plan


def _approval(expires: dt.date) -> dict[str, Any]:
    return {"by": "Carol CISO", "role": "CISO", "date": (TODAY - dt.timedelta(days=60)).isoformat(),
            "rationale": "training-only code, never deployed", "expires": expires.isoformat()}


def test_init_to_passing_gate_by_treating_risks(tmp_path: Path, ours: Path, scan: RunFn,
                                                cli: Callable[..., tuple[int, str, str]]) -> None:
    root = _repo(tmp_path)
    rc, out, _ = cli("init", str(root), "--rules", str(ours))
    assert rc == 0
    assert "pre-commit" in out and "auditor scan --pre-commit" in out and "upload-sarif" in out
    assert (root / ".auditor.yaml").is_file() and (root / "ratp.yaml").is_file()
    _configure(root)
    plan = yaml.safe_load((root / "ratp.yaml").read_text())
    ids = [r["id"] for r in plan["risks"]]
    assert "R-INSECURE-CODE" in ids and "R-MALICIOUS-MODEL" not in ids  # no model file: not applicable
    assert all(r["owner"] == "TODO" for r in plan["risks"])

    # 1. the draft as written: TODO owners are gaps, the BAD finding is open under a mitigate treatment
    rc, doc, _, _ = scan(root, "--rules", str(ours))
    assert rc == 1 and doc
    reasons = "\n".join(doc["gate"]["reasons"])
    assert "RATP-COMPLETE-002" in reasons and "FAKERATP-BAD-001" in reasons
    risk = {r["id"]: r for r in doc["risks"]}["R-INSECURE-CODE"]
    assert risk["status"] == "open" and risk["findings_open"] == 1 and risk["treatment"] == "mitigate"
    rc, out, _ = cli("ratp", "check", str(root), "--rules", str(ours))
    assert rc == 1 and "owner" in out

    # 2. treat every risk: owners, and accept the code risk with a valid approval
    _treat(root, _approval(TODAY + dt.timedelta(days=30)))
    rc, out, _ = cli("ratp", "check", str(root), "--rules", str(ours))
    assert rc == 0, out
    rc, doc, _, _ = scan(root, "--rules", str(ours))
    assert doc and rc == 0, doc["gate"]["reasons"]
    [f] = [f for f in doc["findings"] if f["rule_id"] == "FAKERATP-BAD-001"]
    assert f["status"] == "waived" and "Carol CISO" in f["status_reason"]
    assert f["properties"]["acceptance"]["risk"] == "R-INSECURE-CODE"
    risk = {r["id"]: r for r in doc["risks"]}["R-INSECURE-CODE"]
    assert risk["status"] == "accepted" and risk["findings_open"] == 0 and risk["findings_waived"] == 1
    assert risk["residual_score"] == 2 and risk["score"] == risk["likelihood"] * risk["impact"]
    assert risk["approval"]["by"] == "Carol CISO" and risk["approval"]["expires"] == (
        TODAY + dt.timedelta(days=30)).isoformat()
    assert risk["waived"][0]["fingerprint"] == f["fingerprint"] and risk["waived"][0]["via"] == "ratp"
    assert risk["finding_refs"] == [f["fingerprint"]]
    assert not [f for f in doc["findings"] if f["status"] == "open"]


def test_acceptance_expired_yesterday_reopens_findings_and_fails_with_require_treatment(
        tmp_path: Path, ours: Path, scan: RunFn, cli: Callable[..., tuple[int, str, str]]) -> None:
    root = _repo(tmp_path)
    assert cli("init", str(root), "--rules", str(ours))[0] == 0
    # findings themselves do not fail model-build, and plan gaps do not fail problem-definition:
    # only require_treatment can fail this gate
    _configure(root, "stages:\n  model-build: {fail_on: none}\n  problem-definition: {fail_on: none}\n")
    write_tree(root, {".auditor-waivers.yaml": (
        "waivers:\n  - {rule: FAKERATP-BAD-001, path: 'src/**', reason: accepted risk, owner: alice, "
        f"expires: {TODAY + dt.timedelta(days=90)}, risk: R-INSECURE-CODE, approval: CISO-2026-7}}\n")})
    _treat(root, _approval(TODAY - dt.timedelta(days=1)))
    rc, doc, _, _ = scan(root, "--rules", str(ours))
    assert doc and rc == 1
    [f] = [f for f in doc["findings"] if f["rule_id"] == "FAKERATP-BAD-001"]
    assert f["status"] == "open"
    assert "expired on " + (TODAY - dt.timedelta(days=1)).isoformat() in f["status_reason"]
    assert "re-opened" in f["status_reason"]
    risk = {r["id"]: r for r in doc["risks"]}["R-INSECURE-CODE"]
    assert risk["status"] == "expired" and risk["findings_open"] == 1 and risk["findings_waived"] == 0
    [reason] = [r for r in doc["gate"]["reasons"] if "R-INSECURE-CODE" in r]
    assert "expired" in reason and "require_treatment" in reason and "Carol CISO" in reason
    assert [g for g in doc["findings"] if g["rule_id"] == "RATP-CURRENT-002"]
    # the same plan without require_treatment passes: the expiry alone is what fails the gate
    cfg = root / ".auditor.yaml"
    cfg.write_text(cfg.read_text().replace("gate: {require_treatment: true}", "gate: {require_treatment: false}"))
    rc, doc, _, _ = scan(root, "--rules", str(ours))
    assert rc == 0, doc and doc["gate"]["reasons"]
    # renewed: the waiver implements a valid acceptance again, until the earlier of both dates
    cfg.write_text(cfg.read_text().replace("require_treatment: false", "require_treatment: true"))
    _treat(root, _approval(TODAY + dt.timedelta(days=10)))
    rc, doc, _, _ = scan(root, "--rules", str(ours))
    assert doc and rc == 0, doc["gate"]["reasons"]
    [f] = [f for f in doc["findings"] if f["rule_id"] == "FAKERATP-BAD-001"]
    assert f["status"] == "waived"
    risk = {r["id"]: r for r in doc["risks"]}["R-INSECURE-CODE"]
    [w] = risk["waived"]
    assert w["via"] == "waiver #1" and w["approved_by"] == "Carol CISO"
    assert w["until"] == (TODAY + dt.timedelta(days=10)).isoformat()
    assert f["properties"]["acceptance"]["waiver_approval"] == "CISO-2026-7"


def test_acceptance_of_one_risk_does_not_waive_a_finding_of_another(tmp_path: Path, ours: Path, scan: RunFn,
                                                                    cli: Callable[..., tuple[int, str, str]]) -> None:
    root = _repo(tmp_path)
    write_tree(root, {"src/serve.py": "token = 'LEAK'\n"})
    assert cli("init", str(root), "--rules", str(ours))[0] == 0
    _configure(root)
    _treat(root, _approval(TODAY + dt.timedelta(days=30)))
    rc, doc, _, _ = scan(root, "--rules", str(ours))
    assert doc
    st = {f["rule_id"]: f["status"] for f in doc["findings"] if f["rule_id"].startswith("FAKERATP")}
    # BAD carries only the accepted risk; LEAK also carries R-SECRET-LEAKAGE, which is mitigated
    assert st == {"FAKERATP-BAD-001": "waived", "FAKERATP-LEAK-001": "open"}
    risks = {r["id"]: r for r in doc["risks"]}
    assert risks["R-SECRET-LEAKAGE"]["status"] == "open"
    assert risks["R-INSECURE-CODE"]["status"] == "accepted" and risks["R-INSECURE-CODE"]["findings_open"] == 1
    assert rc == 1


def test_no_plan_means_untreated_and_require_treatment_fails(tmp_path: Path, ours: Path, scan: RunFn) -> None:
    root = _repo(tmp_path)
    write_tree(root, {".auditor.yaml": "gate: {require_treatment: true}\nstages: {model-build: {fail_on: none}}\n"})
    rc, doc, _, _ = scan(root, "--rules", str(ours))
    assert doc and rc == 1
    risk = {r["id"]: r for r in doc["risks"]}["R-INSECURE-CODE"]
    assert risk["status"] == "untreated" and risk["treatment"] == "untreated" and "no plan" in risk["status_reason"]
    assert any(r.startswith("risk R-INSECURE-CODE") and "untreated" in r for r in doc["gate"]["reasons"])
    # the same untreated risk outside the gated stages does not fail the gate
    rc, doc, _, _ = scan(root, "--rules", str(ours), "--stage", "data-build")
    assert rc == 0, doc and doc["gate"]["reasons"]
