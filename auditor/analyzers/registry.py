"""The analyzer registry: a plain dict of analyzer name -> "module:attribute", imported lazily so
that a scan pays only for the analyzers it runs (pip-audit alone costs ~0.5 s to import)."""

from __future__ import annotations

import importlib
from typing import Any

from auditor.analyzers.interface import Analyzer

ANALYZERS: dict[str, str] = {
    # generic, rules-as-data analyzers
    "pattern": "auditor.analyzers.pattern:PatternAnalyzer",
    "presence": "auditor.analyzers.presence:PresenceAnalyzer",
    "python-call": "auditor.analyzers.python_call:PythonCallAnalyzer",
    "structured": "auditor.analyzers.structured:StructuredAnalyzer",
    # code and supply chain
    "bandit": "auditor.analyzers.bandit_scan:BanditAnalyzer",
    "pip-audit": "auditor.analyzers.pip_audit_scan:PipAuditAnalyzer",
    "dependencies": "auditor.analyzers.dependencies:DependencyAnalyzer",
    "cyclonedx": "auditor.analyzers.sbom:SbomAnalyzer",
    # models and data
    "modelscan": "auditor.analyzers.modelscan_scan:ModelscanAnalyzer",
    "pickle": "auditor.analyzers.pickle_scan:PickleAnalyzer",
    "model-format": "auditor.analyzers.model_formats:ModelFormatAnalyzer",
    "integrity": "auditor.analyzers.integrity:IntegrityAnalyzer",
    "data": "auditor.analyzers.data_scan:DataAnalyzer",
    # deploy / serve / monitor
    "dockerfile": "auditor.analyzers.dockerfile:DockerfileAnalyzer",
    "terraform": "auditor.analyzers.terraform:TerraformAnalyzer",
    "serving": "auditor.analyzers.serving:ServingAnalyzer",
    # governance
    "ratp": "auditor.analyzers.ratp_plan:RatpAnalyzer",
    "metrics": "auditor.analyzers.metrics:MetricsAnalyzer",
}

# analyzers whose findings for a file depend on that file alone: the engine shards their file list
# over the cores and caches their results per file (tests/core/test_per_file.py checks the claim)
PER_FILE: frozenset[str] = frozenset({
    "pattern", "python-call", "bandit", "pickle", "model-format", "modelscan", "dockerfile", "terraform",
})

# analyzers that read files the configuration names outside the inventory (evaluation outputs are
# generated and usually git-ignored), or judge against the rule catalog: never cached
UNCACHED: frozenset[str] = frozenset({"metrics", "ratp"})

# findings the judge itself raises (suppression and waiver problems); not an analyzer to run
JUDGE_SOURCE = "judge"


def known_sources() -> frozenset[str]:
    return frozenset(ANALYZERS) | {JUDGE_SOURCE}


def load(name: str) -> Analyzer:
    """Instantiate the analyzer registered under ``name``."""
    target = ANALYZERS[name]
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    factory: Any = getattr(module, attr)
    analyzer: Analyzer = factory()
    return analyzer


def _class(name: str) -> Any:
    module_name, _, attr = ANALYZERS[name].partition(":")
    return getattr(importlib.import_module(module_name), attr)


def kinds(name: str) -> frozenset[str]:
    """The asset kinds an analyzer reads, from its class (no instance, no heavy imports)."""
    value: frozenset[str] = frozenset(_class(name).kinds)
    return value


def version_of(name: str) -> str | None:
    try:
        return load(name).version()
    except Exception:  # noqa: BLE001 - a broken analyzer is reported when it runs
        return None


def match_schema(name: str) -> dict[str, Any] | None:
    """The JSON schema an analyzer declares for its rules' ``match`` (class attribute
    ``match_schema``), or None. Modules must keep heavy imports out of module level."""
    target = ANALYZERS.get(name)
    if target is None:
        return None
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise
    schema: dict[str, Any] | None = getattr(getattr(module, attr), "match_schema", None)
    return schema
