"""The pattern analyzer: matching, prefilter, entropy, placeholders, redaction, notebooks, bounds."""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import REPO, catalog, run_analyzer, run_analyzer_output, write_tree

from auditor.analyzers import textutil
from auditor.analyzers.interface import AnalysisContext, ScanOptions
from auditor.analyzers.pattern import PatternAnalyzer, _compile
from auditor.config import Config
from auditor.discover import discover
from auditor.errors import RuleError, UsageError
from auditor.model import RawFinding, Rule, StageSpec
from auditor.rules import load_pack

AWS_ID = "AKIAQ3EGRIVXZ7DEMO42"
HF = "hf_Q7xKp2LmN9vRt4ZbW8cYd3FgH6jS1aDEMO"


def make_rule(match: Mapping[str, Any], rule_id: str = "TEST-PATTERN-001",
              applies_to: Sequence[str] = ("python", "config", "doc", "other", "notebook")) -> Rule:
    return Rule(id=rule_id, title="Test pattern", stage=StageSpec(default="model-build"), severity="high",
                risks=("R-SECRET-LEAKAGE",), applies_to=tuple(applies_to), source="pattern", match=match,
                description="test rule", remediation="fix it", references=("CWE-798",))


def run_rules(root: Path, rules: Sequence[Rule], settings: Mapping[str, Any] | None = None) -> Any:
    inv = discover(root, Config(data={}))
    analyzer = PatternAnalyzer()
    assets = [a for a in inv.assets if a.kind in analyzer.kinds]
    ctx = AnalysisContext(root=inv.root, inventory=inv.assets, all_paths=inv.all_paths,
                          options=ScanOptions(settings={"pattern": dict(settings or {})}))
    return analyzer.analyze(ctx, assets, rules)


def fields_text(f: RawFinding) -> str:
    return json.dumps(dataclasses.asdict(f), default=str)


# --- matching basics -------------------------------------------------------------------------

def test_finding_location_snippet_kind_and_redaction(tmp_path: Path) -> None:
    write_tree(tmp_path, {"src/app.py": f'import boto3\n\nKEY = "{AWS_ID}"\n'})
    [f] = run_analyzer("pattern", tmp_path, ["SECRET-AWS-001"])
    assert (f.path, f.start_line, f.end_line, f.kind) == ("src/app.py", 3, 3, "python")
    assert f.snippet == 'KEY = "AKIA****"'
    assert "AKIA****" in f.message
    assert AWS_ID not in fields_text(f)
    assert f.fingerprint_key is not None and f.fingerprint_key.startswith("AKIA****#")


