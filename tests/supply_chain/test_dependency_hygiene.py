"""Dependency hygiene beyond the golden cases: notebook pip lines, licences, the demo."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import DEMO, catalog, run_analyzer, run_analyzer_output, write_tree

from auditor import licenses
from auditor.analyzers.dependencies import parse_pip_command


def _nb(*cells: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [],
                                  "execution_count": None} for c in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


NB = _nb(
    "import os\n!pip install -q torch transformers==4.41.0 'pandas>=2'\n",
    "%pip install --upgrade numpy==1.26.4 scikit-learn==1.5.0\n",
    "x = 1\n%pip install -r requirements.txt\n!pip install --extra-index-url https://u:s3cr3t@pkgs.example/simple utils==1\n",
    "!pip install git+https://github.com/o/tool@main evalkit @ git+https://github.com/o/evalkit@v2\n",
    "!python -m pip install seaborn\n!ls\nres = !pip list\n",
)


def test_notebook_pip_without_pins_points_at_cell_and_line(tmp_path: Path) -> None:
    write_tree(tmp_path, {"nb/explore.ipynb": NB})
    found = [f for f in run_analyzer("dependencies", tmp_path) if f.rule_id == "DEP-NOTEBOOK-001"]
    got = {(f.cell, f.start_line): f for f in found}
    assert set(got) == {(1, 2), (5, 1)}
    assert "torch" in got[(1, 2)].message and "pandas>=2" in got[(1, 2)].message
    assert "transformers" not in got[(1, 2)].message
    assert got[(5, 1)].kind == "notebook" and got[(5, 1)].path == "nb/explore.ipynb"


def test_notebook_extra_index_and_vcs(tmp_path: Path) -> None:
    write_tree(tmp_path, {"nb.ipynb": NB})
    found = run_analyzer("dependencies", tmp_path, ["DEP-INDEX-001", "DEP-VCS-001"])
    idx = [f for f in found if f.rule_id == "DEP-INDEX-001"]
    assert [(f.cell, f.start_line) for f in idx] == [(3, 3)]
    assert "s3cr3t" not in idx[0].message and "s3cr3t" not in (idx[0].snippet or "")
    vcs = sorted((f.cell, f.start_line, f.message) for f in found if f.rule_id == "DEP-VCS-001")
    assert len(vcs) == 2 and all(v[:2] == (4, 1) for v in vcs)


def test_pinned_notebook_installs_pass(tmp_path: Path) -> None:
    write_tree(tmp_path, {"nb.ipynb": _nb("%pip install numpy==1.26.4 'torch[cpu]==2.1.0'\n")})
    assert not run_analyzer("dependencies", tmp_path, ["DEP-NOTEBOOK-001"])


def test_parse_pip_command() -> None:
    parsed = parse_pip_command("pip3 install -U -i https://x/simple 'a>=1' b==2 -e ./local c @ https://x/c.whl")
    assert parsed is not None
    assert parsed["packages"] == ["a>=1", "b==2", "./local", "c @ https://x/c.whl"]
    assert ("-i", "https://x/simple") in parsed["options"]
    assert parse_pip_command("pip list") is None and parse_pip_command("conda install x") is None


def test_licence_from_scanner_environment_marks_version(tmp_path: Path) -> None:
    """A package not described by the target but installed next to the auditor: its installed metadata
    is used and the finding says when that is another version than the pinned one."""
    write_tree(tmp_path, {"requirements.txt": "rich==1.0.0\nclick==8.0.0\n"})
    out = run_analyzer_output("dependencies", tmp_path, ["DEP-LICENSE-001"],
                              config={"licenses": {"deny": ["MIT"]}})
    (f,) = out.findings
    assert f.properties["package"] == "rich" and f.properties["license_source"] == "scanner-environment"
    assert "not the pinned version" in f.message
    pkgs = {p["package"]: p for p in out.sections["licenses"]["packages"]}
    assert pkgs["click"]["license"] == "BSD-3-Clause"


def test_licence_verdicts() -> None:
    assert licenses.verdict("MIT", ["MIT"], []) is None
    assert licenses.verdict("MIT License", ["MIT"], []) is None
    assert licenses.verdict("Apache-2.0 OR GPL-3.0-only", [], ["GPL-3.0-only"]) is None  # pick the OR
    assert licenses.verdict("MIT AND GPL-3.0-only", [], ["GPL-3.0-only"])
    assert licenses.verdict("LGPL-3.0-only", ["MIT", "BSD-3-Clause"], [])
    assert licenses.from_metadata({"License-Expression": "Apache-2.0"}) == "Apache-2.0"


def test_demo_hygiene_findings() -> None:
    found = run_analyzer("dependencies", DEMO)
    rules = {f.rule_id for f in found}
    assert {"DEP-PIN-001", "DEP-LOCK-001", "DEP-HASH-001", "DEP-INDEX-001", "DEP-VCS-001",
            "DEP-SCANNER-001"} <= rules
    scanner = next(f for f in found if f.rule_id == "DEP-SCANNER-001")
    assert scanner.path == "requirements-dev.txt" and "CVE-2025-1716" in scanner.message
    # torch is ranged in pyproject.toml but pinned in requirements.txt: no pin finding for it
    assert not [f for f in found if f.rule_id == "DEP-PIN-001" and "torch" in f.message]


def test_scanner_bypass_table_aggregates_entries(tmp_path: Path) -> None:
    """A version below several fixed releases names every advisory and the newest fixed version."""
    root = write_tree(tmp_path, {"requirements.txt": "fickling==0.1.6\npicklescan==1.0.4\n"})
    found = list(run_analyzer("dependencies", root, ["DEP-SCANNER-001"]))
    assert [f.start_line for f in found] == [1]
    props = found[0].properties
    assert props["minimum_version"] == "0.1.11"
    assert {"GHSA-wfq2-52f7-7qvj", "PYSEC-2026-2149"} <= set(props["advisories"])
    rule = catalog().rules["DEP-SCANNER-001"]
    for entry in rule.match["packages"]:  # every entry names the record it rests on in the references
        assert any(entry["name"] in ref and f"<{entry['below']}" in ref for ref in rule.references), entry
