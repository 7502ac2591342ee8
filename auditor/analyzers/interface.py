"""The analyzer interface.

An analyzer receives the assets of its kinds and the enabled rules whose ``source`` names it, and
returns raw findings tagged with those rule ids. It must never execute, import or unpickle anything
from the target: files are read as bytes or text through the context, which enforces the limits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from auditor.model import Asset, RawFinding, Rule


@dataclass(frozen=True)
class ScanOptions:
    """Options from the command line and config that analyzers may read."""

    offline: bool = False
    vuln_db: Path | None = None
    resolve_deps: bool = False
    pre_commit: bool = False
    jobs: int = 1
    # per-analyzer settings from config (`analyzers: {name: {...}}`) and other free sections
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisContext:
    root: Path
    # every asset of the scan (not only this analyzer's), for repository-level rules
    inventory: Sequence[Asset]
    options: ScanOptions
    # the whole configuration document (validated), for sections such as `metrics` or `licenses`
    config: Mapping[str, Any] = field(default_factory=dict)
    # all paths of the repository, also in pre-commit mode where only some files are analysed
    all_paths: frozenset[str] = frozenset()
    # where SBOMs and other artifacts are written when the user asked for them
    outputs: Mapping[str, Path] = field(default_factory=dict)
    # the rule catalog (auditor.rules.Catalog) for analyzers that judge references to rules and
    # risks (ratp); None when an analyzer runs outside a scan (tests), which then load it themselves
    catalog: Any = None

    def setting(self, analyzer: str, key: str, default: Any = None) -> Any:
        section = self.options.settings.get(analyzer) or {}
        return section.get(key, default)


@dataclass(frozen=True)
class AnalyzerOutput:
    findings: Sequence[RawFinding] = ()
    # analyzer-specific data merged into the results document under these top-level keys
    # (additive to the contract), e.g. {"sbom": {...}} or {"dependencies": {...}}
    sections: Mapping[str, Any] = field(default_factory=dict)
    # files this analyzer looked at (reported as `files` of the analyzer entry)
    files: int | None = None
    # a note for the analyzer entry (e.g. "12 requirements not audited: unpinned")
    notes: Sequence[str] = ()


class AnalyzerUnavailable(Exception):
    """Raised by ``check_available`` when an optional dependency is missing: the analyzer is
    reported as skipped with this reason (never a silent pass)."""


@runtime_checkable
class Analyzer(Protocol):
    name: str
    # asset kinds it receives; "repo" analyzers receive every asset
    kinds: frozenset[str]

    def version(self) -> str | None:
        """Version of the underlying tool, or of our own analyzer."""
        ...

    def check_available(self, options: ScanOptions) -> None:
        """Raise AnalyzerUnavailable(reason) when it cannot run here (missing extra)."""
        ...

    def analyze(
        self, ctx: AnalysisContext, assets: Sequence[Asset], rules: Sequence[Rule]
    ) -> AnalyzerOutput | Iterable[RawFinding]:
        ...


class BaseAnalyzer:
    """Convenience base: own analyzers version with the package and are always available."""

    name = "base"
    kinds: frozenset[str] = frozenset()

    def version(self) -> str | None:
        from auditor import __version__

        return __version__

    def check_available(self, options: ScanOptions) -> None:
        return None
