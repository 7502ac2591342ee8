"""The python-call analyzer: import resolution, name patterns, keyword conditions, taint, notebooks."""

from __future__ import annotations

import ast
import dataclasses
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import DEMO, run_analyzer, run_analyzer_output, write_tree

from auditor.analyzers.interface import AnalysisContext, AnalyzerOutput, ScanOptions
from auditor.analyzers.python_call import PythonCallAnalyzer, _Imports, dotted_name, names_match
from auditor.config import Config
from auditor.discover import discover
from auditor.errors import RuleError
from auditor.model import Rule, StageSpec
from auditor.rules import load_pack


def make_rule(match: Mapping[str, Any], rule_id: str = "TEST-CALL-001") -> Rule:
    return Rule(id=rule_id, title="Test call", stage=StageSpec(default="model-build"), severity="high",
                risks=("R-UNSAFE-DESERIALIZATION",), applies_to=("python", "notebook"), source="python-call",
                match=match, description="test rule", remediation="fix it", references=("CWE-502",))


def run_rules(root: Path, rules: Sequence[Rule]) -> AnalyzerOutput:
    inv = discover(root, Config(data={}))
    analyzer = PythonCallAnalyzer()
    assets = [a for a in inv.assets if a.kind in analyzer.kinds]
    ctx = AnalysisContext(root=inv.root, inventory=inv.assets, all_paths=inv.all_paths, options=ScanOptions())
    return analyzer.analyze(ctx, assets, rules)


def resolved_calls(src: str) -> list[str]:
    tree = ast.parse(src)
    imports = _Imports()
    imports.visit(tree)
    return [dotted_name(n.func, imports.aliases) for n in ast.walk(tree) if isinstance(n, ast.Call)]


# --- resolution ------------------------------------------------------------------------------

@pytest.mark.parametrize("src,expected", [
    ("import numpy as np\nnp.load('a')", "numpy.load"),
    ("from joblib import load as jl\njl('a')", "joblib.load"),
    ("import torch.nn\ntorch.load('a')", "torch.load"),
    ("import torch.nn as nn\nnn.Module()", "torch.nn.Module"),
    ("from os import path\npath.join('a')", "os.path.join"),
    ("from langchain_community.vectorstores import FAISS\nFAISS.load_local('i')",
     "langchain_community.vectorstores.FAISS.load_local"),
    ("def f():\n    import pickle as pk\n    pk.loads(b'')", "pickle.loads"),
    ("eval('1')", "eval"),
    ("client.chat.completions.create()", "client.chat.completions.create"),
    ("get()().run()", "?.run"),
])
def test_dotted_name_resolution(src: str, expected: str) -> None:
    assert expected in resolved_calls(src)


@pytest.mark.parametrize("pattern,name,hit", [
    ("numpy.load", "numpy.load", True),
    ("numpy.load", "numpy.loadtxt", False),
    ("numpy.load", "x.numpy.load", False),
    (".load_local", "langchain.vectorstores.FAISS.load_local", True),
    (".load_local", "load_local", True),
    (".load_local", "x.my_load_local", False),
    (".chat.completions.create", "?.chat.completions.create", True),
    (".chat.completions.create", "client.completions.create", False),
    ("openai.*.create", "openai.ChatCompletion.create", True),
    ("openai.*.create", "openai.chat.completions.create", True),
    ("openai.*.create", "openai.create", False),
    ("subprocess.*", "subprocess.run", True),
    ("subprocess.*", "subprocess", False),
    ("os.exec*", "os.execvp", True),
    ("*", "anything.at.all", True),
])
def test_name_patterns(pattern: str, name: str, hit: bool) -> None:
    assert names_match([pattern], name) is hit


# --- keyword conditions ----------------------------------------------------------------------

def test_kwargs_constants_are_typed(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": (
        "import numpy as np\n"
        "np.load('a', allow_pickle=True)\n"   # 2: fires
        "np.load('a', allow_pickle=1)\n"      # 3: 1 is not True
        "np.load('a', allow_pickle=flag)\n"   # 4: unknown value: not proven
        "np.load('a')\n"                      # 5: absent
    )})
    rule = make_rule({"calls": ["numpy.load"], "kwargs": {"allow_pickle": True}})
    assert [f.start_line for f in run_rules(tmp_path, [rule]).findings] == [2]


def test_kwargs_absent_or_not(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": (
        "import torch\n"
        "torch.load('a')\n"                        # 2 absent
        "torch.load('a', weights_only=False)\n"    # 3 other value
        "torch.load('a', weights_only=flag)\n"     # 4 not provably True
        "torch.load('a', weights_only=True)\n"     # 5 safe
        "torch.load('a', **{'weights_only': True})\n"  # 6 not visible: reported
    )})
    rule = make_rule({"calls": ["torch.load"], "kwargs_absent_or_not": {"weights_only": True}})
    assert [f.start_line for f in run_rules(tmp_path, [rule]).findings] == [2, 3, 4, 6]


