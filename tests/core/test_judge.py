"""The judge through the CLI with a fake analyzer: suppressions, waivers, baselines, fingerprints,
weakness dedupe, controls, stage gating and exit codes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from core.conftest import RunFn
from helpers import write_tree

from auditor.cli import main


def _open(doc: dict, rule: str | None = None) -> list[dict]:
    return [f for f in doc["findings"] if f["status"] == "open" and (rule is None or f["rule_id"] == rule)]


def test_findings_fail_the_gate_and_controls(tmp_path: Path, only_fake: Path, run_scan: RunFn) -> None:
    root = write_tree(tmp_path / "t", {"a.py": "x = 1\ny = 'BAD'\n", "b.py": "ok = 1\n"})
    rc, doc, out, _ = run_scan(root, "--rules", str(only_fake))
    assert rc == 1 and doc is not None
    [f] = _open(doc, "FAKE-LINE-001")
    assert f["location"] == {"path": "a.py", "start_line": 2, "end_line": 2, "snippet": "y = 'BAD'"}
    assert f["stage"] == "model-build" and f["severity"] == "critical"  # merged with FAKE-SAME-001
    assert f["properties"]["also_reported_by"] == ["fake2:FAKE-SAME-001"]
    assert not _open(doc, "FAKE-SAME-001")
    stage = next(s for s in doc["stages"] if s["id"] == "model-build")
    assert stage["status"] == "fail"
    control = next(c for c in stage["controls"] if c["rule_id"] == "FAKE-LINE-001")
    assert control["status"] == "fail" and control["findings"] == 1
    assert doc["gate"]["decision"] == "fail" and doc["gate"]["exit_code"] == 1
    assert any("model-build" in r and "FAKE-LINE-001" in r for r in doc["gate"]["reasons"])
    assert "FAKE-LINE-001" in out


def test_stage_by_asset_kind_and_not_applicable(tmp_path: Path, only_fake: Path, run_scan: RunFn) -> None:
    root = write_tree(tmp_path / "t", {"Dockerfile": "FROM x # BAD\n"})
    rc, doc, _, _ = run_scan(root, "--rules", str(only_fake))
    assert rc == 1 and doc
    [f] = _open(doc)
    assert f["stage"] == "deploy"
    deploy = next(s for s in doc["stages"] if s["id"] == "deploy")
    assert {c["rule_id"]: c["status"] for c in deploy["controls"]}["FAKE-LOW-001"] == "not_applicable"
    assert [s["id"] for s in doc["stages"]] == ["problem-definition", "data-build", "model-build", "test",
                                                 "integrate-release", "deploy", "serve", "monitor"]


def test_fail_on_and_stage_selection(tmp_path: Path, only_fake: Path, run_scan: RunFn) -> None:
    root = write_tree(tmp_path / "t", {"a.py": "MEH\n"})
    rc, doc, _, _ = run_scan(root, "--rules", str(only_fake))
    assert rc == 0 and doc and len(_open(doc)) == 1  # low is below the default high
    rc, doc, _, _ = run_scan(root, "--rules", str(only_fake), "--fail-on", "low")
    assert rc == 1
    rc, doc, _, _ = run_scan(root, "--rules", str(only_fake), "--fail-on", "low", "--stage", "model-build")
    assert rc == 0 and doc
    assert next(s for s in doc["stages"] if s["id"] == "deploy")["status"] == "not_gated"
    rc, _, _, _ = run_scan(root, "--rules", str(only_fake), "--fail-on", "low", "--until", "integrate-release")
    assert rc == 0


def test_per_stage_fail_on_from_config(tmp_path: Path, only_fake: Path, run_scan: RunFn) -> None:
    root = write_tree(tmp_path / "t", {"a.py": "BAD\n", ".auditor.yaml": "stages:\n  model-build: {fail_on: none}\n"})
    rc, doc, _, _ = run_scan(root, "--rules", str(only_fake))
    assert rc == 0 and doc and _open(doc)


def test_inline_suppression_with_and_without_reason(tmp_path: Path, only_fake: Path, run_scan: RunFn) -> None:
    root = write_tree(tmp_path / "t", {
        "a.py": "x = 'BAD'  # auditor: ignore[FAKE-LINE-001] test data, not a real problem\n"
                "# auditor: ignore[FAKE-LINE-001]\n"
                "y = 'BAD'\n"
                "# auditor: ignore[FAKE-LOW-001] nothing here\n"
                "z = 1\n",
    })
    rc, doc, _, _ = run_scan(root, "--rules", str(only_fake))
    assert doc
    by_line = {f["location"]["start_line"]: f for f in doc["findings"] if f["rule_id"] == "FAKE-LINE-001"}
    assert by_line[1]["status"] == "suppressed" and "test data" in by_line[1]["status_reason"]
    assert by_line[3]["status"] == "open"  # the suppression above it has no reason
    assert [f["location"]["start_line"] for f in doc["findings"] if f["rule_id"] == "AUDIT-SUPPRESS-001"] == [2]
    assert [f["location"]["start_line"] for f in doc["findings"] if f["rule_id"] == "AUDIT-SUPPRESS-002"] == [4]
    sups = doc["audit"]["suppressions"]
    assert [s["used"] for s in sups] == [True, False, False]
    assert rc == 1


def test_waivers_active_expired_unused(tmp_path: Path, only_fake: Path, run_scan: RunFn) -> None:
    today = dt.date.today()
    root = write_tree(tmp_path / "t", {
        "src/a.py": "BAD\n", "legacy/b.py": "BAD\n",
        ".auditor-waivers.yaml": (
            "waivers:\n"
            f"  - {{rule: FAKE-LINE-001, path: 'src/**', reason: vendor code, owner: alice, "
            f"expires: {today + dt.timedelta(days=30)}, risk: R-INSECURE-CODE}}\n"
            f"  - {{rule: FAKE-LINE-001, path: 'legacy/*.py', reason: old, owner: bob, "
            f"expires: {today - dt.timedelta(days=1)}}}\n"
            f"  - {{rule: FAKE-LOW-001, path: '**', reason: never, owner: carol, expires: {today}}}\n"),
    })
    rc, doc, _, _ = run_scan(root, "--rules", str(only_fake))
    assert doc and rc == 1
    st = {f["location"]["path"]: f for f in doc["findings"] if f["rule_id"] == "FAKE-LINE-001"}
    assert st["src/a.py"]["status"] == "waived" and "alice" in st["src/a.py"]["status_reason"]
    assert st["legacy/b.py"]["status"] == "open" and "expired" in st["legacy/b.py"]["status_reason"]
    assert [w["status"] for w in doc["audit"]["waivers"]] == ["active", "expired", "unused"]
    assert len([f for f in doc["findings"] if f["rule_id"] == "AUDIT-WAIVER-001"]) == 1
    assert len([f for f in doc["findings"] if f["rule_id"] == "AUDIT-WAIVER-002"]) == 1


def test_bad_waiver_file_is_exit_2_naming_the_field(tmp_path: Path, only_fake: Path, run_scan: RunFn) -> None:
    root = write_tree(tmp_path / "t", {"a.py": "x\n", ".auditor-waivers.yaml": "waivers:\n  - {rule: X, path: a}\n"})
    rc, doc, _, err = run_scan(root, "--rules", str(only_fake))
    assert rc == 2 and doc is None
    assert "waiver #1" in err and "'reason' is required" in err


def test_baseline_and_fingerprints_survive_line_moves(tmp_path: Path, only_fake: Path, run_scan: RunFn) -> None:
    root = write_tree(tmp_path / "t", {"a.py": "x = 1\ny = 'BAD'\n"})
    rc, doc, _, _ = run_scan(root, "--rules", str(only_fake))
    assert rc == 1 and doc
    fp = _open(doc)[0]["fingerprint"]
    results = tmp_path / "out" / "saved.json"
    results.write_text(json.dumps(doc))
    base = tmp_path / "base.json"
    assert main(["baseline", str(results), "-o", str(base)]) == 0
    (root / "a.py").write_text("# a new comment\n\nx = 1\ny = 'BAD'\n")
    rc, doc, _, _ = run_scan(root, "--rules", str(only_fake), "--baseline", str(base))
    assert rc == 0 and doc
    [f] = [f for f in doc["findings"] if f["rule_id"] == "FAKE-LINE-001"]
    assert f["fingerprint"] == fp and f["status"] == "baselined" and f["location"]["start_line"] == 4
    assert doc["audit"]["baseline"]["matched"] == 1
    (root / "a.py").write_text("x = 1\ny = 'BAD'\nz = 'BAD too'\n")
    rc, doc, _, _ = run_scan(root, "--rules", str(only_fake), "--baseline", str(base))
    assert rc == 1 and doc and [f["location"]["start_line"] for f in _open(doc)] == [3]


def test_json_is_deterministic_apart_from_timestamps(tmp_path: Path, only_fake: Path, run_scan: RunFn) -> None:
    root = write_tree(tmp_path / "t", {"a.py": "BAD\nMEH\n", "b.py": "BAD\n"})
    docs = []
    for _ in range(2):
        _, doc, _, _ = run_scan(root, "--rules", str(only_fake))
        assert doc
        for key in ("started_at", "finished_at"):
            doc.pop(key)
        for a in doc["analyzers"]:
            a.pop("duration_s")
        docs.append(json.dumps(doc, sort_keys=False))
    assert docs[0] == docs[1]
