"""Rules as controls, per stage: pass when applicable and no open finding remains; fail with open
findings; waived when its findings are all waived; not applicable without assets of its kinds;
error when its analyzer failed or was skipped."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from auditor.judge.policy import Policy
from auditor.model import SEVERITY_RANK, STAGE_ORDER, Finding, Rule, severity_at_least
from auditor.rules import Catalog


def applicable(rule: Rule, kinds_present: frozenset[str], ran: bool) -> bool:
    if not ran:
        return False
    if "repo" in rule.applies_to:
        return True
    return bool(kinds_present.intersection(rule.applies_to))


def build_stages(
    catalog: Catalog,
    findings: Sequence[Finding],
    kinds_present: frozenset[str],
    analyzer_status: Mapping[str, str],
    rules_run: Iterable[str],
    policy: Policy,
) -> list[dict[str, Any]]:
    ran = set(rules_run)
    by_rule_stage: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        by_rule_stage[(f.rule_id, f.stage)].append(f)
    stage_controls: dict[str, list[dict[str, Any]]] = {s: [] for s in STAGE_ORDER}
    for rule in catalog.enabled():
        stages = {rule.stage.default} | {s for (rid, s) in by_rule_stage if rid == rule.id}
        for stage in sorted(stages, key=STAGE_ORDER.index):
            fs = by_rule_stage.get((rule.id, stage), [])
            status = _control_status(rule, fs, kinds_present, analyzer_status, rule.id in ran)
            stage_controls[stage].append({
                "rule_id": rule.id, "title": rule.title, "severity": rule.severity, "status": status,
                "findings": sum(1 for f in fs if f.status == "open"),
            })
    out = []
    for sid in STAGE_ORDER:
        info = catalog.stage(sid)
        controls = sorted(stage_controls[sid], key=lambda c: (-SEVERITY_RANK[c["severity"]], c["rule_id"]))
        stage_findings = [f for f in findings if f.stage == sid]
        counts = Counter(f.status for f in stage_findings)
        open_by_sev = Counter(f.severity for f in stage_findings if f.status == "open")
        status = _stage_status(sid, controls, stage_findings, policy)
        out.append({
            "id": sid, "title": info.title, "status": status, "controls": controls,
            "counts": {**{k: open_by_sev.get(k, 0) for k in SEVERITY_RANK}, **{f"status_{k}": v for k, v in
                                                                              sorted(counts.items())}},
            "fail_on": policy.threshold(sid),
        })
    return out


def _control_status(rule: Rule, fs: Sequence[Finding], kinds: frozenset[str], analyzer_status: Mapping[str, str],
                    ran: bool) -> str:
    if any(f.status == "open" for f in fs):
        return "fail"
    if any(f.status == "waived" for f in fs):
        return "waived"
    st = analyzer_status.get(rule.source)
    if st in ("failed", "skipped"):
        return "error"
    if fs:  # suppressed or baselined only
        return "pass"
    return "pass" if applicable(rule, kinds, ran) else "not_applicable"


def _stage_status(sid: str, controls: Sequence[dict[str, Any]], findings: Sequence[Finding], policy: Policy) -> str:
    if sid not in policy.gated:
        return "not_gated"
    threshold = policy.threshold(sid)
    if any(f.status == "open" and severity_at_least(f.severity, threshold) for f in findings):
        return "fail"
    if any(c["rule_id"] in policy.required_controls and c["status"] in ("fail", "error") for c in controls):
        return "fail"
    if all(c["status"] == "not_applicable" for c in controls) and not findings:
        return "not_applicable"
    return "pass"
