"""The risk register a scan computes, and risk acceptance applied to findings.

Risk status (DESIGN.md):

- ``accepted``: the plan accepts the risk with an approval that has not expired;
- ``expired``: the plan accepts it but the approval expired (its findings are open again);
- ``open``: the plan treats it (mitigate, transfer, avoid) but open findings remain;
- ``mitigated``: no open finding is linked to it (and it applies, or the plan treats it);
- ``untreated``: open findings are linked to it and the plan gives no treatment (no plan, no entry,
  no treatment, or an acceptance without an approval that has an expiry date);
- ``not_applicable``: no asset of its kinds, no finding and no plan entry.

Acceptance waives findings. A finding is waived by the plan when every risk it is linked to is
validly accepted (one accepted risk does not waive a finding that also carries a risk the plan
mitigates). A waiver in the waivers file may name the risk (``risk:``) and approval (``approval:``)
it implements; when that acceptance expired the waiver no longer holds and its findings re-open.
The plan's own controls (RATP-*, analyzer ``ratp``) and the judge's findings are never waived by
acceptance: a plan cannot accept its own gaps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from auditor.judge.waivers import Waiver
from auditor.model import STAGE_ORDER, Finding
from auditor.ratp.gaps import applicable_risks, scores
from auditor.ratp.plan import Plan, PlanRisk, PlanState
from auditor.rules import Catalog

NOT_WAIVABLE = frozenset({"ratp", "judge"})


def _valid_acceptance(pr: PlanRisk, today: dt.date) -> bool:
    a = pr.approval
    return (pr.treatment == "accept" and a is not None and bool(a.by) and a.expires is not None
            and a.expires >= today)


def _expired_acceptance(pr: PlanRisk, today: dt.date) -> bool:
    a = pr.approval
    return pr.treatment == "accept" and a is not None and a.expires is not None and a.expires < today


def _acceptance_doc(pr: PlanRisk, via: str, until: dt.date | None, plan: Plan) -> dict[str, Any]:
    a = pr.approval
    return {"risk": pr.id, "via": via, "plan": plan.rel, "approval": a.to_dict() if a else None,
            "until": until.isoformat() if until else None}


def apply_acceptances(findings: Sequence[Finding], state: PlanState | None, waivers: Sequence[Waiver],
                      today: dt.date) -> list[Finding]:
    """Waive findings of validly accepted risks; re-open findings whose waiver implements an expired
    acceptance. The acceptance is recorded on the finding as ``properties.acceptance``."""
    plan = state.plan if state else None
    if plan is None:
        return list(findings)
    valid = {r.id: r for r in plan.risks if _valid_acceptance(r, today)}
    expired = {r.id: r for r in plan.risks if _expired_acceptance(r, today)}
    out: list[Finding] = []
    for f in findings:
        if f.status == "waived":
            w = next((w for w in waivers if w.matches(f) and w.expires >= today), None)
            if w is not None and w.risk in expired:
                pr = expired[w.risk]
                assert pr.approval and pr.approval.expires
                f = replace(f, status="open", status_reason=(
                    f"waiver #{w.index} implements the acceptance of {pr.id}, which expired on "
                    f"{pr.approval.expires.isoformat()} ({pr.approval.words()}): finding re-opened"),
                    properties={**f.properties, "acceptance": _acceptance_doc(pr, f"waiver #{w.index}",
                                                                               pr.approval.expires, plan)})
            elif w is not None and w.risk in valid:
                pr = valid[w.risk]
                assert pr.approval and pr.approval.expires
                until = min(w.expires, pr.approval.expires)
                doc = _acceptance_doc(pr, f"waiver #{w.index}", until, plan)
                if w.approval:
                    doc["waiver_approval"] = w.approval
                f = replace(f, status_reason=f"{f.status_reason}; implements the acceptance of {pr.id} "
                                             f"({pr.approval.words()}) until {until.isoformat()}",
                            properties={**f.properties, "acceptance": doc})
            out.append(f)
            continue
        if f.status != "open" or f.analyzer in NOT_WAIVABLE or not f.risks:
            out.append(f)
            continue
        if all(r in valid for r in f.risks):
            prs = [valid[r] for r in f.risks]
            until = min(p.approval.expires for p in prs if p.approval and p.approval.expires)
            pr = prs[0]
            assert pr.approval is not None
            rationale = f": {pr.approval.rationale}" if pr.approval.rationale else ""
            f = replace(f, status="waived", status_reason=(
                f"risk {', '.join(p.id for p in prs)} accepted in {plan.rel} ({pr.approval.words()}) until "
                f"{until.isoformat()}{rationale}"),
                properties={**f.properties, "acceptance": _acceptance_doc(pr, "ratp", until, plan)})
        else:
            lapsed = [expired[r] for r in f.risks if r in expired]
            if lapsed and lapsed[0].approval and lapsed[0].approval.expires:
                pr = lapsed[0]
                assert pr.approval and pr.approval.expires
                note = (f"the acceptance of {pr.id} expired on {pr.approval.expires.isoformat()} "
                        f"({pr.approval.words()}): finding open again")
                f = replace(f, status_reason=f"{f.status_reason}; {note}" if f.status_reason else note,
                            properties={**f.properties, "acceptance": _acceptance_doc(pr, "ratp",
                                                                                       pr.approval.expires, plan)})
        out.append(f)
    return out


def risk_register(
    catalog: Catalog,
    findings: Sequence[Finding],
    kinds_present: frozenset[str],
    state: PlanState | None,
    today: dt.date,
) -> list[dict[str, Any]]:
    plan = state.plan if state else None
    linked: dict[str, list[Finding]] = {}
    for f in findings:
        for rid in f.risks:
            linked.setdefault(rid, []).append(f)
    applicable = set(applicable_risks(catalog.risks, kinds_present))
    ids = list(catalog.risks)
    if plan is not None:
        ids += [r.id for r in plan.risks if r.id not in catalog.risks]
    out = []
    for rid in ids:
        info = catalog.risks.get(rid)
        pr = plan.risk(rid) if plan else None
        fs = [f for f in linked.get(rid, []) if f.status in ("open", "waived")]
        open_ = [f for f in fs if f.status == "open"]
        waived = [f for f in fs if f.status == "waived"]
        status, reason = _status(pr, open_, rid in applicable or bool(linked.get(rid)), today, plan)
        li, im, rl, ri = scores(pr, info)
        stages = set(pr.stages if pr and pr.stages else (info.stages if info else ()))
        stages |= {f.stage for f in fs}
        out.append({
            "id": rid, "title": (info.title if info else (pr.title if pr else rid)) or rid,
            "status": status, "status_reason": reason,
            "treatment": (pr.treatment if pr and pr.treatment else "untreated"),
            "owner": pr.owner if pr else None,
            "in_plan": pr is not None,
            "asset": pr.asset if pr else None, "threat": pr.threat if pr else None,
            "findings": len(open_), "findings_open": len(open_), "findings_waived": len(waived),
            "finding_refs": [f.fingerprint for f in open_ + waived],
            "waived": [_waived_doc(f) for f in waived],
            "stages": sorted(stages, key=STAGE_ORDER.index),
            # where its open findings are: the stages an untreated risk fails (require_treatment)
            "open_stages": sorted({f.stage for f in open_}, key=STAGE_ORDER.index),
            "likelihood": li, "impact": im, "score": li * im if li and im else None,
            "residual_likelihood": rl, "residual_impact": ri, "residual_score": rl * ri if rl and ri else None,
            "due": pr.due.isoformat() if pr and pr.due else None,
            "implemented": pr.implemented.isoformat() if pr and pr.implemented else None,
            "approval": pr.approval.to_dict() if pr and pr.approval else None,
            "controls": list(pr.controls) if pr else [],
        })
    return out


def _waived_doc(f: Finding) -> dict[str, Any]:
    acc: Mapping[str, Any] = f.properties.get("acceptance") or {}
    approval = acc.get("approval") or {}
    return {"fingerprint": f.fingerprint, "rule_id": f.rule_id, "path": f.path, "line": f.start_line,
            "via": acc.get("via") or "waiver", "approved_by": approval.get("by"), "role": approval.get("role"),
            "until": acc.get("until"), "reason": f.status_reason}


def _status(pr: PlanRisk | None, open_: Sequence[Finding], applies: bool, today: dt.date,
            plan: Plan | None) -> tuple[str, str]:
    n = len(open_)
    where = plan.rel if plan else "ratp.yaml"
    if pr is not None and pr.treatment == "accept":
        a = pr.approval
        if a is not None and a.expires is not None and a.expires < today:
            return "expired", (f"acceptance {a.words()} expired on {a.expires.isoformat()}; "
                               f"{n} finding(s) open again")
        if a is not None and a.by and a.expires is not None:
            still = (f"; {n} finding(s) stay open because they also carry a risk the plan does not accept"
                     if n else "")
            return "accepted", f"accepted, {a.words()}, until {a.expires.isoformat()}{still}"
        if n:
            return "untreated", (f"{n} open finding(s); the acceptance in {where} has no approval with 'by' and "
                                 f"'expires', so it is not a treatment")
        return "mitigated", "no open finding; the acceptance has no valid approval"
    if pr is not None and pr.treatment:
        if n:
            overdue = ""
            if pr.due and pr.due < today and not pr.implemented:
                overdue = f", overdue since {pr.due.isoformat()}"
            return "open", f"treatment {pr.treatment} (owner {pr.owner}){overdue}; {n} open finding(s) remain"
        return "mitigated", f"treatment {pr.treatment}; no open finding"
    if n:
        why = "there is no plan" if plan is None else f"{where} gives no treatment"
        return "untreated", f"{n} open finding(s) and {why}"
    if applies or pr is not None:
        why = "" if pr is not None or plan is None else f"; not in {where}"
        return "mitigated", f"no open finding{why}"
    return "not_applicable", "no asset of its kinds and no finding"
