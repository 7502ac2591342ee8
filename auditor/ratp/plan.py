"""The project's plan (``ratp.yaml``): find it, load it, validate it against
``schemas/ratp.schema.json`` plus the checks a schema cannot express. Every error is an InputError
that names the file, the risk and the field (exit 2 from ``auditor ratp check``; a finding of
RATP-VALID-001 in a scan)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from auditor import resources, yamlio
from auditor.errors import InputError
from auditor.metricspec import check_relative

# the same places GOV-RATP-001 (rules/governance.yaml) looks
DEFAULT_NAMES = ("ratp.yaml", "ratp.yml", "docs/ratp.yaml", "docs/ratp.yml", ".auditor/ratp.yaml")
TREATMENTS = ("mitigate", "accept", "transfer", "avoid")
DEFAULT_ACCEPTANCE_THRESHOLD = 6
DEFAULT_REVIEW_INTERVAL_DAYS = 365
MAX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Approval:
    by: str | None = None
    role: str | None = None
    date: dt.date | None = None
    rationale: str | None = None
    expires: dt.date | None = None

    def missing(self) -> list[str]:
        return [k for k in ("by", "role", "date", "rationale", "expires") if not _filled(getattr(self, k))]

    def to_dict(self) -> dict[str, Any]:
        return {"by": self.by, "role": self.role, "date": _iso(self.date), "expires": _iso(self.expires),
                "rationale": self.rationale}

    def words(self) -> str:
        who = self.by or "nobody"
        if self.role:
            who += f" ({self.role})"
        when = f" on {self.date.isoformat()}" if self.date else ""
        return f"approved by {who}{when}"


@dataclass(frozen=True)
class PlanRisk:
    id: str
    index: int
    title: str | None = None
    asset: str | None = None
    stages: tuple[str, ...] = ()
    threat: str | None = None
    likelihood: int | None = None
    impact: int | None = None
    treatment: str | None = None
    controls: tuple[str, ...] = ()
    owner: str | None = None
    due: dt.date | None = None
    implemented: dt.date | None = None
    residual_likelihood: int | None = None
    residual_impact: int | None = None
    approval: Approval | None = None

    @property
    def where(self) -> str:
        return f"risks[{self.index}] ({self.id})"

    def has_owner(self) -> bool:
        return _filled(self.owner)


@dataclass(frozen=True)
class Plan:
    path: Path
    rel: str  # path relative to the scanned root, for findings
    system: Mapping[str, Any] = field(default_factory=dict)
    scope: Any = None
    acceptance_threshold: int = DEFAULT_ACCEPTANCE_THRESHOLD
    review_interval_days: int = DEFAULT_REVIEW_INTERVAL_DAYS
    reviewed: dt.date | None = None
    risks: tuple[PlanRisk, ...] = ()

    def risk(self, risk_id: str) -> PlanRisk | None:
        for r in self.risks:
            if r.id == risk_id:
                return r
        return None


@dataclass(frozen=True)
class PlanState:
    """What a scan knows about the plan: where it is (or should be), the plan, or why it is unusable."""

    path: Path | None
    rel: str
    plan: Plan | None = None
    error: str | None = None
    configured: bool = False

    @property
    def present(self) -> bool:
        return self.path is not None and self.path.is_file()


def _filled(value: Any) -> bool:
    if value is None:
        return False
    text = str(value).strip()
    return bool(text) and not text.upper().startswith(("TODO", "TBD", "FIXME", "<"))


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(resources.schema_path("ratp.schema.json").read_text())
    return loaded


def _normalise(value: Any) -> Any:
    """YAML reads 2025-01-31 as a date: turn dates into ISO strings so the schema sees one type."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def _where(doc: Any, path: list[Any]) -> str:
    if len(path) >= 2 and path[0] == "risks" and isinstance(path[1], int):
        items = doc.get("risks") if isinstance(doc, dict) else None
        ident = None
        if isinstance(items, list) and path[1] < len(items) and isinstance(items[path[1]], dict):
            ident = items[path[1]].get("id")
        head = f"risks[{path[1]}]" + (f" ({ident})" if ident else "")
        rest = ".".join(str(p) for p in path[2:])
        return f"{head}: field '{rest}'" if rest else head
    return f"field '{'.'.join(str(p) for p in path)}'" if path else "(top level)"