def test_fingerprint_key_survives_line_moves(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write_tree(a, {"app.py": f'KEY = "{AWS_ID}"\n'})
    write_tree(b, {"app.py": f'"""doc"""\nimport os\n\n\nKEY = "{AWS_ID}"\n'})
    [fa] = run_analyzer("pattern", a, ["SECRET-AWS-001"])
    [fb] = run_analyzer("pattern", b, ["SECRET-AWS-001"])
    assert fa.start_line != fb.start_line
    assert fa.fingerprint_key == fb.fingerprint_key


def test_two_different_secrets_get_different_keys(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app.py": f'A = "{AWS_ID}"\nB = "AKIAZ7DEMOQ3EGRIVX42"\n'})
    keys = {f.fingerprint_key for f in run_analyzer("pattern", tmp_path, ["SECRET-AWS-001"])}
    assert len(keys) == 2


def test_non_secret_rule_reports_evidence_group(tmp_path: Path) -> None:
    rule = make_rule({"regex": r"debug\s*=\s*(?P<evidence>True)", "keywords": ["debug"]})
    write_tree(tmp_path, {"serve.py": "app.run(debug = True)\n"})
    [f] = run_rules(tmp_path, [rule]).findings
    assert f.message.endswith(": True")
    assert f.snippet == "app.run(debug = True)"
    assert f.fingerprint_key == "debug = True"


def test_ignore_case_and_multiline(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.txt": "line one\nBEGIN\nsecret body\nEND\n"})
    ci = make_rule({"regex": "begin", "ignore_case": True})
    cs = make_rule({"regex": "begin"}, rule_id="TEST-PATTERN-002")
    ml = make_rule({"regex": r"^BEGIN\n(?P<evidence>[^\n]+)\nEND$", "multiline": True}, rule_id="TEST-PATTERN-003")
    by_rule = {f.rule_id: f for f in run_rules(tmp_path, [ci, cs, ml]).findings}
    assert set(by_rule) == {"TEST-PATTERN-001", "TEST-PATTERN-003"}
    assert (by_rule["TEST-PATTERN-003"].start_line, by_rule["TEST-PATTERN-003"].end_line) == (2, 4)


def test_files_and_exclude_globs(tmp_path: Path) -> None:
    write_tree(tmp_path, {"src/a.py": "MARK\n", "src/vendor/b.py": "MARK\n", "docs/c.md": "MARK\n"})
    rule = make_rule({"regex": "MARK", "files": ["src/**"], "exclude": ["vendor/"]})
    assert [f.path for f in run_rules(tmp_path, [rule]).findings] == ["src/a.py"]


def test_rule_applies_only_to_its_kinds(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": "MARK\n", "b.md": "MARK\n"})
    rule = make_rule({"regex": "MARK"}, applies_to=["doc"])
    assert [f.path for f in run_rules(tmp_path, [rule]).findings] == ["b.md"]


# --- filters ---------------------------------------------------------------------------------

def test_keyword_prefilter_is_per_file_and_case_insensitive(tmp_path: Path) -> None:
    rule = make_rule({"regex": r"\b\d{6}\b", "keywords": ["PIN"]})
    write_tree(tmp_path, {
        "none.txt": "123456\n",  # no keyword anywhere: never searched
        "other_line.txt": "pin below\n123456\n",  # keyword elsewhere in the file: searched
        "hit.txt": "x\nmy Pin 123456\n",
    })
    found = [(f.path, f.start_line) for f in run_rules(tmp_path, [rule]).findings]
    assert found == [("hit.txt", 2), ("other_line.txt", 2)]


def test_prefilter_skips_regex_when_keyword_absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    searched: list[str] = []
    rule = make_rule({"regex": "MARK", "keywords": ["needle"]})
    compiled = _compile(rule)

    class Spy:
        groupindex: dict[str, int] = {}

        def search(self, text: str, pos: int, endpos: int) -> Any:
            searched.append(text[pos:endpos])
            return compiled.regex.search(text, pos, endpos)

        def finditer(self, text: str, pos: int, endpos: int) -> Any:
            searched.append(text[pos:endpos])
            return compiled.regex.finditer(text, pos, endpos)

    import auditor.analyzers.pattern as pattern_mod

    real = pattern_mod._compile
    monkeypatch.setattr(pattern_mod, "_compile", lambda r: dataclasses.replace(real(r), regex=Spy()))
    write_tree(tmp_path, {"a.txt": "MARK\n" * 100, "b.txt": "needle MARK\nMARK\n"})
    findings = run_rules(tmp_path, [rule]).findings
    assert [(f.path, f.start_line) for f in findings] == [("b.txt", 1), ("b.txt", 2)]
    assert searched and not any(t.count("MARK") > 2 for t in searched)  # a.txt (100 marks): never searched


def test_line_rules_do_not_match_across_lines(tmp_path: Path) -> None:
    rule = make_rule({"regex": r"token:\s*(?P<evidence>\S+)", "keywords": ["token"]})
    write_tree(tmp_path, {"a.yaml": "token:\ntoken: abc\nother: 1\n"})
    assert [(f.start_line, f.message.rsplit(": ", 1)[1]) for f in run_rules(tmp_path, [rule]).findings] == [
        (2, "abc")]


def test_line_anchors_apply_per_line(tmp_path: Path) -> None:
    rule = make_rule({"regex": r"^key=(?P<evidence>\w+)$"})
    write_tree(tmp_path, {"a.env": "x=1\nkey=abc\n  key=indented\nkey=last"})
    assert [f.start_line for f in run_rules(tmp_path, [rule]).findings] == [2, 4]


def test_entropy_filter(tmp_path: Path) -> None:
    rule = make_rule({"regex": r"key=(?P<secret>\w{20})", "secret": True, "min_entropy": 3.5})
    write_tree(tmp_path, {"low.txt": "key=aaaaabbbbbaaaaabbbbb\n", "high.txt": "key=Q7xKp2LmN9vRt4ZbW8cY\n"})
    assert textutil.shannon_entropy("aaaaabbbbbaaaaabbbbb") < 3.5 < textutil.shannon_entropy("Q7xKp2LmN9vRt4ZbW8cY")
    assert [f.path for f in run_rules(tmp_path, [rule]).findings] == ["high.txt"]


def test_shannon_entropy_values() -> None:
    assert textutil.shannon_entropy("") == 0.0
    assert textutil.shannon_entropy("aaaa") == 0.0
    assert textutil.shannon_entropy("abcd") == pytest.approx(2.0)


@pytest.mark.parametrize("value", [
    "AKIAIOSFODNN7EXAMPLE", "${AWS_ACCESS_KEY_ID}", "<your-access-key>", "os.environ['KEY']", "xxxxxxxxxxxx",
])
def test_placeholder_allow_list(tmp_path: Path, value: str) -> None:
    rule = make_rule({"regex": r"key\s*=\s*(?P<secret>\S+)", "secret": True, "allow": [
        "EXAMPLE", r"x{5,}", r"<[^<>]{1,60}>", r"\$\{", r"os\.environ"]})
    write_tree(tmp_path, {"a.txt": f"key = {value}\n", "b.txt": "key = Q7xKp2LmN9vRt4Zb\n"})
    assert [f.path for f in run_rules(tmp_path, [rule]).findings] == ["b.txt"]


def test_not_regex_ignores_the_line(tmp_path: Path) -> None:
    rule = make_rule({"regex": "MARK", "not_regex": r"#\s*test fixture"})
    write_tree(tmp_path, {"a.txt": "MARK  # test fixture\nMARK\n"})
    assert [f.start_line for f in run_rules(tmp_path, [rule]).findings] == [2]


# --- redaction -------------------------------------------------------------------------------

def _secret_cases() -> list[dict[str, Any]]:
    doc = yaml.safe_load((REPO / "tests" / "rule_cases" / "secrets.yaml").read_text())
    return [c for c in doc["cases"] if c["expect"] == "fail"]


def test_raw_secret_never_in_any_field(tmp_path: Path) -> None:
    """Every positive golden secret case: the matched secret (and its hidden part) appears in no field."""
    cat = catalog()
    checked = 0
    for n, case in enumerate(_secret_cases()):
        root = tmp_path / f"case{n}"
        root.mkdir()
        write_tree(root, case["files"])
        rule = cat.rules[case["rule"]]
        regex = _compile(rule).regex
        secrets = {m.group("secret") for text in case["files"].values() for m in regex.finditer(text)
                   if m.group("secret")}
        findings = run_analyzer("pattern", root)
        assert findings, case["name"]
        blob = "\n".join(fields_text(f) for f in findings)
        for s in secrets:
            checked += 1
            assert s not in blob, (case["name"], s)
            if len(s) > 8:
                assert s[4:] not in blob, (case["name"], "hidden part leaked")
                assert s[4:12] not in blob, (case["name"], "part of the hidden part leaked")
    assert checked >= 25


def test_secret_on_a_long_line_is_redacted_and_clipped(tmp_path: Path) -> None:
    line = "x = 1; " * 2000 + f'key = "{HF}"' + "; y = 2" * 2000
    write_tree(tmp_path, {"gen.py": line + "\n"})
    [f] = run_analyzer("pattern", tmp_path, ["SECRET-HF-001"])
    assert HF not in fields_text(f) and HF[4:] not in fields_text(f)
    assert f.snippet is not None and "hf_Q****" in f.snippet and len(f.snippet) < 300


def test_redact_helpers() -> None:
    assert textutil.redact("hf_abcdefghijkl") == "hf_a****"
    assert textutil.redact("short") == "****"
    masked = textutil.mask_known_tokens(f'login("{HF}") db=postgres://u:Pa55word@h/db')
    assert HF not in masked and "Pa55word" not in masked and "postgres://u:****@h/db" in masked


# --- notebooks -------------------------------------------------------------------------------

def notebook(cells: list[dict[str, Any]]) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})


def code_cell(src: str, outputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": outputs or [],
            "source": src.splitlines(keepends=True)}


def test_notebook_cell_and_line_mapping_and_outputs(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# title\n"]},
        code_cell("!pip install transformers\n%matplotlib inline\nimport os\n"),
        code_cell(f'x = 1\n\nTOKEN = "{HF}"\n'),
        code_cell("print(os.environ['T'])\n", outputs=[
            {"output_type": "stream", "name": "stdout", "text": ["loaded\n", f"token={HF}\n"]}]),
    ]
    write_tree(tmp_path, {"nb/explore.ipynb": notebook(cells)})
    findings = sorted(run_analyzer("pattern", tmp_path, ["SECRET-HF-001"]), key=lambda f: (f.cell or 0))
    assert [(f.cell, f.start_line) for f in findings] == [(3, 3), (4, None)]
    assert findings[0].kind == "notebook"
    assert "in cell 3" in findings[0].message
    assert "output of cell 4" in findings[1].message and findings[1].properties["notebook_output"] is True
    for f in findings:
        assert HF not in fields_text(f)


def test_shell_escape_lines_are_searched_too(tmp_path: Path) -> None:
    cells = [code_cell(f"!huggingface-cli login --token {HF}\n")]
    write_tree(tmp_path, {"n.ipynb": notebook(cells)})
    [f] = run_analyzer("pattern", tmp_path, ["SECRET-HF-001"])
    assert (f.cell, f.start_line) == (1, 1)


def test_invalid_notebook_is_searched_as_text(tmp_path: Path) -> None:
    write_tree(tmp_path, {"broken.ipynb": '{"cells": [ "not closed ... TOKEN = "' + HF + '"\n'})
    [f] = run_analyzer("pattern", tmp_path, ["SECRET-HF-001"])
    assert f.cell is None and f.start_line == 1


# --- bounds ----------------------------------------------------------------------------------

def test_binary_files_skipped_and_size_cap(tmp_path: Path) -> None:
    rule = make_rule({"regex": "MARK"})
    write_tree(tmp_path, {"a.txt": b"MARK\x00\x01binary", "big.txt": "x\n" * 6000 + "MARK\n", "small.txt": "MARK\n"})
    out = run_rules(tmp_path, [rule], settings={"max_bytes": 10_000})
    assert [f.path for f in out.findings] == ["small.txt"]
    assert any("binary" in n for n in out.notes)
    assert any("big.txt" in n and "max_bytes" in n for n in out.notes)
    assert out.files == 2


def test_match_across_a_slice_boundary_on_a_long_line(tmp_path: Path) -> None:
    from auditor.analyzers.pattern import LINE_OVERLAP, LINE_SLICE

    step = LINE_SLICE - LINE_OVERLAP
    for offset in (step - 10, step - len(HF) // 2, LINE_SLICE - 5, 3 * step + 1):
        root = tmp_path / str(offset)
        write_tree(root, {"a.txt": "-" * offset + " " + HF + " " + "-" * 9000 + "\n"})
        found = run_analyzer("pattern", root, ["SECRET-HF-001"])
        assert len(found) == 1, offset


def test_invalid_regex_raises_usage_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.txt": "x\n"})
    with pytest.raises(RuleError) as err:
        run_rules(tmp_path, [make_rule({"regex": "(unclosed"})])
    assert isinstance(err.value, UsageError) and "match.regex" in str(err.value)


def test_invalid_regex_in_a_pack_is_rejected_at_load_time(tmp_path: Path) -> None:
    pack = tmp_path / "p.yaml"
    pack.write_text(yaml.safe_dump([{
        "id": "USER-PAT-002", "title": "x rule", "stage": "deploy", "severity": "low", "risks": ["R-SECRET-LEAKAGE"],
        "applies_to": ["python"], "source": "pattern", "match": {"regex": "ok", "allow": ["[unclosed"]},
        "description": "a description", "remediation": "a remediation", "references": ["CWE-798"]}]))
    with pytest.raises(RuleError, match=r"USER-PAT-002: field 'match.allow': invalid regular expression"):
        load_pack(pack)


def test_match_schema_rejects_unknown_keys(tmp_path: Path) -> None:
    pack = tmp_path / "p.yaml"
    pack.write_text(yaml.safe_dump([{
        "id": "USER-PAT-001", "title": "x rule", "stage": "deploy", "severity": "low", "risks": ["R-SECRET-LEAKAGE"],
        "applies_to": ["python"], "source": "pattern", "match": {"regex": "x", "regexp": "typo"},
        "description": "a description", "remediation": "a remediation", "references": ["CWE-798"]}]))
    with pytest.raises(RuleError, match="match"):
        load_pack(pack)


ADVERSARIAL_SIZE = 1_000_000


def adversarial_line(rule: Rule) -> str:
    """One 1 MB line made of 40 kB runs of the inputs that make backtracking patterns blow up: long
    runs of token characters, and the rule's keywords repeated, with separators and quotes."""
    kws = list(rule.match.get("keywords") or ["key"])[:3]
    units = ["aB3", "A", "-", "=======a", "eyJ", "sk-", "://", "a:", "\\n", " "]
    for kw in kws:
        units += [kw + "Ab3_", kw + "=aB3aB3aB3aB3aB3aB3aB3aB3aB3aB3", kw + '": "', kw.upper() + "=" + "9" * 40]
    chunk = 40_000
    parts = [(u * (chunk // len(u) + 1))[:chunk] for u in units]
    line = "".join(parts)
    return (line * (ADVERSARIAL_SIZE // len(line) + 1))[:ADVERSARIAL_SIZE]


def time_rule(rule: Rule, text: str) -> float:
    """Time of the analyzer's own matching loop (no file I/O) over ``text``."""
    from auditor.analyzers.pattern import _hits, line_windows

    c = _compile(rule)
    start = time.perf_counter()
    for n, _hit in enumerate(_hits(c, text, line_windows(text))):
        if n > 100_000:
            break
    return time.perf_counter() - start


@pytest.mark.slow
def test_every_shipped_pattern_is_linear_on_1mb_adversarial_lines() -> None:
    rules = [r for r in catalog().rules.values() if r.source == "pattern"]
    assert len(rules) >= 22
    times: dict[str, float] = {}
    for rule in rules:
        line = adversarial_line(rule)
        # the same bytes as one 1 MB line, and as short lines (the block path of line rules)
        lines = "\n".join(line[i:i + 97] for i in range(0, len(line), 97))
        times[rule.id] = time_rule(rule, line) + time_rule(rule, lines)
    slowest = sorted(times.items(), key=lambda kv: -kv[1])[:5]
    # a linear pattern needs well under a second per MB; a backtracking one needs minutes
    assert all(t < 3.0 for t in times.values()), slowest
    assert sum(times.values()) < 30.0, slowest


def test_a_quadratic_pattern_is_caught_by_the_bound() -> None:
    """The adversarial input does expose a backtracking pattern (so the test above can fail)."""
    bad = make_rule({"regex": r"(?P<secret>[A-Za-z0-9]{10,}!)"})
    line = ("aB3" * 20_000)[:50_000]
    good = make_rule({"regex": r"(?<![A-Za-z0-9])(?P<secret>[A-Za-z0-9]{10,100}!)"})
    assert time_rule(bad, line) > 20 * max(time_rule(good, line), 0.001)


def test_secrets_pack_has_22_formats_with_redaction() -> None:
    rules = [r for r in catalog().rules.values() if r.id.startswith("SECRET-")]
    assert len(rules) >= 22
    for r in rules:
        assert r.source == "pattern" and r.match.get("secret") is True, r.id
        assert r.weakness == "CWE-798" and "R-SECRET-LEAKAGE" in r.risks, r.id
        assert re.compile(r.match["regex"]).groupindex.get("secret"), r.id
    aws = catalog().rules["SECRET-AWS-001"]
    assert (aws.stage.for_kind("container"), aws.stage.for_kind("data"), aws.stage.for_kind("python"),
            aws.stage.for_kind("notebook"), aws.stage.for_kind("config")) == (
        "deploy", "data-build", "model-build", "model-build", "deploy")


def test_demo_repo_secrets(tmp_path: Path) -> None:
    from helpers import DEMO

    out = run_analyzer_output("pattern", DEMO, ["SECRET-AWS-001", "SECRET-AWS-002", "SECRET-HF-001"])
    got = {(f.rule_id, f.path) for f in out.findings}
    assert {("SECRET-AWS-001", "config/settings.yaml"), ("SECRET-AWS-002", "config/settings.yaml"),
            ("SECRET-HF-001", "notebooks/explore.ipynb")} <= got


# --- end to end through the CLI ----------------------------------------------------------------

@pytest.mark.slow
def test_scan_cli_stages_by_kind_and_no_secret_in_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from auditor.cli import main

    db_pw = "Zr8kq2LmV9xpT4wB"
    root = write_tree(tmp_path / "repo", {
        "config/app.yaml": f"aws:\n  key: {AWS_ID}\n",
        "data/sources.csv": f"name,url\nfeatures,postgresql://ml:{db_pw}@db.internal/features\n",
        "nb.ipynb": json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
            {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
             "source": ["!pip install huggingface_hub\n", f'login("{HF}")\n']}]}),
        "src/agent.py": "def act(llm, q):\n    exec(llm.invoke(q).content)\n",
        "README.md": "# demo\n",
    })
    out = tmp_path / "out"
    rc = main(["scan", str(root), "-o", str(out / "r.json"), "--no-cache", "--allow-incomplete"])
    printed = capsys.readouterr().out
    assert rc == 1
    raw = (out / "r.json").read_text()
    for secret in (AWS_ID, HF, db_pw, HF[4:], AWS_ID[4:]):
        assert secret not in raw and secret not in printed
    doc = json.loads(raw)
    stage_of = {(f["rule_id"], f["location"]["path"]): f["stage"] for f in doc["findings"]}
    assert stage_of[("SECRET-AWS-001", "config/app.yaml")] == "deploy"
    assert stage_of[("SECRET-DBURL-001", "data/sources.csv")] == "data-build"
    assert stage_of[("SECRET-HF-001", "nb.ipynb")] == "model-build"
    assert stage_of[("MLCODE-LLM-EXEC-001", "src/agent.py")] == "serve"
    assert stage_of[("GOV-SECURITY-001", ".")] == "problem-definition"
    hf = next(f for f in doc["findings"] if f["rule_id"] == "SECRET-HF-001")
    assert (hf["location"]["cell"], hf["location"]["start_line"]) == (1, 2)