def test_kwargs_absent_and_arg_regex(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": (
        "import mlflow\n"
        "mlflow.pyfunc.load_model('models:/churn/latest')\n"
        "mlflow.pyfunc.load_model('models:/churn/3')\n"
        "mlflow.pyfunc.load_model(uri)\n"
        "mlflow.pyfunc.load_model('models:/churn/latest', dst_path='x')\n"
    )})
    rule = make_rule({"calls": ["mlflow.pyfunc.load_model"], "arg_regex": "^models:/.*/latest$",
                      "kwargs_absent": ["dst_path"]})
    assert [f.start_line for f in run_rules(tmp_path, [rule]).findings] == [2]


def test_finding_fields(tmp_path: Path) -> None:
    write_tree(tmp_path, {"src/load.py": "import numpy as np\n\n\narr = np.load(\n    'a.npy',\n    allow_pickle=True)\n"})
    [f] = run_analyzer("python-call", tmp_path, ["MLCODE-NUMPY-001"])
    assert (f.path, f.start_line, f.end_line, f.kind, f.cell) == ("src/load.py", 4, 6, "python", None)
    assert f.snippet == "arr = np.load("
    assert f.fingerprint_key == "np.load('a.npy', allow_pickle=True)"
    assert "numpy.load" in f.message


def test_fingerprint_key_survives_line_moves(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write_tree(a, {"m.py": "import torch\nx = torch.load('m.pt')\n"})
    write_tree(b, {"m.py": "import torch\n\n\n# comment\nx = torch.load( 'm.pt' )\n"})
    [fa] = run_analyzer("python-call", a, ["MLCODE-TORCH-001"])
    [fb] = run_analyzer("python-call", b, ["MLCODE-TORCH-001"])
    assert fa.start_line != fb.start_line and fa.fingerprint_key == fb.fingerprint_key


def test_token_on_the_flagged_line_is_masked(tmp_path: Path) -> None:
    token = "hf_Q7xKp2LmN9vRt4ZbW8cYd3FgH6jS1aDEMO"
    write_tree(tmp_path, {"dl.py": f"from huggingface_hub import hf_hub_download\np = hf_hub_download('org/m', 'w.bin', token='{token}')\n"})
    [f] = run_analyzer("python-call", tmp_path, ["MLCODE-HUB-PIN-001"])
    assert token not in json.dumps(dataclasses.asdict(f), default=str)


# --- taint -----------------------------------------------------------------------------------

TAINT = make_rule({"calls": ["eval", "exec", "subprocess.*", "os.system"],
                   "args_from": [".invoke", "openai.*.create", ".chat.completions.create"]})


@pytest.mark.parametrize("body,fires", [
    ("eval(llm.invoke(q))", True),
    ("r = llm.invoke(q)\n    eval(r)", True),
    ("r = llm.invoke(q)\n    s = r.content.strip()\n    t = f'echo {s}'\n    os.system(t)", True),
    ("r = llm.invoke(q)\n    cmd = 'ls ' + r.content\n    subprocess.run(cmd, shell=True)", True),
    ("r = openai.ChatCompletion.create(messages=m)\n    exec(r['choices'][0]['text'])", True),
    ("r = client.chat.completions.create(model='x')\n    exec(code=r.choices[0].message.content)", True),
    ("code, other = llm.invoke(q), 1\n    exec(code)", True),
    ("for chunk in llm.invoke(q):\n        exec(chunk)", True),
    ("r = llm.invoke(q)\n    print(r)\n    eval('1 + 1')", False),
    ("r = llm.invoke(q)\n    subprocess.run(['ls', '-l'])", False),
    ("x = compute(q)\n    eval(x)", False),
])
def test_args_from_taint(tmp_path: Path, body: str, fires: bool) -> None:
    write_tree(tmp_path, {"agent.py": f"import os, subprocess, openai\n\ndef act(llm, client, q):\n    {body}\n"})
    assert bool(run_rules(tmp_path, [TAINT]).findings) is fires


def test_taint_does_not_cross_function_scopes(tmp_path: Path) -> None:
    write_tree(tmp_path, {"agent.py": (
        "def ask(llm, q):\n    answer = llm.invoke(q)\n    return 1\n\n"
        "def run(answer):\n    eval(answer)\n\n"
        "class Agent:\n    def step(self, llm):\n        plan = llm.invoke('x')\n        exec(plan)\n"
    )})
    assert [f.start_line for f in run_rules(tmp_path, [TAINT]).findings] == [11]


def test_taint_at_module_scope_of_a_notebook_across_cells(tmp_path: Path) -> None:
    cells = [code_cell("resp = llm.invoke('write code')\n"), code_cell("!ls\nexec(resp.content)\n")]
    write_tree(tmp_path, {"nb.ipynb": notebook(cells)})
    [f] = run_rules(tmp_path, [TAINT]).findings
    assert (f.cell, f.start_line) == (2, 2)


# --- notebooks -------------------------------------------------------------------------------

def notebook(cells: list[dict[str, Any]]) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})


