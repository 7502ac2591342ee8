"""Metric gates: file formats, dotted paths, operators, failures with the numbers in the message,
configuration errors (exit 2 naming metrics[i].thresholds.<key>), and the test stage through the CLI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import run_analyzer, run_analyzer_output, write_tree

from auditor import metricspec
from auditor.config import validate
from auditor.errors import ConfigError

from .conftest import RunFn


def _cfg(file: str, **thresholds: str) -> dict:
    return {"metrics": [{"file": file, "thresholds": thresholds}]}


@pytest.mark.parametrize("op,limit,value,holds", [
    (">=", "0.9", 0.9, True), (">=", "0.9", 0.89, False), (">", "0.9", 0.9, False), (">", "0.9", 0.91, True),
    ("<=", "0.1", 0.1, True), ("<=", "0.1", 0.1000001, False), ("<", "0.1", 0.1, False), ("<", "1e-1", 0.05, True),
    ("==", "3", 3.0, True), ("==", "3", 3.1, False), ("!=", "0", 0.0, False), ("!=", "0", 1.0, True),
])
def test_operators(op: str, limit: str, value: float, holds: bool) -> None:
    t = metricspec.parse_threshold("m", f"{op} {limit}", "where")
    assert t.holds(value) is holds


@pytest.mark.parametrize("bad", ["0.9", ">= ", "=> 0.9", ">= ninety", ">= 0.9 %", "<> 1", ">= nan"])
def test_malformed_threshold_is_a_config_error_naming_the_key(bad: str) -> None:
    with pytest.raises(ConfigError) as exc:
        validate({"metrics": [{"file": "m.json", "thresholds": {"ok": ">= 1", "fairness.dpd": bad}}]}, ".auditor.yaml")
    assert "metrics[0].thresholds.fairness.dpd" in str(exc.value) and ".auditor.yaml" in str(exc.value)


@pytest.mark.parametrize("path", ["../outside.json", "/etc/metrics.json", "reports/../../x.json"])
def test_metric_paths_may_not_leave_the_root(path: str) -> None:
    with pytest.raises(ConfigError, match=r"metrics\[0\]\.file"):
        validate(_cfg(path, accuracy=">= 0.9"), "cfg")


def test_metrics_cli_config_error_exits_2(tmp_path: Path, scan: RunFn) -> None:
    root = write_tree(tmp_path / "t", {".auditor.yaml": "metrics:\n  - file: m.json\n    thresholds: {accuracy: 'at least 0.9'}\n"})
    rc, doc, _, err = scan(root)
    assert rc == 2 and doc is None and "metrics[0].thresholds.accuracy" in err


def test_csv_shapes() -> None:
    assert metricspec.read_csv("accuracy,0.9\nf1,0.8\n") == {"accuracy": "0.9", "f1": "0.8"}
    assert metricspec.read_csv("name,value\naccuracy,0.9\n") == {"accuracy": "0.9"}
    assert metricspec.read_csv("accuracy,f1,auc\n0.9,0.8,0.7\n") == {"accuracy": "0.9", "f1": "0.8", "auc": "0.7"}
    with pytest.raises(metricspec.MetricsReadError):
        metricspec.read_csv("a,b,c\n1,2,3\n4,5,6\n")


def test_lookup_literal_key_dotted_path_and_list_index() -> None:
    doc = {"a.b": 1, "a": {"b": 2, "c": [{"d": 3}]}}
    assert metricspec.lookup(doc, "a.b") == 1
    assert metricspec.lookup(doc, "a.c.0.d") == 3
    assert metricspec.is_missing(metricspec.lookup(doc, "a.x"))
    assert metricspec.as_number(True) is None and metricspec.as_number("0.5") == 0.5
    assert metricspec.as_number(float("inf")) is None


def test_values_and_thresholds_in_the_message(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "t", {"reports/metrics.json": '{"accuracy": 0.87, "fairness": {"dpd": 0.04}}'})
    out = run_analyzer_output("metrics", root, config=_cfg("reports/metrics.json", accuracy=">= 0.90",
                                                           **{"fairness.dpd": "<= 0.10"}))
    [f] = out.findings
    assert f.rule_id == "TEST-METRIC-001" and "0.87" in f.message and ">= 0.90" in f.message
    assert f.properties == {"metric": "accuracy", "value": 0.87, "threshold": ">= 0.90"}
    section = out.sections["metrics"][0]
    assert [(m["name"], m["status"]) for m in section["metrics"]] == [("accuracy", "fail"), ("fairness.dpd", "pass")]


def test_metrics_file_symlink_out_of_root_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "outside.json"
    secret.write_text('{"accuracy": 0.99}')
    root = write_tree(tmp_path / "t", {"x.py": "x = 1\n"})
    os.symlink(secret, root / "m.json")
    [f] = run_analyzer("metrics", root, config=_cfg("m.json", accuracy=">= 0.9"))
    assert f.rule_id == "TEST-METRIC-002" and "outside the scanned root" in f.message


def test_metric_below_threshold_fails_the_test_stage(tmp_path: Path, ours: Path, scan: RunFn) -> None:
    root = write_tree(tmp_path / "t", {
        "reports/metrics.json": '{"accuracy": 0.87}',
        ".auditor.yaml": "metrics:\n  - file: reports/metrics.json\n    thresholds: {accuracy: '>= 0.90'}\n",
    })
    rc, doc, out, _ = scan(root, "--rules", str(ours))
    assert rc == 1 and doc
    stage = {s["id"]: s for s in doc["stages"]}["test"]
    assert stage["status"] == "fail"
    [reason] = [r for r in doc["gate"]["reasons"] if r.startswith("stage test")]
    assert "TEST-METRIC-001" in reason
    [f] = [f for f in doc["findings"] if f["rule_id"] == "TEST-METRIC-001"]
    assert f["stage"] == "test" and "accuracy = 0.87" in f["message"] and ">= 0.90" in f["message"]
    assert "0.87" in out
    assert doc["metrics"][0]["metrics"][0]["value"] == 0.87
    # gating only the stages before test lets it through, and a passing metric passes
    rc, _, _, _ = scan(root, "--rules", str(ours), "--until", "model-build")
    assert rc == 0
    (root / "reports/metrics.json").write_text('{"accuracy": 0.91}')
    rc, doc, _, _ = scan(root, "--rules", str(ours))
    assert rc == 0 and doc and {s["id"]: s for s in doc["stages"]}["test"]["status"] == "pass"
