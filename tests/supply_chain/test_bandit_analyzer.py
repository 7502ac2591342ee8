"""bandit analyzer: Python files and notebook cells, rule mapping, default rule, redaction, nosec."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import catalog, run_analyzer, run_analyzer_output, write_tree

from auditor.analyzers import bandit_scan
from auditor.analyzers.interface import AnalysisContext, ScanOptions
from auditor.config import Config
from auditor.discover import discover


def _notebook(cells: list[tuple[str, str]]) -> str:
    return json.dumps({
        "cells": [
            {"cell_type": kind, "source": src.splitlines(keepends=True), "metadata": {},
             **({"outputs": [], "execution_count": None} if kind == "code" else {})}
            for kind, src in cells
        ],
        "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5,
    })


NOTEBOOK = _notebook([
    ("markdown", "# Exploration\nload the model"),
    ("code", "!pip install torch transformers\n%matplotlib inline\nimport yaml\ncfg = yaml.load(open('c.yml'))\n"),
    ("code", "%%bash\necho 'eval(1)' > /dev/null\n"),
    ("code", "x = 1\ndata = get()\nobj = eval(data)\n"),
    ("code", "!ls -la\nmodel = load()\nimport torch\nsd = torch.load('w.pt')?\n"),
    ("code", "import torch\nw = torch.load('weights.pt')\n"),
])


def test_python_file_findings_and_lines(tmp_path: Path) -> None:
    write_tree(tmp_path, {"src/train.py": "import torch\n\n\ndef load(p):\n    return torch.load(p)\n"})
    found = [f for f in run_analyzer("bandit", tmp_path) if f.rule_id == "BANDIT-TORCH-001"]
    assert len(found) == 1
    f = found[0]
    assert (f.path, f.start_line, f.cell, f.kind) == ("src/train.py", 5, None, "python")
    assert f.snippet == "return torch.load(p)"
    assert f.properties["test_id"] == "B614"
    assert f.confidence == "high"


def test_notebook_cells_map_to_cell_and_line(tmp_path: Path) -> None:
    write_tree(tmp_path, {"nb/explore.ipynb": NOTEBOOK})
    out = run_analyzer_output("bandit", tmp_path)
    got = {(f.rule_id, f.cell, f.start_line) for f in out.findings}
    # cell numbers count every cell (markdown included), lines are within the cell
    assert ("BANDIT-YAML-001", 2, 4) in got
    assert ("BANDIT-EXEC-001", 4, 3) in got
    assert ("BANDIT-TORCH-001", 6, 2) in got
    # the %%bash cell is not Python: its text is never analysed; the `?` help line is blanked
    assert not any(f.cell == 3 for f in out.findings)
    assert not any(f.cell == 5 and f.rule_id == "BANDIT-TORCH-001" for f in out.findings)
    for f in out.findings:
        assert f.path == "nb/explore.ipynb" and f.kind == "notebook"
        assert f.message.startswith(f"cell {f.cell}, line {f.start_line}:")
    yaml_finding = next(f for f in out.findings if f.rule_id == "BANDIT-YAML-001")
    assert yaml_finding.snippet == "cfg = yaml.load(open('c.yml'))"
    assert not out.notes  # magics and !shell lines did not break parsing


def test_notebook_and_python_together_in_one_run(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": "import pickle\nx = pickle.loads(b)\n", "b.ipynb": NOTEBOOK})
    out = run_analyzer_output("bandit", tmp_path)
    assert out.files == 2
    assert {f.path for f in out.findings} == {"a.py", "b.ipynb"}


def test_secret_values_are_redacted(tmp_path: Path) -> None:
    write_tree(tmp_path, {"db.py": "password = 'Sup3rS3cretValue!'\n",
                          "n.ipynb": _notebook([("code", "count = 3\npassword = 'AnotherSecret99'\n")])})
    found = [f for f in run_analyzer("bandit", tmp_path) if f.rule_id == "BANDIT-SECRET-001"]
    assert len(found) == 2
    for f in found:
        text = f"{f.message} {f.snippet}"
        assert "Sup3rS3cretValue" not in text and "AnotherSecret99" not in text
        assert "****" in text
    nb = next(f for f in found if f.path == "n.ipynb")
    assert (nb.cell, nb.start_line) == (1, 2)
    rule = catalog().rules["BANDIT-SECRET-001"]
    assert rule.stage.for_kind("notebook") == "data-build" and rule.stage.for_kind("python") == "model-build"


def test_unmapped_test_id_falls_back_to_default_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test id no rule maps (here: pretend the shipped pack maps nothing) yields BANDIT-GENERIC-001."""
    write_tree(tmp_path, {"m.py": "import telnetlib\nx = eval(s)\n"})
    monkeypatch.setattr(bandit_scan, "shipped_test_ids", lambda: frozenset())
    found = run_analyzer("bandit", tmp_path, ["BANDIT-GENERIC-001"])
    assert {f.properties["test_id"] for f in found} >= {"B401", "B307"}
    assert all(f.rule_id == "BANDIT-GENERIC-001" for f in found)
    # the default rule takes bandit's own severity
    assert {f.severity for f in found if f.properties["test_id"] == "B401"} == {"high"}