def code_cell(src: str) -> dict[str, Any]:
    return {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
            "source": src.splitlines(keepends=True)}


def test_notebook_cell_and_line_with_magics(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# notes\n", "torch.load('x')\n"]},
        code_cell("!pip install torch transformers\n%load_ext autoreload\nimport torch\n"),
        code_cell("%%bash\necho torch.load('not python')\n"),
        code_cell("files = !ls *.pt\nx = 1\nstate = torch.load(files[0])\nmodel?\n"),
    ]
    write_tree(tmp_path, {"notebooks/train.ipynb": notebook(cells)})
    [f] = run_analyzer("python-call", tmp_path, ["MLCODE-TORCH-001"])
    assert (f.path, f.cell, f.start_line, f.kind) == ("notebooks/train.ipynb", 4, 3, "notebook")
    assert f.snippet == "state = torch.load(files[0])"


def test_notebook_with_a_broken_cell_checks_the_others(tmp_path: Path) -> None:
    cells = [code_cell("import pickle\n"), code_cell("def broken(:\n"), code_cell("obj = pickle.loads(b)\n")]
    write_tree(tmp_path, {"n.ipynb": notebook(cells)})
    out = run_analyzer_output("python-call", tmp_path, ["MLCODE-PICKLE-001"])
    assert [(f.cell, f.start_line) for f in out.findings] == [(3, 1)]
    assert any("cell(s) 2" in n for n in out.notes)


def test_invalid_notebook_json_is_a_note(tmp_path: Path) -> None:
    write_tree(tmp_path, {"n.ipynb": "{not json"})
    out = run_analyzer_output("python-call", tmp_path)
    assert not out.findings and any("n.ipynb" in n for n in out.notes)


def test_unparseable_python_is_a_note_not_a_crash(tmp_path: Path) -> None:
    write_tree(tmp_path, {"bad.py": "import torch\ndef f(:\n    torch.load('x')\n", "good.py": "import torch\ntorch.load('x')\n",
                          "nul.py": b"import torch\x00\n"})
    out = run_analyzer_output("python-call", tmp_path, ["MLCODE-TORCH-001"])
    assert [f.path for f in out.findings] == ["good.py"]
    assert any("bad.py" in n and "line 2" in n for n in out.notes)


def test_invalid_arg_regex_is_a_rule_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": "x()\n"})
    with pytest.raises(RuleError, match="arg_regex"):
        run_rules(tmp_path, [make_rule({"calls": ["x"], "arg_regex": "("})])


def test_match_schema_rejects_bad_names_and_keys(tmp_path: Path) -> None:
    for match in ({"calls": ["bad name"]}, {"calls": ["x"], "kwarg": {}}, {"kwargs": {"a": True}},
                  {"calls": ["x"], "arg_regex": "("}):
        pack = tmp_path / "p.yaml"
        pack.write_text(yaml.safe_dump([{
            "id": "USER-CALL-001", "title": "x rule", "stage": "deploy", "severity": "low",
            "risks": ["R-INSECURE-CODE"], "applies_to": ["python"], "source": "python-call", "match": match,
            "description": "a description", "remediation": "a remediation", "references": ["CWE-20"]}]))
        with pytest.raises(RuleError, match="match"):
            load_pack(pack)


def test_never_imports_the_target(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    write_tree(tmp_path, {"t/evil.py": f"open({str(canary)!r}, 'w').write('x')\nimport torch\ntorch.load('m')\n"})
    assert run_analyzer("python-call", tmp_path / "t", ["MLCODE-TORCH-001"])
    assert not canary.exists()


def test_demo_repo_planted_calls() -> None:
    got = {(f.rule_id, f.path, f.cell) for f in run_analyzer("python-call", DEMO)}
    assert {("MLCODE-TORCH-001", "src/train.py", None), ("MLCODE-REMOTE-CODE-001", "src/train.py", None),
            ("MLCODE-PICKLE-001", "notebooks/explore.ipynb", 4)} <= got
