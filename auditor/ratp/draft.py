"""The draft plan `auditor ratp init` and `auditor init` write: every catalog risk that applies to the
assets found (by the catalog's ``applies_to`` against the kinds in the inventory; ``repo`` risks
always), with the catalog's likelihood and impact, a proposed treatment (mitigate), the enabled
rules that implement it as controls, a due date 90 days out and a TODO owner. The owner TODOs are
gaps until a person fills them in (`auditor ratp check`)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence

from auditor.model import Asset
from auditor.ratp.gaps import OWN_FILES, applicable_risks
from auditor.ratp.plan import DEFAULT_ACCEPTANCE_THRESHOLD
from auditor.rules import Catalog

DUE_DAYS = 90
REVIEW_DAYS = 180
_CTRL = re.compile(r"[\x00-\x1f\x7f]")


def _q(text: str) -> str:
    """A YAML scalar that is always a string: a JSON string is valid YAML."""
    return json.dumps(_CTRL.sub(" ", text), ensure_ascii=False)


def _comment(text: str, width: int = 100, indent: str = "") -> list[str]:
    words = _CTRL.sub(" ", text).split()
    lines: list[str] = []
    cur = ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(f"{indent}# {cur}")
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    if cur:
        lines.append(f"{indent}# {cur}")
    return lines


def _assets_for(kinds: Iterable[str], assets: Sequence[Asset], limit: int = 3) -> str:
    wanted = set(kinds)
    if "repo" in wanted and not any(a.kind in wanted for a in assets):
        return "the repository and its deployment"
    paths = [a.path for a in assets if a.kind in wanted]
    if not paths:
        return "the repository and its deployment"
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def draft(catalog: Catalog, assets: Sequence[Asset], today: dt.date, system_name: str,
          with_findings: Iterable[str] = ()) -> str:
    assets = [a for a in assets if a.path not in OWN_FILES]
    kinds = {a.kind for a in assets}
    risk_ids = applicable_risks(catalog.risks, kinds, with_findings)
    enabled = [r for r in catalog.enabled()]
    due = (today + dt.timedelta(days=DUE_DAYS)).isoformat()
    out: list[str] = [
        f"# Risk Analysis and Treatment Plan (RATP) for {_CTRL.sub(' ', system_name)}",
        f"# Drafted by `auditor ratp init` on {today.isoformat()} from the risk catalog and the {len(assets)} "
        f"files found.",
        "# Every risk below applies to what is in this repository. For each one: set the owner, confirm the",
        "# treatment (mitigate | accept | transfer | avoid), the controls (rule ids, `auditor rules list`) and",
        "# the due date; record the residual likelihood/impact once the controls are in place. An `accept`",
        "# needs approval: {by, role, date, rationale, expires}. Then run `auditor ratp check`.",
        "# Likelihood and impact: 1 (rare / negligible) .. 5 (almost certain / severe); score = L x I.",
        "version: 1",
        "system:",
        f"  name: {_q(system_name)}",
        "  description: \"TODO: what the system does, for whom, and its intended use\"",
        "  owner: TODO",
        "scope:",
        "  description: \"TODO: what this plan covers (code, data, models, pipelines, deployment)\"",
        "  in: [" + ", ".join(_q(k) for k in sorted(kinds)) + "]",
        "  out: []",
        "criteria:",
        "  # a risk may be accepted only when its residual score (likelihood x impact) is at most this",
        f"  acceptance_threshold: {DEFAULT_ACCEPTANCE_THRESHOLD}",
        "  # the plan is stale (RATP-CURRENT-003) when `reviewed` is older than this",
        f"  review_interval_days: {REVIEW_DAYS}",
        f"reviewed: {today.isoformat()}",
        "risks:",
    ]
    if not risk_ids:
        out[-1] = "risks: []"
    for rid in risk_ids:
        info = catalog.risks[rid]
        controls = sorted(r.id for r in enabled if rid in r.risks and
                          ("repo" in r.applies_to or kinds.intersection(r.applies_to)))
        stages = ", ".join(info.stages)
        out.append(f"  - id: {rid}")
        out.extend(_comment(info.title, indent="    "))
        if info.treatment_hint:
            out.extend(_comment(f"hint: {info.treatment_hint}", indent="    "))
        out.append(f"    asset: {_q(_assets_for(info.applies_to, assets))}")
        out.append(f"    stages: [{stages}]")
        out.append(f"    threat: {_q(info.description)}")
        out.append(f"    likelihood: {info.likelihood}")
        out.append(f"    impact: {info.impact}")
        out.append("    treatment: mitigate          # mitigate | accept | transfer | avoid")
        if controls:
            out.append("    controls: [" + ", ".join(controls) + "]")
        else:
            out.append("    controls: []                 # no shipped rule checks this risk: describe the control")
        out.append("    owner: TODO")
        out.append(f"    due: {due}")
        out.append("    # residual: {likelihood: 1, impact: " + str(info.impact) + "}   # once the controls are in place")
    return "\n".join(out) + "\n"
