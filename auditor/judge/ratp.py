"""The RATP step of the judge: load the project's plan, apply its risk acceptances to the findings,
and compute the risk register (see ``auditor.ratp.register`` for the semantics)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditor.config import Config
from auditor.judge.waivers import Waiver
from auditor.model import Finding
from auditor.ratp import plan as plan_mod
from auditor.ratp import register
from auditor.ratp.plan import PlanState
from auditor.rules import Catalog


def load_plan(root: Path, config: Config, catalog: Catalog | None = None) -> PlanState:
    """The plan's state: never raises for a missing or invalid plan (the RATP controls report it)."""
    return plan_mod.load_state(root, config.get("ratp"), catalog.risks if catalog is not None else None)


def apply_acceptances(findings: Sequence[Finding], plan: PlanState | None, waivers: Sequence[Waiver],
                      today: dt.date) -> list[Finding]:
    return register.apply_acceptances(findings, plan, waivers, today)


def risk_register(
    catalog: Catalog,
    findings: Sequence[Finding],
    kinds_present: frozenset[str],
    plan: PlanState | None,
    today: dt.date,
) -> list[dict[str, Any]]:
    return register.risk_register(catalog, findings, kinds_present, plan, today)
