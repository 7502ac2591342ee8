"""A realistic, hardened project yields no deploy/serve/monitor finding; the demo's planted problems
are all found, through the analyzers and end to end through the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import DEMO, catalog, run_analyzer

CLEAN = Path(__file__).parent / "clean_repo"
MY_PACKS = ("docker.yaml", "kubernetes.yaml", "terraform.yaml", "cicd.yaml", "serving.yaml", "monitoring.yaml")


def _my_rules() -> dict[str, str]:
    return {r.id: r.source for r in catalog().rules.values() if Path(r.pack).name in MY_PACKS}


def _findings(root: Path) -> list[tuple[str, str, int | None, str]]:
    mine = _my_rules()
    out = []
    for source in sorted(set(mine.values())):
        for f in run_analyzer(source, root, [rid for rid, s in mine.items() if s == source]):
            out.append((f.rule_id, f.path, f.start_line, f.message))
    return out


def test_clean_project_has_no_deploy_serve_monitor_findings(tmp_path: Path) -> None:
    root = tmp_path / "clean"
    shutil.copytree(CLEAN, root)
    assert _findings(root) == []


DEMO_EXPECTED = {
    "DOCKER-USER-ROOT-001", "DOCKER-BASE-LATEST-001", "DOCKER-CURL-PIPE-SH-001", "DOCKER-OPEN-ML-SERVICE-001",
    "K8S-PRIVILEGED-001", "K8S-RESOURCE-LIMITS-001", "K8S-HOSTPATH-001",
    "TF-S3-PUBLIC-ACL-001", "TF-SG-ML-PORT-OPEN-001",
    "CICD-GHA-PR-TARGET-CHECKOUT-001", "CICD-GHA-SCRIPT-INJECTION-001", "CICD-GHA-UNPINNED-ACTION-001",
    "CICD-SECURITY-SCAN-001",
    "COMPOSE-ML-PORT-PUBLISHED-001", "SERVE-MLFLOW-EXPOSED-001",
    "SERVE-TORCHSERVE-ADDRESS-001", "SERVE-TORCHSERVE-TOKEN-001", "SERVE-TORCHSERVE-URLS-001",
    "SERVE-ROUTE-AUTH-001", "SERVE-PROBA-EXPOSED-001", "SERVE-CORS-CREDENTIALS-001", "SERVE-BIND-ALL-001",
    "SERVE-UVICORN-RELOAD-001", "SERVE-PROMPT-INJECTION-001", "SERVE-LLM-MAX-TOKENS-001",
    "MON-FLOATING-MODEL-001", "MON-REQUEST-LOG-001", "MON-DRIFT-001", "MON-TELEMETRY-001",
}


def test_demo_planted_problems_found() -> None:
    found = {f[0] for f in _findings(DEMO)}
    assert DEMO_EXPECTED <= found, sorted(DEMO_EXPECTED - found)


@pytest.mark.slow
def test_demo_through_the_cli(tmp_path: Path) -> None:
    from auditor.cli import main

    out = tmp_path / "r.json"
    rc = main(["scan", str(DEMO), "-o", str(out), "--offline", "--stage", "deploy", "--stage", "serve",
               "--stage", "monitor"])
    assert rc in (1, 3)  # the demo fails its gate (3 only if an unrelated analyzer is unavailable here)
    doc = json.loads(out.read_text())
    ids = {f["rule_id"] for f in doc["findings"]}
    assert {"DOCKER-OPEN-ML-SERVICE-001", "K8S-PRIVILEGED-001", "TF-S3-PUBLIC-ACL-001",
            "CICD-GHA-PR-TARGET-CHECKOUT-001", "SERVE-ROUTE-AUTH-001", "MON-FLOATING-MODEL-001"} <= ids
    by_id = {f["rule_id"]: f for f in doc["findings"]}
    assert by_id["DOCKER-OPEN-ML-SERVICE-001"]["stage"] == "deploy"
    assert by_id["SERVE-ROUTE-AUTH-001"]["stage"] == "serve"
    assert by_id["MON-FLOATING-MODEL-001"]["stage"] == "monitor"
