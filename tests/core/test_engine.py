"""Failing analyzers make the scan incomplete (exit 3), config and rule packs fail with exit 2
naming the field, outputs are written safely."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from core.conftest import RunFn
from helpers import RESULTS_SCHEMA, write_tree

from auditor.analyzers import registry
from auditor.cli import main


def test_crashing_analyzer_is_exit_3_naming_it(tmp_path: Path, only_fake: Path, run_scan: RunFn,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.ANALYZERS, "fake", "core.conftest:CrashingAnalyzer")
    root = write_tree(tmp_path / "t", {"a.py": "x = 1\n"})
    rc, doc, out, _ = run_scan(root, "--rules", str(only_fake))
    assert rc == 3 and doc
    assert doc["gate"]["decision"] == "incomplete" and doc["gate"]["exit_code"] == 3
    [a] = [a for a in doc["analyzers"] if a["name"] == "fake"]
    assert a["status"] == "failed" and "boom in the fake analyzer" in a["reason"]
    assert any("analyzer fake failed" in r for r in doc["gate"]["reasons"])
    controls = {c["rule_id"]: c["status"] for s in doc["stages"] for c in s["controls"]}
    assert controls["FAKE-LINE-001"] == "error"
    rc, doc, _, _ = run_scan(root, "--rules", str(only_fake), "--allow-incomplete")
    assert rc == 0 and doc and doc["gate"]["decision"] == "pass"
    assert any("analyzer fake failed" in r for r in doc["gate"]["reasons"])


def test_results_validate_against_the_contract(tmp_path: Path, only_fake: Path, run_scan: RunFn) -> None:
    import jsonschema

    root = write_tree(tmp_path / "t", {"a.py": "BAD\n", "b.py": "# auditor: ignore[FAKE-LINE-001]\nBAD\n"})
    _, doc, _, _ = run_scan(root, "--rules", str(only_fake))
    schema = json.loads(RESULTS_SCHEMA.read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)


@pytest.mark.parametrize("content,needle", [
    ("fail_on: hgh\n", "key 'fail_on'"),
    ("bogus_key: 1\n", "unknown key 'bogus_key'"),
    ("limits: {max_filez: 3}\n", "unknown key 'limits.max_filez'"),
    ("fail_on: [\n", "not valid YAML"),
])
def test_bad_config_is_exit_2_naming_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             content: str, needle: str) -> None:
    root = write_tree(tmp_path / "t", {"a.py": "x\n", ".auditor.yaml": content})
    rc = main(["scan", str(root)])
    err = capsys.readouterr().err
    assert rc == 2 and needle in err and ".auditor.yaml" in err and "Traceback" not in err


def test_pyproject_tool_auditor_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_tree(tmp_path / "t", {"pyproject.toml": "[tool.auditor]\nfail_onn = 'low'\n"})
    assert main(["scan", str(root)]) == 2
    assert "unknown key 'fail_onn'" in capsys.readouterr().err


BROKEN = """
- id: USER-RULE-001
  title: A user rule
  stage: model-build
  severity: hgh
  risks: [R-INSECURE-CODE]
  applies_to: [python]
  source: pattern
  match: {regex: 'x'}
  description: A user rule with a broken severity.
  remediation: Fix the severity field of this rule.
  references: [CWE-20]
"""


def test_user_rule_pack_is_picked_up_and_broken_one_names_the_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_rules: Path) -> None:
    assert main(["rules", "list", "--rules", str(fake_rules), "--format", "json"]) == 0
    listed = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert listed["FAKE-LINE-001"]["stage"] == "model-build"
    assert all(r["stage"] for r in listed.values())
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "pack.yaml").write_text(BROKEN)
    for args in (["rules", "validate", str(bad)], ["scan", str(tmp_path), "--rules", str(bad)]):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert "pack.yaml" in err and "USER-RULE-001" in err and "'severity'" in err


def test_rules_show(capsys: pytest.CaptureFixture[str], fake_rules: Path) -> None:
    assert main(["rules", "show", "FAKE-LINE-001", "--rules", str(fake_rules)]) == 0
    out = capsys.readouterr().out
    assert "Remediation:" in out and "model-build" in out
    assert main(["rules", "show", "NOPE-001"]) == 2


def test_outputs_refuse_target_tree_symlinks_and_missing_paths(tmp_path: Path, only_fake: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    root = write_tree(tmp_path / "t", {"a.py": "x = 1\n"})
    assert main(["scan", str(root), "-o", str(root / "r.json"), "--rules", str(only_fake)]) == 2
    assert "inside the scanned tree" in capsys.readouterr().err
    assert not (root / "r.json").exists()
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "elsewhere.json")
    assert main(["scan", str(root), "-o", str(link), "--rules", str(only_fake)]) == 2
    assert "symlink" in capsys.readouterr().err
    assert not (tmp_path / "elsewhere.json").exists()
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    assert main(["scan", str(root), "-o", str(fifo), "--rules", str(only_fake)]) == 2
    assert main(["scan", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["scan", str(root), "-o", str(tmp_path / "r.unknownext")]) == 2


def test_report_rerenders_and_rejects_bad_results(tmp_path: Path, only_fake: Path, run_scan: RunFn,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    root = write_tree(tmp_path / "t", {"a.py": "BAD\n"})
    _, doc, _, _ = run_scan(root, "--rules", str(only_fake))
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps(doc))
    out = tmp_path / "again.json"
    assert main(["report", str(saved), "-o", str(out), "-o", str(tmp_path / "r.txt")]) == 0
    assert json.loads(out.read_text()) == doc
    assert "FAKE-LINE-001" in (tmp_path / "r.txt").read_text()
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({**doc, "gate": {"decision": "maybe"}}))
    assert main(["report", str(broken), "-o", str(tmp_path / "x.json")]) == 2
    assert "gate" in capsys.readouterr().err


def test_text_output_escapes_control_characters_and_markup(tmp_path: Path, only_fake: Path,
                                                           run_scan: RunFn) -> None:
    root = tmp_path / "t"
    root.mkdir()
    (root / "a\x1b]8;;http:x\x07[bold red]b.py").write_text("BAD \x1b[2J [link=http://x]y[/link]\n")
    rc, doc, out, _ = run_scan(root, "--rules", str(only_fake))
    assert rc == 1
    assert "\x1b" not in out and "\\x1b" in out
    assert "[bold red]" in out and "[link=http://x]" in out  # shown literally, not interpreted


@pytest.mark.parametrize("name,content,needle", [
    (".auditor-waivers.yaml", "waivers:\n  - {rule: X-001, path: a, reason: r, owner: o, expires: 2026-02-30}\n",
     "cannot be read"),
    (".auditor.yaml", "fail_on: high\nwaivers: 2026-02-30\n", "cannot be read"),
    (".auditor.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n", ".auditor.yaml"),
])
def test_yaml_values_pyyaml_cannot_build_are_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    name: str, content: str, needle: str) -> None:
    root = write_tree(tmp_path / "t", {"a.py": "x = 1\n", name: content})
    assert main(["scan", str(root)]) == 2
    err = capsys.readouterr().err
    assert needle in err and name in err and "Traceback" not in err
