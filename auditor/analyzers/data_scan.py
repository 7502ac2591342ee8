"""The ``data`` analyzer: personal data, fairness and balance, provenance and hygiene of datasets.

Checks (a rule's ``match.check``):

- ``pii``: PII columns in sampled datasets (CSV/TSV, JSON Lines, JSON arrays of records, Parquet with
  the ``parquet`` extra), one finding per (file, column, type) with the hit ratio over the sampled
  rows and a redacted example. ``match.pii`` names the types; ``min_hits``/``min_ratio`` bound noise.
- ``pii-notebook``: the same detectors over notebook outputs, one finding per (notebook, type).
- ``not-verified``: a dataset that could not be sampled (Parquet without pyarrow, a format we do not
  read, a git-lfs pointer, an unreadable file) is a finding, never a silent pass.
- ``protected-attributes``: protected-attribute columns with no fairness evidence in the repository.
- ``label-imbalance``: majority/minority class ratio of the label column over ``data.imbalance_ratio``.
- ``datasheet`` / ``datasheet-fields``: no dataset card; a card naming no source or no licence.
- ``large-binary``: models and datasets over ``max_size`` committed without Git LFS or DVC.
- ``notebook-download``: ``!wget``/``!curl`` downloads in a notebook that never verifies a checksum.
- ``datasource-credentials``: literal credentials in data-source configuration files.

Sampling is bounded by ``data.sample_rows`` (default 2,000) and ``data.sample_bytes`` (default 8 MB);
every message and the ``datasets`` results section say what was sampled. Raw personal values never
appear in any output: only redacted examples do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from auditor.analyzers.interface import AnalysisContext, AnalyzerOutput, BaseAnalyzer
from auditor.model import Asset, RawFinding, Rule

_SIZE = {"oneOf": [{"type": "integer", "minimum": 0},
                   {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)? *([kKmMgGtT][iI]?[bB]?|[bB])?$"}]}
CHECKS = ("pii", "pii-notebook", "not-verified", "protected-attributes", "label-imbalance", "datasheet",
          "datasheet-fields", "large-binary", "notebook-download", "datasource-credentials")
_SAMPLED_CHECKS = frozenset({"pii", "not-verified", "protected-attributes", "label-imbalance", "datasheet",
                             "datasheet-fields"})


class DataAnalyzer(BaseAnalyzer):
    name = "data"
    # doc and python too: dataset cards and fairness evidence are read from them, and the engine's
    # cache key for a whole-repository analyzer covers exactly the assets it is given
    kinds = frozenset({"data", "notebook", "model", "config", "other", "doc", "python"})
    match_schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["check"],
        "properties": {
            "check": {"enum": list(CHECKS)},
            "pii": {"type": "array", "minItems": 1,
                    "items": {"enum": ["email", "phone", "card", "ssn", "iban", "ipv4"]}},
            "min_hits": {"type": "integer", "minimum": 1},
            "min_ratio": {"type": "number", "minimum": 0, "maximum": 1},
            "max_size": _SIZE,
            "files": {"type": "array", "items": {"type": "string"}},
        },
        "allOf": [
            {"if": {"properties": {"check": {"enum": ["pii", "pii-notebook"]}}},
             "then": {"required": ["pii"]}},
        ],
    }

    def analyze(self, ctx: AnalysisContext, assets: Sequence[Asset], rules: Sequence[Rule]) -> AnalyzerOutput:
        # imported here: rule-pack validation imports this module for match_schema only
        from auditor.data import checks
        from auditor.data.run import Run

        run = Run.create(ctx, assets)
        by_check: dict[str, list[Rule]] = {}
        for rule in rules:
            if rule.enabled:
                by_check.setdefault(str(rule.match.get("check")), []).append(rule)
        if _SAMPLED_CHECKS & set(by_check):
            run.sample_all()
        findings: list[RawFinding] = []
        for check in sorted(by_check):
            for rule in by_check[check]:
                findings.extend(checks.CHECKS[check](run, rule))
        return AnalyzerOutput(findings=_sorted(findings), sections=run.sections(), files=run.files_seen,
                              notes=tuple(run.notes))


def _sorted(findings: Iterable[RawFinding]) -> list[RawFinding]:
    return sorted(findings, key=lambda f: (f.path, f.rule_id, f.cell or 0, f.start_line or 0,
                                           f.fingerprint_key or ""))
