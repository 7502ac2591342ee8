"""The pre-commit path stays light: heavy tools are never imported for a few staged Python files, the
jsonschema IRI grammar is built only when used, and the libyaml fast path keeps yamlio's guarantees."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from where_support import git, git_env, init_repo, write

from auditor import yamlio

HEAVY = ("bandit", "pip_audit", "weasyprint", "cyclonedx", "modelscan", "rfc3987_syntax.syntax_helpers", "lark",
         "jinja2")


def test_pre_commit_path_imports_no_heavy_tool(tmp_path: Path) -> None:
    env = git_env(tmp_path / "home")
    repo = init_repo(tmp_path / "p", env)
    files = [f"m{i}.py" for i in range(5)]
    write(repo, {f: "import os\nprint(os.sep)\n" for f in files})
    git(repo, env, "add", ".")
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "auditor", "scan", "--pre-commit", "--no-cache",
                           *files], cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    heavy = sorted(m for m in imported if m.split(".")[0] in HEAVY or m in HEAVY)
    assert heavy == [], f"imported on the pre-commit path: {heavy}"


def test_iri_format_still_checked_on_demand() -> None:
    code = ("import auditor, sys, jsonschema\n"
            "assert getattr(sys.modules['rfc3987_syntax'], '_auditor_stand_in', False)\n"
            "fc = jsonschema.FormatChecker()\n"
            "print(fc.conforms('http://example.com/a b', 'iri'), fc.conforms('http://example.com/a', 'iri'))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    if "KeyError" in proc.stderr:
        pytest.skip("rfc3987_syntax is not installed here")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "True"]


def test_yaml_fast_path_keeps_alias_bound_and_messages() -> None:
    bomb = "a: &a [1, 2]\n" + "".join(
        f"b{i}: &b{i} [" + ", ".join([("*a" if i == 0 else f"*b{i - 1}")] * 9) + "]\n" for i in range(30))
    with pytest.raises(yaml.YAMLError, match="aliases"):
        yamlio.load(bomb)
    with pytest.raises(yaml.YAMLError, match="aliases"):
        yamlio.load_all("x: 1\n---\n" + bomb)
    with pytest.raises(yaml.YAMLError) as exc:
        yamlio.load("a: b: c\n")
    assert str(exc.value).splitlines()[0] == "mapping values are not allowed here"  # the pure-Python text
    with pytest.raises(yaml.YAMLError, match="could not determine a constructor"):
        yamlio.load("!!python/object/apply:os.system ['true']\n")
    doc = "x: &x {k: [1, 2]}\ny: *x\nd: 2024-01-01\no: 0o17\n"
    assert yamlio.load(doc) == yaml.load(doc, Loader=yaml.SafeLoader)  # noqa: S506 - SafeLoader
    assert yamlio.load_all("a: 1\n---\nb: 2\n") == [{"a": 1}, {"b": 2}]
    assert yamlio.load("") is None and yamlio.load_all("") == []
