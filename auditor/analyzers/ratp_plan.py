"""ratp: problem-definition controls that judge the project's plan itself (rules/ratp.yaml):
present, valid, complete (every applicable risk treated, with an owner), current (no past due
dates, no expired acceptances, reviewed within the plan's review interval), acceptances approved
and within the acceptance threshold, and controls that name rules that exist.

Rules select a gap kind with ``match: {gap: <kind>}`` (see ``auditor.ratp.gaps.RULES``). The plan
is read as YAML data only (bounded, safe loader); applicability comes from the kinds of assets in
the inventory.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from auditor.analyzers.interface import AnalysisContext, AnalyzerOutput, BaseAnalyzer
from auditor.model import Asset, RawFinding, Rule


class RatpAnalyzer(BaseAnalyzer):
    name = "ratp"
    kinds = frozenset({"repo"})
    match_schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["gap"],
        "properties": {"gap": {"enum": ["missing", "invalid", "untreated", "owner", "approval", "threshold",
                                        "overdue", "expired", "review", "control"]}},
    }

    def analyze(self, ctx: AnalysisContext, assets: Sequence[Asset], rules: Sequence[Rule]) -> AnalyzerOutput:
        from auditor.ratp import gaps as gaps_mod
        from auditor.ratp import plan as plan_mod

        catalog = ctx.catalog if ctx.catalog is not None else _default_catalog()
        today = dt.date.today()
        state = plan_mod.load_state(ctx.root, ctx.config.get("ratp"), catalog.risks)
        kinds = gaps_mod.project_kinds(ctx.inventory, state.rel)
        found = gaps_mod.find_gaps(state, catalog.risks, catalog.rules, kinds, today)
        by_gap = {str(r.match.get("gap")): r for r in rules}
        lines = _lines(state.path) if state.plan is not None and state.path is not None else []
        findings = []
        for g in found:
            rule = by_gap.get(g.kind)
            if rule is None:
                continue
            path = state.rel if g.kind != "missing" else "."
            findings.append(RawFinding(
                rule_id=rule.id, path=path, message=f"{state.rel}: {g.message}" if g.kind != "missing" else g.message,
                start_line=_risk_line(lines, g.risk) if g.risk else None,
                fingerprint_key=f"{g.kind}|{g.risk or ''}|{g.detail}",
                properties={"gap": g.kind, **({"risk": g.risk} if g.risk else {})},
            ))
        notes = [f"plan: {state.rel}" + (f" ({len(state.plan.risks)} risks)" if state.plan else " (not usable)")]
        return AnalyzerOutput(findings=findings, files=1 if state.present else 0, notes=notes)


@lru_cache(maxsize=1)
def _default_catalog() -> Any:
    """The shipped catalog, when the analyzer runs outside a scan (tests); a scan passes its own."""
    from auditor.rules import load_catalog

    return load_catalog()


def _lines(path: Any) -> list[str]:
    try:
        text: str = path.read_text("utf-8", "replace")
    except OSError:
        return []
    return text.splitlines()[:50000]


def _risk_line(lines: Sequence[str], risk: str) -> int | None:
    pat = re.compile(r"^\s*-?\s*id:\s*['\"]?" + re.escape(risk) + r"['\"]?\s*(#.*)?$")
    for i, line in enumerate(lines, start=1):
        if pat.match(line):
            return i
    return None
