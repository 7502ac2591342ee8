"""The ``data`` analyzer as a whole: redaction in every output, Parquet without the extra, sampling
settings, large binaries and LFS/DVC (DATA-LFS-001), fairness evidence, and the demo end to end."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from helpers import DEMO, VULNDB, run_analyzer, run_analyzer_output, write_tree

RAW_VALUES = {
    "email": "grace.hopper@navy-mail.org",
    "card": "4012888888881881",
    "card_spaced": "5555 5555 5555 4444",
    "ssn": "536-22-1234",
    "iban": "GB82WEST12345698765432",
    "ip": "198.51.100.42",
    "phone": "+44 20 7946 0958",
}


def _notebook(output_text: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "source": ["df.head()"], "outputs": [
        {"output_type": "stream", "name": "stdout", "text": [output_text]}]}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_raw_values_never_appear_in_any_output(tmp_path: Path) -> None:
    v = RAW_VALUES
    write_tree(tmp_path, {
        "data/people.csv": ("name,email,card,ssn,iban,ip,phone\n"
                            f"g,{v['email']},{v['card']},{v['ssn']},{v['iban']},{v['ip']},{v['phone']}\n"
                            f"h,{v['email']},{v['card_spaced']},{v['ssn']},{v['iban']},{v['ip']},{v['phone']}\n"),
        "data/people.jsonl": json.dumps({"contact": {"mail": v["email"], "pay": v["card"]}}) + "\n",
        "data/people.json": json.dumps([{"who": v["email"], "acct": v["iban"]}]),
        "nb.ipynb": _notebook(f"email {v['email']} tel: {v['phone']} cc {v['card']} ssn {v['ssn']} "
                              f"{v['iban']} from {v['ip']}\n"),
    })
    out = run_analyzer_output("data", tmp_path)
    kinds = {(f.rule_id, f.path) for f in out.findings}
    for rid in ("DATA-PII-001", "DATA-PII-002", "DATA-PII-003", "DATA-PII-004", "DATA-PII-005", "DATA-PII-006"):
        assert (rid, "data/people.csv") in kinds, rid
    assert ("DATA-PII-001", "data/people.jsonl") in kinds and ("DATA-PII-003", "data/people.jsonl") in kinds
    assert ("DATA-PII-005", "data/people.json") in kinds
    nb_types = {f.properties["pii_type"] for f in out.findings if f.rule_id == "DATA-PII-007"}
    assert nb_types == {"email", "phone", "card", "ssn", "iban", "ipv4"}
    everything = "\n".join([*(repr(f) for f in out.findings), json.dumps(out.sections), *out.notes])
    for name, raw in v.items():
        assert raw not in everything, name
        assert raw.replace(" ", "") not in everything, name
    email_col = next(f for f in out.findings if f.rule_id == "DATA-PII-001" and f.path == "data/people.csv")
    assert email_col.properties["example"] == "g***@n***.org"
    assert email_col.properties["column"] == "email" and email_col.properties["ratio"] == 1.0
    assert "2 of 2 sampled rows" in email_col.message and "all 2 rows" in email_col.message


def test_one_finding_per_file_column_type(tmp_path: Path) -> None:
    rows = "".join(f"a{i}@mailhost.org,b{i}@mailhost.org\n" for i in range(30))
    write_tree(tmp_path, {"data/x.csv": "from,to\n" + rows})
    found = run_analyzer("data", tmp_path, ["DATA-PII-001"])
    assert sorted(f.properties["column"] for f in found) == ["from", "to"]
    assert len({f.fingerprint_key for f in found}) == 2


def test_sampling_settings_are_honoured_and_reported(tmp_path: Path) -> None:
    rows = "".join(f"{i},u{i}@mailhost.org\n" for i in range(500))
    write_tree(tmp_path, {"data/x.csv": "id,email\n" + rows})
    out = run_analyzer_output("data", tmp_path, ["DATA-PII-001"], config={"data": {"sample_rows": 10}})
    [f] = out.findings
    assert "10 of 10 sampled rows" in f.message and "first 10 rows (first " in f.message
    section = out.sections["data_audit"]
    assert section["sample_rows"] == 10
    assert section["datasets"]["data/x.csv"]["rows_sampled"] == 10
    out = run_analyzer_output("data", tmp_path, ["DATA-PII-001"], config={"data": {"sample_bytes": "2KB"}})
    [f] = out.findings
    assert "first 2.0 KB of" in f.message


def test_min_ratio_and_min_hits(tmp_path: Path) -> None:
    rows = "".join(f"{i},{'note from a@mailhost.org' if i == 0 else 'plain'}\n" for i in range(100))
    write_tree(tmp_path, {"data/x.csv": "id,comment\n" + rows})
    assert run_analyzer("data", tmp_path, ["DATA-PII-001"])  # a single email is still PII
    from auditor.analyzers.data_scan import DataAnalyzer
    from auditor.analyzers.interface import AnalysisContext, ScanOptions
    from auditor.config import Config
    from auditor.discover import discover
    from auditor.model import Rule, StageSpec

    rule = Rule(id="X-PII-001", title="t", stage=StageSpec("data-build"), severity="high", risks=("R-PII-IN-DATA",),
                applies_to=("data",), source="data", match={"check": "pii", "pii": ["email"], "min_ratio": 0.05},
                description="d" * 10, remediation="r" * 10, references=("CWE-359",))
    inv = discover(tmp_path, Config())
    ctx = AnalysisContext(root=inv.root, inventory=inv.assets, options=ScanOptions(), all_paths=inv.all_paths)
    out = DataAnalyzer().analyze(ctx, list(inv.assets), [rule])
    assert not out.findings


def test_parquet_without_pyarrow_is_not_verified(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    write_tree(tmp_path, {"data/t.parquet": b"PAR1" + b"\x15\x04" * 64 + b"PAR1"})
    out = run_analyzer_output("data", tmp_path)
    scan = [f for f in out.findings if f.rule_id == "DATA-SCAN-001"]
    assert len(scan) == 1 and "install aiml-auditor[parquet]" in scan[0].message
    assert any("install aiml-auditor[parquet]" in n for n in out.notes)
    assert out.sections["data_audit"]["datasets"]["data/t.parquet"]["problem"].endswith("aiml-auditor[parquet]")
    assert not [f for f in out.findings if f.rule_id.startswith("DATA-PII")]


def test_parquet_with_pyarrow_is_scanned(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    (tmp_path / "data").mkdir()
    pq.write_table(pa.table({"mail": ["a@mailhost.org", "b@mailhost.org"]}), tmp_path / "data" / "t.parquet")
    found = run_analyzer("data", tmp_path, ["DATA-PII-001", "DATA-SCAN-001"])
    assert [f.rule_id for f in found] == ["DATA-PII-001"]


def test_corrupt_parquet_with_pyarrow_is_not_verified(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow.parquet")
    write_tree(tmp_path, {"data/t.parquet": b"PAR1 not really parquet"})
    found = run_analyzer("data", tmp_path, ["DATA-SCAN-001"])
    assert len(found) == 1 and "unreadable Parquet" in found[0].message


# ------------------------------------------------------------------ DATA-LFS-001

LFS_CONFIG = {"analyzers": {"data": {"large_file_size": "1KB"}}}


def test_large_binary_without_lfs_or_dvc(tmp_path: Path) -> None:
    write_tree(tmp_path, {"data/big.csv": "x\n" + "1\n" * 2000, "models/w.pt": bytes(range(256)) * 8,
                          "data/small.csv": "x\n1\n", "archives/raw.tar.gz": bytes(range(256)) * 8,
                          "docs/big.md": "words " * 1000})
    found = run_analyzer("data", tmp_path, ["DATA-LFS-001"], config=LFS_CONFIG)
    assert {(f.path, f.kind) for f in found} == {("data/big.csv", "data"), ("models/w.pt", "model"),
                                                  ("archives/raw.tar.gz", "other")}
    assert "without Git LFS" in found[0].message


def test_default_threshold_is_10mb(tmp_path: Path) -> None:
    write_tree(tmp_path, {"data/big.csv": "x\n" + "1\n" * 2000})
    assert not run_analyzer("data", tmp_path, ["DATA-LFS-001"])


@pytest.mark.parametrize("extra", [
    {".gitattributes": "*.csv filter=lfs diff=lfs merge=lfs -text\n*.pt filter=lfs diff=lfs merge=lfs -text\n"},
    {".gitattributes": "data/** filter=lfs diff=lfs merge=lfs -text\n",
     "models/.gitattributes": "w.pt filter=lfs diff=lfs merge=lfs -text\n"},
    {"data.dvc": "outs:\n- path: data\n", "models/w.pt.dvc": "outs:\n- md5: ab\n  path: w.pt\n"},
    {"dvc.yaml": "stages:\n  s:\n    cmd: x\n    outs: [data/big.csv, {models: {cache: true}}]\n"},
], ids=["root-gitattributes", "nested-gitattributes", "dvc-sidecars", "dvc-yaml-outs"])
def test_large_binary_tracked_by_lfs_or_dvc(tmp_path: Path, extra: dict[str, str]) -> None:
    write_tree(tmp_path, {"data/big.csv": "x\n" + "1\n" * 2000, "models/w.pt": bytes(range(256)) * 8, **extra})
    assert not run_analyzer("data", tmp_path, ["DATA-LFS-001"], config=LFS_CONFIG)


def test_lfs_unset_in_a_later_line_wins(tmp_path: Path) -> None:
    write_tree(tmp_path, {"data/big.csv": "x\n" + "1\n" * 2000,
                          ".gitattributes": "*.csv filter=lfs\ndata/big.csv -filter\n"})
    assert len(run_analyzer("data", tmp_path, ["DATA-LFS-001"], config=LFS_CONFIG)) == 1


# ------------------------------------------------------------------ fairness evidence and cards


def test_fairlearn_import_in_a_notebook_is_evidence(tmp_path: Path) -> None:
    nb = json.dumps({"cells": [{"cell_type": "code", "source": ["from fairlearn.metrics import MetricFrame\n"],
                                "outputs": []}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    write_tree(tmp_path, {"data/a.csv": "id,ethnicity\n1,x\n", "notebooks/eval.ipynb": nb})
    out = run_analyzer_output("data", tmp_path, ["DATA-FAIR-001"])
    assert not out.findings
    assert out.sections["data_audit"]["fairness_evidence"] == {
        "found": True, "where": "notebooks/eval.ipynb", "what": "import of fairlearn"}


def test_protected_attribute_names() -> None:
    from auditor.data.fairness import protected_attribute

    for col, attr in [("Gender", "gender"), ("applicant_sex", "sex"), ("DateOfBirth", "age"),
                      ("marital_status", "marital status"), ("is_pregnant", "pregnancy"),
                      ("sexual_orientation", "sexual orientation"), ("NationalOrigin", "nationality"),
                      ("religion", "religion"), ("age", "age")]:
        assert protected_attribute(col) == attr, col
    for col in ("image", "page", "usage", "screen_orientation", "stage", "language", "agent"):
        assert protected_attribute(col) is None, col
    assert protected_attribute("zip3", ["ZIP3"]) == "ZIP3"


def test_card_fields() -> None:
    from auditor.data.provenance import card_fields

    assert card_fields("## Source\nCRM\n## Licence\nCC0\n") == {"source", "license"}
    assert card_fields("| Source | UCI |\n| License | MIT |\n") == {"source", "license"}
    assert card_fields("license: mit\n") == {"license"}
    assert card_fields("The source of truth is elsewhere. No license text.\n") == set()


def test_imbalance_counts_come_from_the_sample(tmp_path: Path) -> None:
    rows = "".join(f"{i},{'1' if i % 50 == 0 else '0'}\n" for i in range(1000))
    write_tree(tmp_path, {"data/t.csv": "x,y\n" + rows})
    [f] = run_analyzer("data", tmp_path, ["DATA-FAIR-002"], config={"data": {"sample_rows": 500}})
    assert f.properties["counts"] == {"0": 490, "1": 10}
    assert f.properties["ratio"] == 49.0 and "first 500 rows" in f.message
    # a regression target (many distinct values) is not a class label
    rows = "".join(f"{i},{i * 0.37:.2f}\n" for i in range(300))
    write_tree(tmp_path, {"data/t.csv": "x,target\n" + rows})
    assert not run_analyzer("data", tmp_path, ["DATA-FAIR-002"])


def test_notebook_outputs_that_are_not_json_give_a_note(tmp_path: Path) -> None:
    write_tree(tmp_path, {"broken.ipynb": "{not json"})
    out = run_analyzer_output("data", tmp_path, ["DATA-PII-007"])
    assert not out.findings and any("broken.ipynb" in n for n in out.notes)


# ------------------------------------------------------------------ the demo


def test_demo_planted_data_problems_are_found() -> None:
    found = run_analyzer("data", DEMO)
    got = {(f.rule_id, f.path) for f in found}
    for expected in [("DATA-PII-001", "data/customers.csv"), ("DATA-PII-002", "data/customers.csv"),
                     ("DATA-PII-003", "data/customers.csv"), ("DATA-PII-006", "data/events.jsonl"),
                     ("DATA-FAIR-001", "data/customers.csv"), ("DATA-FAIR-002", "data/customers.csv"),
                     ("DATA-PROV-001", "data/customers.csv"), ("DATA-PROV-001", "data/events.jsonl"),
                     ("DATA-CRED-001", "data/sources.yaml")]:
        assert expected in got, expected
    # client_version "1.2.3.4" looks like an address and is not reported
    assert not [f for f in found if f.properties.get("column") == "client.client_version"]
    assert "DATA-PII-004" not in {f.rule_id for f in found}
    demo_size = sum(p.stat().st_size for p in (DEMO / "data").iterdir())
    assert demo_size < 100 * 1024


def test_demo_data_is_what_the_generator_writes(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_demo_data", DEMO.parent / "make_demo_data.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["x", str(tmp_path)]) == 0
    for name in ("customers.csv", "events.jsonl"):
        assert (tmp_path / "data" / name).read_text() == (DEMO / "data" / name).read_text(), name


@pytest.mark.slow
def test_demo_scan_through_the_cli(tmp_path: Path) -> None:
    from auditor.cli import main

    out = tmp_path / "r.json"
    rc = main(["scan", str(DEMO), "-o", str(out), "--vuln-db", str(VULNDB), "--no-cache"])
    assert rc == 1  # the demo fails its gate, among others on the data-build stage
    doc = json.loads(out.read_text())
    [entry] = [a for a in doc["analyzers"] if a["name"] == "data"]
    assert entry["status"] == "ok", entry
    data_findings = [f for f in doc["findings"] if f["analyzer"] == "data"]
    assert {f["rule_id"] for f in data_findings} >= {"DATA-PII-001", "DATA-PII-003", "DATA-FAIR-002", "DATA-PROV-001"}
    assert all(f["stage"] == "data-build" for f in data_findings)
    assert "data/customers.csv" in doc["data_audit"]["datasets"]
    [stage] = [s for s in doc["stages"] if s["id"] == "data-build"]
    assert stage["status"] == "fail"
    controls = {c["rule_id"]: c["status"] for c in stage["controls"]}
    assert controls["DATA-PII-003"] == "fail" and controls["DATA-PROV-001"] == "fail"
    assert controls["DATA-PII-004"] == "pass"
    text = json.dumps(data_findings) + json.dumps(doc["data_audit"])
    for raw in ("4111111111111111", "@example.org", "@example.com", "+1-202-555-01", "Tr1age-Demo-Pw"):
        assert raw not in text, raw


def test_notebook_download_snippet_masks_url_secrets(tmp_path: Path) -> None:
    cmd = "!wget 'https://u:pw-9f8e7d@host.example/x.csv?X-Amz-Signature=5f3a9c0b1d2e&v=1' -O x.csv\n"
    nb = json.dumps({"cells": [{"cell_type": "markdown", "source": ["# data"]},
                               {"cell_type": "code", "source": ["import os\n", cmd], "outputs": []}],
                     "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    write_tree(tmp_path, {"prep.ipynb": nb})
    [f] = run_analyzer("data", tmp_path, ["DATA-DL-001"])
    assert (f.cell, f.start_line) == (2, 2)
    assert "pw-9f8e7d" not in repr(f) and "5f3a9c0b1d2e" not in repr(f)
    assert "X-Amz-Signature=****" in (f.snippet or "")


def test_datasets_over_the_cap_are_not_verified(tmp_path: Path) -> None:
    write_tree(tmp_path, {f"data/part-{i}.csv": f"x\n{i}\n" for i in range(5)})
    out = run_analyzer_output("data", tmp_path, ["DATA-SCAN-001"],
                              config={"analyzers": {"data": {"max_datasets": 3}}})
    assert len(out.findings) == 2 and all("max_datasets" in f.message for f in out.findings)
    assert out.files == 5 and any("2 dataset(s) not sampled" in n for n in out.notes)
