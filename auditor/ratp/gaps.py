"""Gaps of a plan: what `auditor ratp check` lists and the RATP-* controls report in a scan.

A risk *applies* when the catalog's ``applies_to`` names a kind of asset found in the repository
(``repo`` always applies), or when a scan linked findings to it. Each gap names the rule (control)
that reports it in a scan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from auditor.model import Asset, Rule
from auditor.ratp.plan import Plan, PlanRisk, PlanState
from auditor.rules import RiskInfo

# gap kind -> rule id (rules/ratp.yaml)
RULES: dict[str, str] = {
    "missing": "RATP-PRESENT-001",
    "invalid": "RATP-VALID-001",
    "untreated": "RATP-COMPLETE-001",
    "owner": "RATP-COMPLETE-002",
    "approval": "RATP-ACCEPT-001",
    "threshold": "RATP-ACCEPT-002",
    "overdue": "RATP-CURRENT-001",
    "expired": "RATP-CURRENT-002",
    "review": "RATP-CURRENT-003",
    "control": "RATP-CONTROL-001",
}
KINDS = tuple(RULES)


@dataclass(frozen=True)
class Gap:
    kind: str
    message: str
    risk: str | None = None
    detail: str = ""  # what distinguishes two gaps of one kind and risk (a control id)

    @property
    def rule_id(self) -> str:
        return RULES[self.kind]

    def to_dict(self) -> dict[str, str | None]:
        return {"kind": self.kind, "rule_id": self.rule_id, "risk": self.risk, "message": self.message}


# the auditor's own files say nothing about what the project contains
OWN_FILES = frozenset({"ratp.yaml", "ratp.yml", "docs/ratp.yaml", "docs/ratp.yml", ".auditor/ratp.yaml",
                       ".auditor.yaml", ".auditor.yml", ".auditor-waivers.yaml", ".auditor-baseline.json"})


def project_kinds(assets: Iterable[Asset], plan_rel: str | None = None) -> set[str]:
    """Kinds of the project's assets, leaving out the auditor's own files (plan, config, waivers)."""
    return {a.kind for a in assets if a.path not in OWN_FILES and a.path != plan_rel}


def applicable_risks(risks: Mapping[str, RiskInfo], kinds_present: Iterable[str],
                     with_findings: Iterable[str] = ()) -> list[str]:
    kinds = set(kinds_present)
    linked = set(with_findings)
    return [rid for rid, r in risks.items()
            if rid in linked or "repo" in r.applies_to or kinds.intersection(r.applies_to)]


def scores(pr: PlanRisk | None, info: RiskInfo | None) -> tuple[int | None, int | None, int | None, int | None]:
    """(likelihood, impact, residual likelihood, residual impact): the plan's values over the catalog's."""
    li = pr.likelihood if pr and pr.likelihood else (info.likelihood if info else None)
    im = pr.impact if pr and pr.impact else (info.impact if info else None)
    return li, im, (pr.residual_likelihood if pr else None), (pr.residual_impact if pr else None)


def acceptance_score(pr: PlanRisk, info: RiskInfo | None) -> int | None:
    li, im, rl, ri = scores(pr, info)
    if rl and ri:
        return rl * ri
    return li * im if li and im else None


def find_gaps(
    state: PlanState,
    risks: Mapping[str, RiskInfo],
    rules: Mapping[str, Rule],
    kinds_present: Iterable[str],
    today: dt.date,
    with_findings: Iterable[str] = (),
) -> list[Gap]:
    if state.plan is None:
        if state.error and state.present:
            return [Gap("invalid", f"the plan is not valid: {state.error}")]
        if state.error:
            return [Gap("missing", state.error)]
        return [Gap("missing", "no Risk Analysis and Treatment Plan: none of ratp.yaml, ratp.yml, docs/ratp.yaml "
                               "exists and the configuration names none (ratp:); run `auditor ratp init` to draft "
                               "one from the risks that apply here")]
    plan = state.plan
    kinds = set(kinds_present)
    out: list[Gap] = []
    owner = plan.system.get("owner") if plan.system else None
    if plan.system and "owner" in plan.system and not _filled(owner):
        out.append(Gap("owner", f"system '{plan.system.get('name')}' has no owner (owner: {owner})"))
    for rid in applicable_risks(risks, kinds, with_findings):
        pr = plan.risk(rid)
        if pr is None:
            why = _why_applies(risks[rid], kinds, rid in set(with_findings))
            out.append(Gap("untreated", f"risk {rid} ({risks[rid].title}) applies ({why}) but the plan does not "
                                        f"treat it: add it with a treatment and an owner", rid))
    for pr in plan.risks:
        out.extend(_risk_gaps(plan, pr, risks.get(pr.id), rules, today))
    out.extend(_review_gaps(plan, today))
    return out


def _why_applies(info: RiskInfo, kinds: set[str], linked: bool) -> str:
    if linked:
        return "findings are linked to it"
    if "repo" in info.applies_to:
        return "to every repository"
    found = sorted(kinds.intersection(info.applies_to))
    return f"{', '.join(found)} files found"


def _filled(value: object) -> bool:
    if value is None:
        return False
    text = str(value).strip()
    return bool(text) and not text.upper().startswith(("TODO", "TBD", "FIXME", "<"))


def _risk_gaps(plan: Plan, pr: PlanRisk, info: RiskInfo | None, rules: Mapping[str, Rule],
               today: dt.date) -> list[Gap]:
    out: list[Gap] = []
    name = f"{pr.id}" + (f" ({info.title})" if info else (f" ({pr.title})" if pr.title else ""))
    if pr.treatment is None:
        out.append(Gap("untreated", f"risk {name} has no treatment: choose mitigate, accept, transfer or avoid",
                       pr.id))
    if not pr.has_owner():
        out.append(Gap("owner", f"risk {name} has no owner (owner: {pr.owner})", pr.id))
    if pr.treatment == "accept":
        a = pr.approval
        if a is None:
            out.append(Gap("approval", f"risk {name} is accepted without an approval: add approval "
                                       f"{{by, role, date, rationale, expires}}", pr.id))
        else:
            missing = a.missing()
            if missing:
                out.append(Gap("approval", f"risk {name}: the acceptance's approval lacks "
                                           f"{', '.join(missing)}", pr.id))
            if a.expires is not None and a.expires < today:
                out.append(Gap("expired", f"risk {name}: the acceptance {a.words()} expired on "
                                          f"{a.expires.isoformat()}: its findings are open again; renew the "
                                          f"approval or treat the risk otherwise", pr.id))
        score = acceptance_score(pr, info)
        if score is not None and score > plan.acceptance_threshold:
            basis = "residual" if pr.residual_likelihood else "inherent"
            out.append(Gap("threshold", f"risk {name} is accepted with a {basis} score of {score}, above the "
                                        f"acceptance threshold {plan.acceptance_threshold}: mitigate it first or "
                                        f"raise the criteria with management approval", pr.id))
    elif pr.due is not None and pr.due < today and pr.implemented is None:
        out.append(Gap("overdue", f"risk {name}: treatment was due on {pr.due.isoformat()} "
                                  f"({(today - pr.due).days} days ago) and is not marked implemented", pr.id))
    for rid in pr.controls:
        rule = rules.get(rid)
        if rule is None:
            out.append(Gap("control", f"risk {name}: control {rid} is not a known rule", pr.id, rid))
        elif not rule.enabled:
            out.append(Gap("control", f"risk {name}: control {rid} is disabled in the configuration", pr.id, rid))
    return out


def _review_gaps(plan: Plan, today: dt.date) -> list[Gap]:
    if plan.reviewed is None:
        return [Gap("review", "the plan has no 'reviewed' date: review it and record the date")]
    if plan.reviewed > today:
        return [Gap("review", f"the plan's 'reviewed' date {plan.reviewed.isoformat()} is in the future")]
    age = (today - plan.reviewed).days
    if age > plan.review_interval_days:
        return [Gap("review", f"the plan was last reviewed on {plan.reviewed.isoformat()}, {age} days ago "
                              f"(review interval: {plan.review_interval_days} days)")]
    return []
