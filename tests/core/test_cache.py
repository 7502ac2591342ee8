"""The content cache and the per-file claim that sharding and caching rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import catalog, write_tree

from auditor.analyzers import registry
from auditor.cli import main

TREE = {
    "src/train.py": "import torch\nimport pickle\nm = torch.load('m.pt')\nd = pickle.load(open('x', 'rb'))\n",
    "src/app.py": "from flask import Flask\napp = Flask(__name__)\napp.run(host='0.0.0.0', debug=True)\n",
    "src/clean.py": "def f(x):\n    return x + 1\n",
    "config/settings.yaml": "aws_access_key_id: AKIAQ3EGRIVXZ7DEMO42\n",
    "Dockerfile": "FROM python:latest\nRUN curl https://x.sh | sh\n",
}


def _scan(root: Path, out: Path, *args: str) -> dict:
    rc = main(["scan", str(root), "-o", str(out), "--allow-incomplete", *args])
    assert rc in (0, 1), rc
    return json.loads(out.read_text())


def test_warm_scan_reuses_results_and_matches_cold(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "t", TREE)
    cache = tmp_path / "cache"
    cold = _scan(root, tmp_path / "a.json", "--cache-dir", str(cache))
    warm = _scan(root, tmp_path / "b.json", "--cache-dir", str(cache))
    assert [f["fingerprint"] for f in cold["findings"]] == [f["fingerprint"] for f in warm["findings"]]
    assert cold["findings"], "the tree has planted problems"
    cached = {a["name"]: a["cached_files"] for a in warm["analyzers"]}
    assert cached["python-call"] == 3 and cached["pattern"] >= 4
    assert all(a["cached_files"] == 0 for a in cold["analyzers"])
    # one changed file is analysed again, the others come from the cache
    (root / "src" / "clean.py").write_text("import pickle\nx = pickle.loads(b'')\n")
    third = _scan(root, tmp_path / "c.json", "--cache-dir", str(cache))
    assert {a["name"]: a["cached_files"] for a in third["analyzers"]}["python-call"] == 2
    assert any(f["location"]["path"] == "src/clean.py" for f in third["findings"])
    assert not any(p.name.startswith(".tmp-") for p in cache.rglob("*"))
    assert not (root / ".auditor-cache").exists()


def test_no_cache_writes_nothing_and_cache_inside_target_is_refused(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    root = write_tree(tmp_path / "t", TREE)
    cache = tmp_path / "cache"
    _scan(root, tmp_path / "a.json", "--cache-dir", str(cache), "--no-cache")
    assert not cache.exists()
    assert main(["scan", str(root), "--cache-dir", str(root / "c")]) == 2
    assert "inside the scanned tree" in capsys.readouterr().err
    assert not (root / "c").exists()


@pytest.mark.parametrize("name", sorted(registry.PER_FILE))
def test_per_file_analyzers_really_are_per_file(name: str, demo_repo: Path) -> None:
    """Findings over the whole demo equal the union of findings over each file alone (with the
    full inventory in the context, as the engine's shards have it): what lets the engine shard these
    analyzers over the cores and cache them per file."""
    from auditor.analyzers.interface import AnalysisContext, AnalyzerOutput, ScanOptions
    from auditor.config import Config
    from auditor.discover import discover

    rules = [r for r in catalog().rules.values() if r.source == name and r.enabled]
    if not rules:
        pytest.skip(f"no rules for {name}")
    inv = discover(demo_repo, Config())
    analyzer = registry.load(name)
    ctx = AnalysisContext(root=inv.root, inventory=inv.assets, options=ScanOptions(), all_paths=inv.all_paths)
    mine = [a for a in inv.assets if a.kind in analyzer.kinds]

    def findings(assets: list) -> list[tuple]:
        out = analyzer.analyze(ctx, assets, rules)
        fs = out.findings if isinstance(out, AnalyzerOutput) else list(out)
        return sorted((f.path, f.cell or 0, f.start_line or 0, f.rule_id, f.message) for f in fs)

    whole = findings(mine)
    assert whole or name in ("terraform", "modelscan", "model-format"), f"{name} finds nothing in the demo"
    assert whole == sorted(x for a in mine for x in findings([a]))
