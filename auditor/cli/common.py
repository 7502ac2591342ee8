"""Pieces several commands share: loading the catalog with config, writing reports."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import click
import jsonschema

from auditor import fsio, resources
from auditor.config import Config
from auditor.errors import InputError
from auditor.reports import interface as reports
from auditor.rules import Catalog, load_catalog

SEVERITY_CHOICE = click.Choice(["critical", "high", "medium", "low", "info", "none"])
STAGE_CHOICE = click.Choice(["problem-definition", "data-build", "model-build", "test", "integrate-release",
                             "deploy", "serve", "monitor"])


def catalog_for(config: Config, rule_dirs: Sequence[str], base: Path | None) -> Catalog:
    rules_cfg = config.get("rules") or {}
    dirs = [Path(d) for d in rule_dirs]
    for d in rules_cfg.get("dirs") or []:
        p = Path(d)
        if not p.is_absolute():
            p = (config.path.parent if config.path else (base or Path.cwd())) / p
        dirs.append(p)
    return load_catalog(dirs, disable=rules_cfg.get("disable") or (), enable=rules_cfg.get("enable") or (),
                        severity_overrides=rules_cfg.get("severity") or {})


@lru_cache(maxsize=1)
def _results_schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(resources.schema_path("results.schema.json").read_text())
    return loaded


def load_results(path: Path) -> tuple[dict[str, Any], str]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read results: {exc.strerror}") from exc
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise InputError(f"{path}: not JSON ({exc}); pass a results file written by `auditor scan -o results.json`") \
            from exc
    errors = sorted(jsonschema.Draft202012Validator(_results_schema()).iter_errors(doc),
                    key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        raise InputError(f"{path}: not a valid results document at '{where}': {err.message[:200]}")
    return doc, hashlib.sha256(raw).hexdigest()


def write_reports(
    results: Mapping[str, Any],
    outputs: Sequence[Path],
    catalog: Catalog | None,
    results_sha256: str | None = None,
) -> list[tuple[Path, reports.Format]]:
    """Render and write each output atomically. The JSON results are rendered first, so that the
    other formats can name its digest."""
    plan = [(p, reports.format_for_path(p)) for p in outputs]
    written: list[tuple[Path, reports.Format]] = []
    digest = results_sha256
    json_bytes: bytes | None = None
    for p, fmt in plan:
        if fmt is reports.Format.JSON:
            json_bytes = json_bytes or reports.load(fmt).render(results, reports.RenderContext(catalog=catalog))
            fsio.write_atomic(p, json_bytes)
            written.append((p, fmt))
    if json_bytes is not None and digest is None:
        digest = hashlib.sha256(json_bytes).hexdigest()
    for p, fmt in plan:
        if fmt is reports.Format.JSON:
            continue
        data = reports.load(fmt).render(results, reports.RenderContext(catalog=catalog, results_sha256=digest))
        fsio.write_atomic(p, data)
        written.append((p, fmt))
    return written
