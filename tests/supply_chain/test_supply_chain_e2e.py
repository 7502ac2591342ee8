"""End to end through the CLI on a copy of the demo (with its generated models): the results hold the
demo's advisories by id, bandit findings from a notebook cell with cell and line, one finding where an
own rule and bandit report the same weakness on the same line, and a valid SBOM. All offline."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from helpers import DEMO, VULNDB, write_tree

from auditor.cli import main
from fixtures.gen_demo_binaries import generate

NOTEBOOK = json.dumps({
    "cells": [
        {"cell_type": "markdown", "source": "# checks", "metadata": {}},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": "%load_ext autoreload\n!pip install -q telnetlib3\nimport telnetlib\n"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": "import torch\n\nstate = torch.load('models/model.pt')\n"},
    ],
    "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
})


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object], Path]:
    base = tmp_path_factory.mktemp("e2e")
    root = base / "demo-repo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("models"))
    generate(root)
    write_tree(root, {"notebooks/supply_chain_checks.ipynb": NOTEBOOK})
    out = base / "out"
    out.mkdir()
    rc = main(["scan", str(root), "--vuln-db", str(VULNDB), "--no-cache", "-q",
               "-o", str(out / "r.json"), "-o", str(out / "bom.cdx.json")])
    assert rc == 1  # the demo fails its gate on purpose
    return root, json.loads((out / "r.json").read_text()), out


@pytest.mark.skipif(not VULNDB.is_dir(), reason="shared vulndb not present")
def test_results_hold_the_demo_advisories(scanned: tuple[Path, dict[str, object], Path]) -> None:
    _, results, _ = scanned
    analyzers = {a["name"]: a for a in results["analyzers"]}  # type: ignore[index, union-attr]
    for name in ("bandit", "pip-audit", "dependencies", "cyclonedx"):
        assert analyzers[name]["status"] == "ok", analyzers[name]
    vulns = [f for f in results["findings"] if f["rule_id"] == "DEP-VULN-001"]  # type: ignore[union-attr, index]
    ids = {f["properties"]["advisory_id"] for f in vulns}
    assert {"PYSEC-2022-43015", "PYSEC-2023-252", "PYSEC-2023-62", "PYSEC-2023-74", "PYSEC-2021-142"} <= ids
    req = next(f for f in vulns if f["properties"]["advisory_id"] == "PYSEC-2023-74")
    assert req["location"]["path"] == "requirements.txt" and req["stage"] == "model-build"
    assert req["severity"] == "high"  # no CVSS in the record: the documented default


def test_notebook_cell_and_line_and_weakness_merge(scanned: tuple[Path, dict[str, object], Path]) -> None:
    _, results, _ = scanned
    nb = [f for f in results["findings"]  # type: ignore[union-attr]
          if f["location"]["path"] == "notebooks/supply_chain_checks.ipynb"]
    net = [f for f in nb if f["rule_id"] == "BANDIT-NET-001"]
    assert [(f["location"]["cell"], f["location"]["start_line"]) for f in net] == [(2, 3)]
    at_load = [f for f in nb if f["location"].get("cell") == 3 and f["location"]["start_line"] == 3]
    # MLCODE-TORCH-001 (own rule) and bandit B614 report the same line with weakness CWE-502: one finding
    assert len([f for f in at_load if f["rule_id"] in ("MLCODE-TORCH-001", "BANDIT-TORCH-001")]) == 1


def test_scan_writes_a_valid_sbom_and_the_control_passes(scanned: tuple[Path, dict[str, object], Path]) -> None:
    root, results, out = scanned
    text = (out / "bom.cdx.json").read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc = json.loads(text)
    models = {p["value"]: c for c in doc["components"] if c["type"] == "machine-learning-model"
              for p in c["properties"] if p["name"] == "auditor:path"}
    assert "models/model.pt" in models
    assert models["models/model.pt"]["hashes"][0]["content"] == hashlib.sha256(
        (root / "models" / "model.pt").read_bytes()).hexdigest()
    assert results["sbom"]["components"] == len(doc["components"])  # type: ignore[index]
    controls = {c["rule_id"]: c["status"] for s in results["stages"] for c in s["controls"]}  # type: ignore[union-attr]
    assert controls["SBOM-PRESENT-001"] == "pass"
    assert controls["DEP-LOCK-001"] == "fail"