def test_disabled_rule_does_not_fall_back(tmp_path: Path) -> None:
    write_tree(tmp_path, {"m.py": "import telnetlib\nx = eval(s)\n"})
    found = run_analyzer("bandit", tmp_path, ["BANDIT-GENERIC-001", "BANDIT-EXEC-001"])
    assert {f.rule_id for f in found} == {"BANDIT-EXEC-001"}


def test_bandit_severity_for_grouped_rules(tmp_path: Path) -> None:
    """bandit rates a constant shell command low and one built from a variable high: the grouped rule
    keeps that distinction instead of its own flat severity."""
    write_tree(tmp_path, {"m.py": "import subprocess\nsubprocess.run('ls', shell=True)\n"
                                  "subprocess.run('ls ' + d, shell=True)\n"})
    found = [f for f in run_analyzer("bandit", tmp_path) if f.rule_id == "BANDIT-SHELL-001"]
    assert {f.start_line: f.severity for f in found} == {2: "low", 3: "high"}
    torch = [f for f in run_analyzer("bandit", tmp_path) if f.rule_id == "BANDIT-SUBPROC-001"]
    assert all(f.severity == f.properties["bandit_severity"] for f in torch)


def test_nosec_ignored_by_default_and_honoured_on_request(tmp_path: Path) -> None:
    write_tree(tmp_path, {"m.py": "import pickle\nx = pickle.loads(b)  # nosec\n"})
    assert [f for f in run_analyzer("bandit", tmp_path) if f.rule_id == "BANDIT-DESERIAL-001"]
    honoured = run_analyzer("bandit", tmp_path, config={"analyzers": {"bandit": {"honor_nosec": True}}},
                            options=ScanOptions(settings={"bandit": {"honor_nosec": True}}))
    assert not [f for f in honoured if f.rule_id == "BANDIT-DESERIAL-001"]


def test_syntax_error_is_a_note_not_a_crash(tmp_path: Path) -> None:
    write_tree(tmp_path, {"bad.py": "def f(:\n", "ok.py": "import pickle\n"})
    out = run_analyzer_output("bandit", tmp_path)
    assert any("bad.py" in n for n in out.notes)
    assert {f.path for f in out.findings} == {"ok.py"}


def test_in_memory_and_temp_copy_paths_agree(tmp_path: Path) -> None:
    srcs = [bandit_scan.Source("x/a.py", b"import pickle\nx = pickle.loads(b)\n", "python"),
            bandit_scan.Source("b.py", b"import torch\ntorch.load('m')\n", "python")]
    mem, _ = bandit_scan.run_bandit(srcs, in_memory=True)
    tmp, _ = bandit_scan.run_bandit(srcs, in_memory=False)
    key = sorted((i.label, i.test_id, i.line) for i in mem)
    assert key == sorted((i.label, i.test_id, i.line) for i in tmp)
    assert ("b.py", "B614", 2) in key


def test_every_bandit_test_id_is_mapped_once() -> None:
    rules = [r for r in catalog().rules.values() if r.source == "bandit"]
    mapped: dict[str, str] = {}
    for r in rules:
        for t in bandit_scan._test_ids(r):
            assert t not in mapped, f"{t} mapped by {mapped[t]} and {r.id}"
            mapped[t] = r.id
    missing = bandit_scan.all_bandit_test_ids() - set(mapped)
    assert not missing, f"bandit tests without a rule: {sorted(missing)}"
    assert set(mapped) <= bandit_scan.all_bandit_test_ids() | {"B320"}
    assert [r.id for r in rules if r.match.get("default")] == ["BANDIT-GENERIC-001"]


def test_bandit_rules_are_well_formed() -> None:
    risks = catalog().risks
    for r in (r for r in catalog().rules.values() if r.source == "bandit"):
        assert re.fullmatch(r"BANDIT-[A-Z]+-\d{3}", r.id), r.id
        assert r.applies_to == ("python", "notebook")
        assert r.risks and all(x in risks for x in r.risks)
        assert r.references and r.description and r.remediation
    weak = {t: r.weakness for r in catalog().rules.values() if r.source == "bandit" for t in bandit_scan._test_ids(r)}
    assert weak["B614"] == weak["B301"] == weak["B302"] == weak["B506"] == "CWE-502"
    assert weak["B615"] == "CWE-494"
    assert weak["B105"] == weak["B106"] == weak["B107"] == "CWE-798"
    stages = {t: r.stage.default for r in catalog().rules.values() if r.source == "bandit"
              for t in bandit_scan._test_ids(r)}
    assert stages["B614"] == stages["B615"] == "model-build"
    assert stages["B201"] == stages["B104"] == "serve"


def test_limits_file_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, {"big.py": "import pickle\n" + "x = 1\n" * 200})
    monkeypatch.setattr(bandit_scan, "MAX_SOURCE_BYTES", 100)
    cfg = Config(data={})
    inv = discover(tmp_path, cfg)
    ctx = AnalysisContext(root=inv.root, inventory=inv.assets, options=ScanOptions())
    sources, notes = bandit_scan.load_sources(ctx, list(inv.assets))
    assert not sources and "big.py" in notes[0]
