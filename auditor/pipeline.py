"""The pipeline, one direction: discover -> analyze -> judge -> results document.

The results document (contracts/results.schema.json plus additive fields) is the only thing the
reports see. Nothing here imports the CLI.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.analyzers.interface import ScanOptions
from auditor.cache import ResultCache
from auditor.config import Config
from auditor.discover import Inventory, discover
from auditor.engine import AnalyzerRun, ProgressFn
from auditor.engine import run as run_analyzers
from auditor.judge import baseline as baseline_mod
from auditor.judge import controls, gate, ratp, suppress, waivers
from auditor.judge import findings as findings_mod
from auditor.judge.policy import Policy
from auditor.model import Finding, RawFinding
from auditor.rules import Catalog

SCHEMA_VERSION = "1.1"
# skip reasons (discover) that mean "this file could not be read", which fails the verdict closed
UNREADABLE_REASONS = ("unreadable", "cannot stat")


@dataclass(frozen=True)
class DiffBase:
    """Findings present at a git ref (``--diff-base``, built by auditor/diffbase.py): applied like a
    baseline, so only findings new since that ref are open."""

    ref: str
    commit: str
    fingerprints: frozenset[str]
    files: int = 0
    base_incomplete: bool = False

    def to_dict(self, matched: int) -> dict[str, Any]:
        return {"ref": self.ref, "commit": self.commit, "files": self.files,
                "fingerprints": len(self.fingerprints), "matched": matched,
                "base_incomplete": self.base_incomplete}


@dataclass(frozen=True)
class ScanRequest:
    root: Path
    root_label: str  # the path as the user gave it, for target.root
    config: Config
    catalog: Catalog
    policy: Policy
    options: ScanOptions
    files: Sequence[str] | None = None
    mode: str = "full"
    baseline: Path | None = None
    outputs: Mapping[str, Path] = field(default_factory=dict)
    today: dt.date | None = None
    diff_base: DiffBase | None = None
    # the result cache folder (None: no cache)
    cache_dir: Path | None = None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def scan(req: ScanRequest, progress: ProgressFn | None = None) -> dict[str, Any]:
    started = _now()
    today = req.today or dt.date.today()
    inventory = discover(req.root, req.config, files=req.files, mode=req.mode)
    timeout = float(req.config.limit("analyzer_timeout"))
    cache = ResultCache(req.cache_dir) if req.cache_dir is not None else None
    try:
        runs = run_analyzers(inventory, req.catalog.enabled(), req.options, req.config.data, req.outputs,
                             timeout=timeout, progress=progress, cache=cache, catalog=req.catalog)
    finally:
        if cache is not None:
            cache.close()
    return judge(req, inventory, runs, started, today)


def judge(req: ScanRequest, inventory: Inventory, runs: Sequence[AnalyzerRun], started: str,
          today: dt.date) -> dict[str, Any]:
    catalog = req.catalog
    kinds_by_path = {a.path: a.kind for a in inventory.assets}
    raws: list[tuple[str, RawFinding]] = [(r.name, f) for r in runs for f in r.findings]
    found = findings_mod.build(raws, catalog.rules, kinds_by_path)

    # suppressions, then waivers, then the baseline: the most specific decision wins
    sups = suppress.collect(inventory.assets)
    found, sups = suppress.apply(found, sups)
    waiver_file = waivers.find_file(inventory.root, req.config.get("waivers"))
    wlist = waivers.load(waiver_file) if waiver_file else []
    found, wlist = waivers.apply(found, wlist, today)
    # risk acceptance in ratp.yaml waives findings; an expired one re-opens what its waivers waived
    plan = ratp.load_plan(inventory.root, req.config, catalog)
    found = ratp.apply_acceptances(found, plan, wlist, today)
    matched = 0
    known: frozenset[str] = frozenset()
    if req.baseline is not None:
        known = baseline_mod.load(req.baseline)
        found, matched = baseline_mod.apply(found, known)
    diff_matched = 0
    if req.diff_base is not None:
        found, diff_matched = baseline_mod.apply(
            found, req.diff_base.fingerprints,
            reason=f"present at {req.diff_base.ref} ({req.diff_base.commit[:12]}): not new in this change")
    analyzer_rules = {rid for r in runs for rid in r.rules}
    found.extend(_judge_findings(catalog, sups, wlist, today, analyzer_rules, partial=req.mode != "full"))
    if req.mode == "full":
        found.extend(_exclusion_findings(catalog, inventory))
    found.sort(key=Finding.sort_key)

    kinds_present = frozenset(a.kind for a in inventory.assets)
    statuses = {r.name: r.status for r in runs}
    # on a partial scan (files, pre-commit) the judge's repository-level checks (unused or expired
    # waivers) cannot be judged: their controls are not applicable rather than passed
    rules_run = analyzer_rules | {r.id for r in catalog.enabled() if r.source == "judge"
                                  and (req.mode == "full" or r.scope != "repo")}
    risks = ratp.risk_register(catalog, found, kinds_present, plan, today)
    stages = controls.build_stages(catalog, found, kinds_present, statuses, rules_run, req.policy)
    analyzers = [r.to_dict() for r in runs]
    unreadable = [s.path for s in inventory.skipped if s.reason.startswith(UNREADABLE_REASONS)]
    decision = gate.decide(stages, found, risks, analyzers, req.policy, unreadable=unreadable)

    used_rules = {f.rule_id for f in found} | {c["rule_id"] for s in stages for c in s["controls"]}
    results: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "auditor", "version": __version__, "rules_digest": catalog.digest},
        "target": {"root": req.root_label, "project": _project_name(req.root), "git": inventory.git,
                   "mode": req.mode},
        "started_at": started,
        "finished_at": _now(),
        "config": {"path": str(req.config.path) if req.config.path else None, "sha256": req.config.sha256},
        "inventory": {
            "files": len(inventory.assets), "bytes": inventory.bytes, "by_kind": inventory.by_kind(),
            "skipped": [{"path": s.path, "reason": s.reason} for s in inventory.skipped],
            "excluded": inventory.excluded, "listing": inventory.listing, "ignored": inventory.ignored,
        },
        "analyzers": analyzers,
        "findings": [f.to_dict() for f in found],
        "stages": stages,
        "risks": risks,
        "gate": decision,
        "rules": {rid: _rule_doc(catalog, rid) for rid in sorted(used_rules) if rid in catalog.rules},
        "stage_info": [
            {"id": s.id, "title": s.title, "purpose": s.purpose, "tasks": list(s.tasks), "outputs": list(s.outputs),
             "security_considerations": list(s.security_considerations)} for s in catalog.stages
        ],
        "audit": {
            "suppressions": [s.to_dict() for s in sups],
            "waivers": [w.to_dict(today) for w in wlist],
            "waivers_file": str(waiver_file.relative_to(inventory.root)) if waiver_file and
            waiver_file.is_relative_to(inventory.root) else (str(waiver_file) if waiver_file else None),
            "baseline": {"path": str(req.baseline), "fingerprints": len(known), "matched": matched}
            if req.baseline else None,
            "diff_base": req.diff_base.to_dict(diff_matched) if req.diff_base else None,
            "excluded_files": inventory.excluded,
        },
        "policy": {"fail_on": req.policy.fail_on, "stage_fail_on": dict(req.policy.stage_fail_on),
                   "gated_stages": sorted(req.policy.gated, key=lambda s: [x.id for x in catalog.stages].index(s)),
                   "required_controls": list(req.policy.required_controls),
                   "require_treatment": req.policy.require_treatment},
    }
    for run in runs:
        for key, value in run.sections.items():
            if key not in results:
                results[key] = value
    return results


def _judge_findings(catalog: Catalog, sups: Sequence[suppress.Suppression], wlist: Sequence[waivers.Waiver],
                    today: dt.date, rules_run: frozenset[str] | set[str] | None = None,
                    partial: bool = False) -> list[Finding]:
    raws: list[tuple[str, RawFinding]] = []
    for rule_id, s, message in suppress.problems(sups, frozenset(catalog.rules)):
        if rule_id == "AUDIT-SUPPRESS-002" and rules_run is not None and any(
                r in catalog.rules and r not in rules_run for r in s.rules):
            continue  # a rule it names did not run (not in this mode, analyzer skipped): cannot tell
        if catalog.rules.get(rule_id) and catalog.rules[rule_id].enabled:
            raws.append(("judge", RawFinding(rule_id=rule_id, path=s.path, message=message, start_line=s.line,
                                             cell=s.cell, fingerprint_key=f"{','.join(s.rules)}|{s.reason}")))
    for w in wlist:
        status = w.status(today)
        wrule: str | None = {"expired": "AUDIT-WAIVER-001", "unused": "AUDIT-WAIVER-002"}.get(status)
        if partial and not (status == "expired" and w.findings):
            wrule = None  # only some files were scanned: a waiver's findings may be elsewhere
        if wrule and catalog.rules.get(wrule) and catalog.rules[wrule].enabled:
            msg = (f"waiver #{w.index} for {w.rule} on '{w.path}' (owner {w.owner}) "
                   + (f"expired on {w.expires.isoformat()}; {w.findings} finding(s) re-opened" if status == "expired"
                      else "matches no finding"))
            raws.append(("judge", RawFinding(rule_id=wrule, path=".", message=msg,
                                             fingerprint_key=f"{w.rule}|{w.path}|{w.owner}")))
    built = findings_mod.build(raws, catalog.rules, {})
    return [replace(f, analyzer="judge") for f in built]


def _exclusion_findings(catalog: Catalog, inventory: Inventory) -> list[Finding]:
    """Files the configuration's ``exclude`` (or, without git, a .gitignore) kept out of the scan are
    a finding, so the count shows in every output format; excluding everything fails the gate
    (a committed ``exclude: ["**"]`` must not turn a scan into a clean pass)."""
    if inventory.excluded + inventory.ignored <= 0:
        return []
    rule_id = "AUDIT-EXCLUDE-002" if not inventory.assets else "AUDIT-EXCLUDE-001"
    rule = catalog.rules.get(rule_id)
    if rule is None or not rule.enabled:
        return []
    parts = []
    if inventory.excluded:
        parts.append(f"{inventory.excluded} file(s) excluded by the configuration's exclude patterns")
    if inventory.ignored:
        parts.append(f"{inventory.ignored} file(s) or folder(s) ignored by .gitignore files (not a git work tree)")
    what = ("nothing was scanned" if not inventory.assets else f"{len(inventory.assets)} file(s) were scanned")
    msg = f"{' and '.join(parts)}; {what}"
    raw = RawFinding(rule_id=rule_id, path=".", message=msg, fingerprint_key=rule_id)
    return [replace(f, analyzer="judge") for f in findings_mod.build([("judge", raw)], catalog.rules, {})]


def _rule_doc(catalog: Catalog, rule_id: str) -> dict[str, Any]:
    r = catalog.rules[rule_id]
    return {"title": r.title, "description": r.description, "remediation": r.remediation,
            "references": list(r.references), "stage": r.stage.default, "severity": r.severity,
            "risks": list(r.risks), "source": r.source}


def _project_name(root: Path) -> str:
    return root.resolve().name or str(root)
