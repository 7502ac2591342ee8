"""Raw findings into findings: the rule's texts, the stage for the asset kind, a stable
fingerprint, and one finding per weakness and line when two rules report the same thing."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from auditor.analyzers.textutil import mask_known_tokens
from auditor.model import Finding, RawFinding, Rule

# wrapped third-party tools: when one of our own rules reports the same weakness, ours is kept
WRAPPED = {"bandit", "modelscan", "pip-audit"}

_WS = re.compile(r"\s+")
_DIGITS_IN_MESSAGE = re.compile(r"\b(line|lines|cell) \d+\b")


def _fp_text(raw: RawFinding) -> str:
    if raw.fingerprint_key:
        return raw.fingerprint_key
    if raw.snippet:
        return _WS.sub(" ", raw.snippet).strip()
    return _DIGITS_IN_MESSAGE.sub(r"\1", raw.message)


def fingerprint(rule_id: str, path: str, text: str, occurrence: int) -> str:
    """Stable id: rule, file and what was found, not where; the n-th identical occurrence gets n."""
    h = hashlib.sha256(f"{rule_id}\0{path}\0{text}\0{occurrence}".encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:32]


def build(
    raws: Sequence[tuple[str, RawFinding]],
    rules: Mapping[str, Rule],
    kinds_by_path: Mapping[str, str],
) -> list[Finding]:
    """``raws`` are (analyzer name, raw finding) in a deterministic order."""
    ordered = sorted(raws, key=lambda ar: (ar[1].path, ar[1].cell or 0, ar[1].start_line or 0,
                                           ar[1].rule_id, ar[1].message))
    occurrences: dict[tuple[str, str, str], int] = defaultdict(int)
    out: list[Finding] = []
    for analyzer, raw in ordered:
        rule = rules[raw.rule_id]
        kind = raw.kind or kinds_by_path.get(raw.path)
        text = _fp_text(raw)
        key = (raw.rule_id, raw.path, text)
        occ = occurrences[key]
        occurrences[key] += 1
        out.append(Finding(
            fingerprint=fingerprint(raw.rule_id, raw.path, text, occ), rule_id=rule.id, title=rule.title,
            severity=raw.severity or rule.severity, stage=rule.stage.for_kind(kind), risks=rule.risks,
            analyzer=analyzer, path=mask_known_tokens(raw.path), message=mask_known_tokens(raw.message),
            start_line=raw.start_line, end_line=raw.end_line if raw.end_line is not None else raw.start_line,
            snippet=mask_known_tokens(raw.snippet) if raw.snippet else raw.snippet,
            cell=raw.cell, confidence=raw.confidence or rule.confidence, remediation=rule.remediation,
            references=rule.references, properties=_masked(dict(raw.properties)),
        ))
    return dedupe(out, rules)


def _masked(value: Any) -> Any:
    """Token-shaped strings (``ghp_...``, ``AKIA...``, URL passwords) masked in any finding text, whatever
    the analyzer: a secret on a line another rule flags (a bandit snippet, a pickle argument, a zip
    member name) must not leave in clear either (DESIGN.md "no leaks")."""
    if isinstance(value, str):
        return mask_known_tokens(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_masked(v) for v in value)
    return value


def dedupe(findings: list[Finding], rules: Mapping[str, Rule]) -> list[Finding]:
    """Two findings on the same path, cell and line whose rules share a ``weakness`` are one: the one
    from our own analyzers is kept (wrapped tools second), the other's rule is noted on it."""
    groups: dict[tuple[str, int, int, str], list[Finding]] = defaultdict(list)
    rest: list[Finding] = []
    for f in findings:
        weakness = rules[f.rule_id].weakness
        if weakness and f.start_line is not None:
            groups[(f.path, f.cell or 0, f.start_line, weakness)].append(f)
        else:
            rest.append(f)
    for group in groups.values():
        group.sort(key=lambda f: (f.analyzer in WRAPPED, -_rank(f.severity), f.rule_id))
        keep = group[0]
        if len(group) > 1:
            props = dict(keep.properties)
            props["also_reported_by"] = sorted({f"{g.analyzer}:{g.rule_id}" for g in group[1:]})
            worst = max(group, key=lambda f: _rank(f.severity)).severity
            keep = _replace(keep, properties=props, severity=worst)
        rest.append(keep)
    return rest


def _rank(sev: str) -> int:
    from auditor.model import SEVERITY_RANK

    return SEVERITY_RANK[sev]


def _replace(f: Finding, **changes: object) -> Finding:
    from dataclasses import replace

    return replace(f, **changes)  # type: ignore[arg-type]
