"""Stage gates: per-stage fail_on, required_controls, require_treatment, --stage / --until (the command
line overrides the file) and reasons that name each failing stage, control and risk."""

from __future__ import annotations

from pathlib import Path

from helpers import write_tree

from auditor.config import Config
from auditor.judge.policy import from_config

from .conftest import RunFn

TREE = {"src/train.py": "x = 'BAD'\n", "src/serve.py": "token = 'LEAK'\n"}  # high @ model-build, medium @ deploy


def _root(tmp_path: Path, config: str) -> Path:
    return write_tree(tmp_path / "t", {**TREE, ".auditor.yaml": config})


def test_warn_during_model_build_block_at_deploy(tmp_path: Path, ours: Path, scan: RunFn) -> None:
    root = _root(tmp_path, "stages:\n  model-build: {fail_on: none}\n  deploy: {fail_on: medium}\n")
    rc, doc, _, _ = scan(root, "--rules", str(ours))
    assert doc and rc == 1
    stages = {s["id"]: s for s in doc["stages"]}
    assert stages["model-build"]["status"] == "pass" and stages["model-build"]["fail_on"] == "none"
    assert stages["model-build"]["counts"]["high"] == 1  # still reported, only not blocking
    assert stages["deploy"]["status"] == "fail"
    [reason] = [r for r in doc["gate"]["reasons"] if "deploy" in r]
    assert reason.startswith("stage deploy (Deploy): 1 open finding(s) at or above medium (FAKERATP-LEAK-001)")
    assert not any("model-build" in r for r in doc["gate"]["reasons"])
    # --fail-on on the command line overrides every per-stage threshold
    rc, doc, _, _ = scan(root, "--rules", str(ours), "--fail-on", "critical")
    assert rc == 0


def test_required_controls(tmp_path: Path, ours: Path, scan: RunFn) -> None:
    root = _root(tmp_path, "fail_on: none\ngate:\n  required_controls: [FAKERATP-LEAK-001, TEST-METRIC-001]\n")
    rc, doc, _, _ = scan(root, "--rules", str(ours))
    assert doc and rc == 1
    reasons = doc["gate"]["reasons"]
    assert any(r.startswith("stage deploy (Deploy): required control FAKERATP-LEAK-001 (Line contains the word "
                            "LEAK) is fail: 1 open finding(s)") for r in reasons), reasons
    assert not any("TEST-METRIC-001" in r for r in reasons)  # required and passing (no metrics gate fails)
    root2 = _root(tmp_path / "b", "fail_on: none\ngate: {required_controls: [NOPE-NOPE-001]}\n")
    rc, doc, _, _ = scan(root2, "--rules", str(ours))
    assert doc and rc == 1 and "required control NOPE-NOPE-001 is not among the enabled rules" in doc["gate"]["reasons"]


def test_require_treatment_names_stage_and_risk(tmp_path: Path, ours: Path, scan: RunFn) -> None:
    root = _root(tmp_path, "fail_on: none\ngate: {require_treatment: true}\n")
    rc, doc, _, _ = scan(root, "--rules", str(ours))
    assert doc and rc == 1
    reasons = [r for r in doc["gate"]["reasons"] if r.startswith("risk ")]
    assert any(r.startswith("risk R-SECRET-LEAKAGE (Secret leakage) [") and "deploy" in r and "untreated" in r
               for r in reasons), reasons
    assert any(r.startswith("risk R-INSECURE-CODE") for r in reasons)
    # gating only data-build: neither risk has a stage there
    rc, doc, _, _ = scan(root, "--rules", str(ours), "--stage", "data-build")
    assert rc == 0, doc and doc["gate"]["reasons"]


def test_stage_and_until_override_the_file(tmp_path: Path, ours: Path, scan: RunFn) -> None:
    root = _root(tmp_path, "fail_on: medium\ngate: {stages: [deploy]}\n")
    rc, doc, _, _ = scan(root, "--rules", str(ours))
    assert doc and rc == 1 and {s["id"]: s["status"] for s in doc["stages"]}["model-build"] == "not_gated"
    rc, doc, _, _ = scan(root, "--rules", str(ours), "--stage", "model-build")
    assert doc and rc == 1 and {s["id"]: s["status"] for s in doc["stages"]}["deploy"] == "not_gated"
    assert [r.split(":")[0] for r in doc["gate"]["reasons"]] == ["stage model-build (Model Train & Build)"]
    rc, doc, _, _ = scan(root, "--rules", str(ours), "--stage", "data-build")
    assert rc == 0
    root2 = _root(tmp_path / "b", "fail_on: medium\ngate: {until: integrate-release}\n")
    rc, doc, _, _ = scan(root2, "--rules", str(ours))
    assert doc and rc == 1 and {s["id"]: s["status"] for s in doc["stages"]}["deploy"] == "not_gated"
    rc, doc, _, _ = scan(root2, "--rules", str(ours), "--until", "data-build")
    assert rc == 0
    rc, doc, _, _ = scan(root2, "--rules", str(ours), "--until", "deploy")
    assert doc and rc == 1 and any(r.startswith("stage deploy") for r in doc["gate"]["reasons"])


def test_policy_from_config_unit() -> None:
    cfg = Config(data={"gate": {"stages": ["deploy", "serve"], "until": "deploy"},
                       "stages": {"serve": {"gated": False}, "deploy": {"fail_on": "low"}}})
    p = from_config(cfg)
    assert p.gated == frozenset({"deploy"}) and p.threshold("deploy") == "low" and p.threshold("test") == "high"
    assert from_config(cfg, stages=["test", "serve"]).gated == frozenset({"test", "serve"})
    assert from_config(cfg, stages=["test", "serve"], until="test").gated == frozenset({"test"})
    assert from_config(cfg, until="monitor").gated == frozenset({"deploy"})
    assert from_config(cfg, fail_on="critical").threshold("deploy") == "critical"
