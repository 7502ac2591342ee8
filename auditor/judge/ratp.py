"""The RATP risk register as judged by a scan (minimal: catalog risks and their findings; the plan
file ``ratp.yaml`` refines treatment, owner and status when present)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from auditor.config import Config
from auditor.model import STAGE_ORDER, Finding
from auditor.rules import Catalog


def load_plan(root: Path, config: Config) -> Mapping[str, Any] | None:
    """The project's plan, or None. (Extended by the RATP module.)"""
    return None


def risk_register(
    catalog: Catalog,
    findings: Sequence[Finding],
    kinds_present: frozenset[str],
    plan: Mapping[str, Any] | None,
    today: dt.date,
) -> list[dict[str, Any]]:
    out = []
    for risk in catalog.risks.values():
        linked = [f for f in findings if risk.id in f.risks]
        open_ = [f for f in linked if f.status == "open"]
        applicable = bool(linked) or "repo" in risk.applies_to or bool(kinds_present.intersection(risk.applies_to))
        if open_:
            status = "untreated"
        elif not applicable:
            status = "not_applicable"
        else:
            status = "mitigated"
        stages = sorted({f.stage for f in linked} | set(risk.stages), key=STAGE_ORDER.index)
        out.append({
            "id": risk.id, "title": risk.title, "treatment": "untreated", "owner": None, "status": status,
            "findings": len(open_), "stages": stages, "likelihood": risk.likelihood, "impact": risk.impact,
            "score": risk.likelihood * risk.impact, "findings_waived": sum(1 for f in linked if f.status == "waived"),
        })
    return out
