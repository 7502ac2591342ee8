"""Test helpers shared by every test module: run one analyzer on a tree, build trees, paths."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from auditor.analyzers import registry
from auditor.analyzers.interface import AnalysisContext, AnalyzerOutput, ScanOptions
from auditor.config import Config
from auditor.discover import discover
from auditor.model import RawFinding
from auditor.rules import Catalog, load_catalog

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
VULNDB = SHARED / "vulndb" / "pypa-advisory-database"
RESULTS_SCHEMA = SHARED / "contracts" / "results.schema.json"
SARIF_SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"
DEMO = REPO / "fixtures" / "demo-repo"

_CATALOG: Catalog | None = None


def catalog() -> Catalog:
    global _CATALOG
    if _CATALOG is None:
        _CATALOG = load_catalog()
    return _CATALOG


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Create files (text or bytes) under root; returns root."""
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
    return root


def run_analyzer(
    name: str,
    root: Path,
    rule_ids: Iterable[str] | None = None,
    *,
    config: Mapping[str, Any] | None = None,
    options: ScanOptions | None = None,
) -> list[RawFinding]:
    """Discover ``root`` and run one analyzer with its rules (all, or ``rule_ids``)."""
    return list(run_analyzer_output(name, root, rule_ids, config=config, options=options).findings)


def run_analyzer_output(
    name: str,
    root: Path,
    rule_ids: Iterable[str] | None = None,
    *,
    config: Mapping[str, Any] | None = None,
    options: ScanOptions | None = None,
) -> AnalyzerOutput:
    cfg = Config(data=dict(config or {}))
    inv = discover(root, cfg)
    cat = catalog()
    wanted = set(rule_ids) if rule_ids is not None else None
    rules = [r for r in cat.rules.values() if r.source == name and (wanted is None or r.id in wanted)]
    analyzer = registry.load(name)
    kinds = analyzer.kinds
    assets = [a for a in inv.assets if "repo" in kinds or a.kind in kinds]
    ctx = AnalysisContext(root=inv.root, inventory=inv.assets, options=options or ScanOptions(),
                          config=cfg.data, all_paths=inv.all_paths)
    out = analyzer.analyze(ctx, assets, rules)
    if isinstance(out, AnalyzerOutput):
        return out
    return AnalyzerOutput(findings=list(out))


def rule_ids_of(findings: Iterable[RawFinding]) -> set[str]:
    return {f.rule_id for f in findings}


def scan_json(out_dir: Path, capsys: Any, root: Path, *args: str) -> tuple[int, dict[str, Any] | None, str, str]:
    """Run `auditor scan ROOT -o OUT_DIR/r.json ARGS` in-process: (exit code, results or None, stdout, stderr)."""
    import json

    from auditor.cli import main

    out_dir.mkdir(exist_ok=True)
    res = out_dir / "r.json"
    if res.exists():
        res.unlink()
    rc = main(["scan", str(root), "-o", str(res), *args])
    cap = capsys.readouterr()
    doc = json.loads(res.read_text()) if res.exists() else None
    return rc, doc, cap.out, cap.err