def _date(value: Any, where: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise InputError(f"{where}: '{value}' is not a valid date; write YYYY-MM-DD") from exc


def find(root: Path, configured: str | None) -> PlanState:
    """Locate the plan: ``ratp:`` in config (relative to the root), else the first of DEFAULT_NAMES."""
    if configured:
        rel = check_relative(configured, "configuration: ratp")
        return PlanState(path=root / rel, rel=rel, configured=True)
    for name in DEFAULT_NAMES:
        p = root / name
        if p.is_file() and not p.is_symlink():
            return PlanState(path=p, rel=name)
    return PlanState(path=None, rel=DEFAULT_NAMES[0])


def load_state(root: Path, configured: str | None,
               catalog_risks: Mapping[str, Any] | None = None) -> PlanState:
    """Find and load; a missing or invalid plan is recorded in the state, never raised."""
    state = find(root, configured)
    if state.path is None:
        return state
    if not state.path.is_file():
        return PlanState(path=None, rel=state.rel, configured=state.configured,
                         error=f"{state.rel}: the plan named in the configuration (ratp: {configured}) does not exist")
    real = state.path.resolve()
    if not real.is_relative_to(root.resolve()):
        return PlanState(path=state.path, rel=state.rel, configured=state.configured,
                         error=f"{state.rel}: resolves outside the scanned root (symlink); not read")
    try:
        plan = load(state.path, state.rel, catalog_risks)
    except InputError as exc:
        return PlanState(path=state.path, rel=state.rel, configured=state.configured, error=str(exc))
    return PlanState(path=state.path, rel=state.rel, plan=plan, configured=state.configured)


def load(path: Path, rel: str | None = None, catalog_risks: Mapping[str, Any] | None = None) -> Plan:
    label = rel or str(path)
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{label}: cannot read the plan: {exc.strerror}") from exc
    if len(raw) > MAX_BYTES:
        raise InputError(f"{label}: the plan is larger than {MAX_BYTES} bytes")
    try:
        doc = yamlio.load(raw)
    except yaml.YAMLError as exc:
        raise InputError(f"{label}: not valid YAML at {yamlio.error_location(exc)}: fix the syntax") from exc
    except (ValueError, TypeError, RecursionError) as exc:  # e.g. a date like 2026-02-30 ("day is out of range")
        raise InputError(f"{label}: a value cannot be read ({exc}); write dates as valid YYYY-MM-DD") from exc
    plan = from_document(doc, path, label)
    if catalog_risks is not None:
        require_catalog_fields(plan, catalog_risks)
    return plan


def from_document(doc: Any, path: Path, label: str) -> Plan:
    if not isinstance(doc, dict):
        raise InputError(f"{label}: the plan must be a mapping with a 'risks:' list (run `auditor ratp init` "
                         f"for a draft)")
    doc = _normalise(doc)
    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(doc),
                    key=lambda e: (len(list(e.absolute_path)), list(map(str, e.absolute_path))))
    if errors:
        err = errors[0]
        path_parts = list(err.absolute_path)
        if err.validator == "additionalProperties":
            extra = sorted(set(err.instance) - set(err.schema.get("properties", {})), key=str)
            if extra:
                raise InputError(f"{label}: {_where(doc, [*path_parts, extra[0]])}: unknown field; remove it or fix "
                                 f"its spelling")
        if err.validator == "required":
            missing = [k for k in err.validator_value if k not in (err.instance or {})]
            if missing:
                raise InputError(f"{label}: {_where(doc, [*path_parts, missing[0]])}: is required")
        message = err.message if len(err.message) < 200 else err.message[:200] + "..."
        if err.validator == "oneOf" and path_parts and str(path_parts[-1]) in ("due", "implemented", "date",
                                                                             "expires", "reviewed"):
            message = f"'{err.instance}' is not a date; write YYYY-MM-DD"
        raise InputError(f"{label}: {_where(doc, path_parts)}: {message}")
    criteria = doc.get("criteria") or {}
    risks: list[PlanRisk] = []
    seen: set[str] = set()
    for i, item in enumerate(doc.get("risks") or []):
        where = f"{label}: risks[{i}] ({item['id']})"
        if item["id"] in seen:
            raise InputError(f"{where}: field 'id': duplicate risk id; treat each risk once")
        seen.add(item["id"])
        approval = None
        if isinstance(item.get("approval"), dict):
            a = item["approval"]
            approval = Approval(by=a.get("by"), role=a.get("role"), date=_date(a.get("date"), f"{where}: field 'approval.date'"),
                                rationale=a.get("rationale"),
                                expires=_date(a.get("expires"), f"{where}: field 'approval.expires'"))
        asset = item.get("asset")
        residual = item.get("residual") or {}
        risks.append(PlanRisk(
            id=item["id"], index=i, title=item.get("title"),
            asset=", ".join(asset) if isinstance(asset, list) else asset,
            stages=tuple(item.get("stages") or ()), threat=item.get("threat"),
            likelihood=item.get("likelihood"), impact=item.get("impact"), treatment=item.get("treatment"),
            controls=tuple(item.get("controls") or ()), owner=item.get("owner"),
            due=_date(item.get("due"), f"{where}: field 'due'"),
            implemented=_date(item.get("implemented"), f"{where}: field 'implemented'"),
            residual_likelihood=residual.get("likelihood"), residual_impact=residual.get("impact"),
            approval=approval,
        ))
    return Plan(
        path=path, rel=label, system=doc.get("system") or {}, scope=doc.get("scope"),
        acceptance_threshold=criteria.get("acceptance_threshold", DEFAULT_ACCEPTANCE_THRESHOLD),
        review_interval_days=criteria.get("review_interval_days", DEFAULT_REVIEW_INTERVAL_DAYS),
        reviewed=_date(doc.get("reviewed"), f"{label}: field 'reviewed'"), risks=tuple(risks),
    )


def require_catalog_fields(plan: Plan, catalog_risks: Mapping[str, Any]) -> None:
    """A project's own risk (not in the catalog) must say what it is and how bad it is."""
    for r in plan.risks:
        if r.id in catalog_risks:
            continue
        for f in ("title", "likelihood", "impact"):
            if getattr(r, f) in (None, ""):
                raise InputError(f"{plan.rel}: {r.where}: field '{f}': is required for a risk that is not in the "
                                 f"catalog (rules/risks.yaml); or use a catalog id")
