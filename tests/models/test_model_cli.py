"""End to end through the CLI: the demo's planted model problems are found, the gate fails, and a
benign model tree scans clean for every model rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import write_tree

from auditor.cli import main
from fixtures.generators import GENERATORS

MODEL_SOURCES = {"pickle", "model-format", "modelscan", "integrity"}


def _scan(root: Path, out: Path, *args: str) -> tuple[int, dict]:
    res = out / "r.json"
    rc = main(["scan", str(root), "-o", str(res), "--offline", *args])
    return rc, json.loads(res.read_text())


@pytest.mark.slow
def test_demo_models_through_cli(demo_repo: Path, tmp_path: Path) -> None:
    assert (demo_repo / "models" / "classifier.bin").is_file()
    rc, doc = _scan(demo_repo, tmp_path, "--allow-incomplete")
    found = {(f["rule_id"], f["location"]["path"]) for f in doc["findings"]}
    for expected in [("MODEL-PICKLE-001", "models/classifier.bin"), ("MODEL-PICKLE-001", "models/model.pt"),
                     ("MODEL-KERAS-001", "models/sentiment.keras"),
                     ("INTEGRITY-HASH-001", "models/encoder.safetensors")]:
        assert expected in found, sorted(found)
    assert rc == 1


def test_benign_models_clean_through_cli(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    files = {"models/model.pt": GENERATORS["torch_state_dict_zip"](),
             "models/weights.safetensors": GENERATORS["safetensors_valid"](),
             "models/scaler.pkl": GENERATORS["numpy_only_pickle"]()}
    write_tree(root, files)
    import hashlib

    sums = "".join(f"{hashlib.sha256(v).hexdigest()}  {k.split('/')[1]}\n" for k, v in sorted(files.items()))
    write_tree(root, {"models/SHA256SUMS": sums})
    out = tmp_path / "out"
    out.mkdir()
    rc, doc = _scan(root, out, "--stage", "model-build")
    model_findings = [f for f in doc["findings"] if f["analyzer"] in MODEL_SOURCES]
    assert not model_findings, model_findings
    analyzers = {a["name"]: a for a in doc.get("analyzers", [])} if isinstance(doc.get("analyzers"), list) \
        else doc.get("analyzers", {})
    for name in MODEL_SOURCES:
        assert name in analyzers, sorted(analyzers)
