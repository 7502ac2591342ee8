"""The gate decision and its reasons in words (DESIGN.md exit codes 0, 1, 3)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from auditor.judge.policy import Policy
from auditor.model import Finding, severity_at_least


def decide(
    stages: Sequence[Mapping[str, Any]],
    findings: Sequence[Finding],
    risks: Sequence[Mapping[str, Any]],
    analyzers: Sequence[Mapping[str, Any]],
    policy: Policy,
    unreadable: Sequence[str] = (),
) -> dict[str, Any]:
    """``unreadable``: files discovery could not read (permission denied, stat errors): what they
    hold was not checked, so, like a failed analyzer, they make the verdict incomplete."""
    reasons: list[str] = []
    failed = False
    for stage in stages:
        if stage["status"] != "fail":
            continue
        failed = True
        threshold = policy.threshold(stage["id"])
        hits = [f for f in findings if f.stage == stage["id"] and f.status == "open"
                and severity_at_least(f.severity, threshold)]
        if hits:
            by_rule = Counter(f.rule_id for f in hits)
            listed = ", ".join(f"{r} x{n}" if n > 1 else r for r, n in sorted(by_rule.items())[:8])
            more = "" if len(by_rule) <= 8 else f" and {len(by_rule) - 8} more rules"
            reasons.append(f"stage {stage['id']} ({stage['title']}): {len(hits)} open finding(s) at or above "
                           f"{threshold} ({listed}{more})")
        for c in stage["controls"]:
            if c["rule_id"] in policy.required_controls and c["status"] in ("fail", "error"):
                why = (f"{c.get('findings', 0)} open finding(s)" if c["status"] == "fail"
                       else "its analyzer failed or was skipped")
                reasons.append(f"stage {stage['id']} ({stage['title']}): required control {c['rule_id']} "
                               f"({c['title']}) is {c['status']}: {why}")
    present = {c["rule_id"] for s in stages for c in s["controls"]}
    for rid in policy.required_controls:
        if rid not in present:
            failed = True
            reasons.append(f"required control {rid} is not among the enabled rules")
    if policy.require_treatment:
        for r in risks:
            if r["status"] not in ("untreated", "expired"):
                continue
            # an untreated risk fails in the stages of its open findings; an expired one in its own
            risk_stages = (r.get("open_stages") if r["status"] == "untreated" else None) or r.get("stages") or []
            stages_of = [s for s in risk_stages if s in policy.gated]
            if risk_stages and not stages_of:
                continue  # the risk belongs only to stages this gate does not judge (--stage, --until)
            failed = True
            why = f": {r['status_reason']}" if r.get("status_reason") else ""
            todo = ("renew the acceptance or choose another treatment" if r["status"] == "expired"
                    else "treat it in the plan (ratp.yaml)")
            where = f" [{', '.join(stages_of)}]" if stages_of else ""
            reasons.append(f"risk {r['id']} ({r['title']}){where} is {r['status']}{why}; "
                           f"gate.require_treatment: {todo}")
    broken = [a for a in analyzers if a["status"] == "failed"]
    for a in broken:
        reasons.append(f"analyzer {a['name']} failed: {a.get('reason') or 'unknown error'}")
    if unreadable:
        listed = ", ".join(unreadable[:5]) + (f" and {len(unreadable) - 5} more" if len(unreadable) > 5 else "")
        reasons.append(f"{len(unreadable)} file(s) could not be read and were not checked: {listed}")
    if (broken or unreadable) and not policy.allow_incomplete:
        decision, code = "incomplete", 3
        why = "an analyzer failed" if broken else "files could not be read"
        reasons.insert(0, f"incomplete: the verdict cannot be trusted because {why} "
                          "(fix it, or pass --allow-incomplete to judge without it)")
    elif failed:
        decision, code = "fail", 1
    else:
        decision, code = "pass", 0
    for a in analyzers:
        if a["status"] == "skipped":
            reasons.append(f"analyzer {a['name']} skipped: {a.get('reason')}")
    return {"decision": decision, "exit_code": code, "fail_on": policy.fail_on, "reasons": reasons}
