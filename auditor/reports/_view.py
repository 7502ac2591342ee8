"""The view model the HTML, PDF and Markdown reports render: a pure function of the results document
(with the rule catalog as a fallback for rule and stage texts). Every string that came from the scan
is cleaned of control characters here; escaping is the template engine's job (autoescape on).

Large results stay bounded: findings are grouped per rule and file, at most ``Limits.per_file``
findings of a file and ``Limits.per_rule`` findings of a rule are shown, the rest is counted
("N more in results.json").
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Any

from auditor.model import SEVERITIES, SEVERITY_RANK, STAGE_ORDER
from auditor.reports import _sections
from auditor.reports._text import canonical_sha256, clean, shorten, shorten_lines
from auditor.reports.interface import RenderContext

STAGE_TITLES: dict[str, str] = {
    "problem-definition": "Problem Definition", "data-build": "Data Build",
    "model-build": "Model Train & Build", "test": "Test", "integrate-release": "Integrate & Release",
    "deploy": "Deploy", "serve": "Operate / Model Serving", "monitor": "Monitoring",
}
SEVERITY_COLORS: dict[str, str] = {
    "critical": "#7f1d1d", "high": "#dc2626", "medium": "#ea580c", "low": "#ca8a04", "info": "#64748b",
}
STAGE_STATUS_COLORS: dict[str, str] = {
    "pass": "#16a34a", "fail": "#dc2626", "not_applicable": "#94a3b8", "not_gated": "#0ea5e9",
}
STATUS_LABELS: dict[str, str] = {
    "pass": "PASS", "fail": "FAIL", "not_applicable": "N/A", "not_gated": "NOT GATED", "waived": "WAIVED",
    "error": "ERROR", "incomplete": "INCOMPLETE",
}
# risk statuses on the heat map: what still needs action, what was accepted, what is handled
RISK_BUCKET: dict[str, str] = {
    "open": "open", "untreated": "open", "expired": "open", "accepted": "accepted", "mitigated": "mitigated",
}


@dataclass(frozen=True)
class Limits:
    per_file: int = 5          # findings shown per rule and file
    per_rule: int = 40         # findings shown per rule in a stage
    total: int = 500           # findings shown in the whole report (shared out over the rules)
    skipped: int = 200         # skipped files listed
    sbom: int = 300            # SBOM components listed
    baselined: int = 100       # baselined findings listed in the audit trail
    refs: int = 8              # linked finding fingerprints per risk
    snippet_lines: int = 12
    snippet_chars: int = 1200
    message_chars: int = 1500
    top: int = 10              # top findings in the Markdown summary


def _s(value: Any, limit: int = 500) -> str:
    return shorten(clean(value, keep_newlines=False), limit)


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def project_name(results: Mapping[str, Any]) -> str:
    target = _map(results.get("target"))
    if target.get("project"):
        return _s(target["project"], 120)
    root = clean(target.get("root") or "", keep_newlines=False).replace("\\", "/").rstrip("/")
    name = PurePosixPath(root).name if root else ""
    return _s(name, 120) if name and name not in (".", "..") else "repository"


def results_digest(results: Mapping[str, Any], ctx: RenderContext) -> tuple[str, str]:
    """(sha256, what it is of): the file bytes when the caller knew them, else canonical JSON."""
    if ctx.results_sha256:
        return clean(ctx.results_sha256, keep_newlines=False), "results document bytes"
    return canonical_sha256(results), "canonical JSON of the results document"


def _rule_info(results: Mapping[str, Any], ctx: RenderContext) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if ctx.catalog is not None:
        for rid, rule in ctx.catalog.rules.items():
            out[rid] = {"title": rule.title, "description": rule.description, "remediation": rule.remediation,
                        "references": list(rule.references), "severity": rule.severity,
                        "risks": list(rule.risks), "source": rule.source, "stage": rule.default_stage}
    for rid, info in _map(results.get("rules")).items():
        if isinstance(info, Mapping):
            merged = dict(out.get(rid, {}))
            merged.update({k: v for k, v in info.items() if v is not None})
            out[str(rid)] = merged
    return out


def rule_view(rid: str, info: Mapping[str, Any], sample: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Title, description, remediation and references of a rule, from the rule texts or a finding."""
    sample = sample or {}
    refs = _list(info.get("references")) or _list(sample.get("references"))
    return {
        "id": _s(rid, 80),
        "title": _s(info.get("title") or sample.get("title") or rid, 300),
        "description": shorten(clean(info.get("description") or ""), 2000),
        "remediation": shorten(clean(info.get("remediation") or sample.get("remediation") or ""), 2000),
        "references": [_s(r, 120) for r in refs[:20]],
        "risks": [_s(r, 80) for r in (_list(info.get("risks")) or _list(sample.get("risks")))[:10]],
        "severity": _sev(info.get("severity") or sample.get("severity")),
        "source": _s(info.get("source") or sample.get("analyzer") or "", 60),
    }


def _sev(value: Any) -> str:
    return value if value in SEVERITY_RANK else "info"


def _stage_infos(results: Mapping[str, Any], ctx: RenderContext) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if ctx.catalog is not None:
        for s in ctx.catalog.stages:
            out[s.id] = {"title": s.title, "purpose": s.purpose, "tasks": list(s.tasks),
                         "outputs": list(s.outputs), "security_considerations": list(s.security_considerations)}
    for s in _list(results.get("stage_info")):
        if isinstance(s, Mapping) and s.get("id") in STAGE_TITLES:
            out[s["id"]] = dict(s)
    return out


def location_label(loc: Mapping[str, Any]) -> str:
    path = _s(loc.get("path") or ".", 300)
    text = "(repository)" if path == "." else path
    start, end = loc.get("start_line"), loc.get("end_line")
    if isinstance(start, int):
        text += f":{start}" + (f"-{end}" if isinstance(end, int) and end != start else "")
    cell = loc.get("cell")
    if isinstance(cell, int):
        text += f" (cell {cell})"
    return text


def _properties(props: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in list(_map(props).items())[:12]:
        if isinstance(value, (list, tuple)):
            value = ", ".join(clean(v, keep_newlines=False) for v in value)
        elif isinstance(value, Mapping):
            value = ", ".join(f"{clean(k)}={clean(v)}" for k, v in value.items())
        out.append((_s(key, 60), _s(value, 300)))
    return out


def finding_view(f: Mapping[str, Any], limits: Limits) -> dict[str, Any]:
    loc = _map(f.get("location"))
    snippet = loc.get("snippet")
    return {
        "fingerprint": _s(f.get("fingerprint"), 80),
        "short_fp": _s(f.get("fingerprint"), 80)[:12],
        "rule_id": _s(f.get("rule_id"), 80),
        "title": _s(f.get("title"), 300),
        "severity": _sev(f.get("severity")),
        "stage": f.get("stage") if f.get("stage") in STAGE_TITLES else "problem-definition",
        "status": _s(f.get("status") or "open", 20),
        "status_reason": _s(f.get("status_reason"), 400) if f.get("status_reason") else "",
        "path": _s(loc.get("path") or ".", 300),
        "location": location_label(loc),
        "message": shorten(clean(f.get("message")), limits.message_chars),
        "snippet": shorten_lines(clean(snippet), limits.snippet_lines, limits.snippet_chars) if snippet else "",
        "analyzer": _s(f.get("analyzer"), 60),
        "confidence": _s(f.get("confidence"), 20),
        "properties": _properties(f.get("properties")),
        "remediation": shorten(clean(f.get("remediation") or ""), 2000),
        "references": [_s(r, 120) for r in _list(f.get("references"))[:20]],
        "risks": [_s(r, 80) for r in _list(f.get("risks"))[:10]],
    }


def sort_key(f: Mapping[str, Any]) -> tuple[Any, ...]:
    loc = _map(f.get("location"))
    stage = f.get("stage")
    return (STAGE_ORDER.index(stage) if stage in STAGE_ORDER else 0, -SEVERITY_RANK.get(f.get("severity", ""), 0),
            str(f.get("rule_id")), str(loc.get("path")), loc.get("cell") or 0, loc.get("start_line") or 0,
            str(f.get("fingerprint")))


def _group_rule(rule_findings: Sequence[Mapping[str, Any]], limits: Limits) -> dict[str, Any]:
    by_path: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for f in rule_findings:
        by_path[str(_map(f.get("location")).get("path"))].append(f)
    files: list[dict[str, Any]] = []
    shown = 0
    hidden_findings = 0
    hidden_files = 0
    for path, items in by_path.items():
        room = min(limits.per_file, limits.per_rule - shown)
        if room <= 0:
            hidden_findings += len(items)
            hidden_files += 1
            continue
        files.append({"path": _s(path, 300), "findings": [finding_view(f, limits) for f in items[:room]],
                      "more": max(len(items) - room, 0), "total": len(items)})
        shown += min(room, len(items))
    return {"files": files, "hidden_findings": hidden_findings, "hidden_files": hidden_files,
            "more": hidden_findings + sum(x["more"] for x in files)}


def _stage_sections(results: Mapping[str, Any], rules: Mapping[str, Mapping[str, Any]],
                    infos: Mapping[str, Mapping[str, Any]], findings: Sequence[Mapping[str, Any]],
                    limits: Limits) -> list[dict[str, Any]]:
    by_stage: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for f in findings:
        by_stage[str(f.get("stage")) if f.get("stage") in STAGE_TITLES else "problem-definition"].append(f)
    stage_results = {s.get("id"): s for s in _list(results.get("stages")) if isinstance(s, Mapping)}
    sections = []
    for sid in STAGE_ORDER:
        sres = _map(stage_results.get(sid))
        info = _map(infos.get(sid))
        controls = [{
            "rule_id": _s(c.get("rule_id"), 80), "title": _s(c.get("title"), 300),
            "severity": _sev(c.get("severity")), "status": _s(c.get("status"), 20),
            "findings": c.get("findings") if isinstance(c.get("findings"), int) else 0,
        } for c in _list(sres.get("controls")) if isinstance(c, Mapping)]
        stage_findings = by_stage.get(sid, [])
        by_rule: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for f in stage_findings:
            by_rule[str(f.get("rule_id"))].append(f)
        groups = []
        for rid, items in sorted(by_rule.items(),
                                 key=lambda kv: (-max(SEVERITY_RANK.get(x.get("severity", ""), 0)
                                                      for x in kv[1]), kv[0])):
            rv = rule_view(rid, _map(rules.get(rid)), items[0])
            statuses = Counter(str(x.get("status")) for x in items)
            severity = max((_sev(x.get("severity")) for x in items), key=lambda s: SEVERITY_RANK[s])
            groups.append({"rule": rv, "severity": severity, "count": len(items),
                           "statuses": sorted(statuses.items()), **_group_rule(items, limits)})
        open_by_sev = Counter(_sev(f.get("severity")) for f in stage_findings if f.get("status") == "open")
        cstat = Counter(c["status"] for c in controls)
        sections.append({
            "id": sid, "title": _s(sres.get("title") or info.get("title") or STAGE_TITLES[sid], 120),
            "status": _s(sres.get("status") or "not_applicable", 20),
            "purpose": _s(info.get("purpose"), 1000),
            "tasks": [_s(t, 200) for t in _list(info.get("tasks"))],
            "outputs": [_s(t, 200) for t in _list(info.get("outputs"))],
            "security_considerations": [_s(t, 200) for t in _list(info.get("security_considerations"))],
            "controls": controls, "control_counts": dict(cstat), "groups": groups,
            "findings_total": len(stage_findings),
            "open": sum(open_by_sev.values()), "open_by_severity": {s: open_by_sev.get(s, 0) for s in SEVERITIES},
            "not_open": len(stage_findings) - sum(open_by_sev.values()),
        })
    return sections


def _severity_bars(sections: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Stacked horizontal bars (open findings per stage by severity), geometry for inline SVG."""
    width = 430.0
    peak = max((s["open"] for s in sections), default=0) or 1
    rows = []
    for i, s in enumerate(sections):
        x = 0.0
        segs = []
        for sev in SEVERITIES:
            n = s["open_by_severity"][sev]
            if n:
                w = max(width * n / peak, 2.0)
                segs.append({"severity": sev, "count": n, "x": round(x, 1), "w": round(w, 1),
                             "color": SEVERITY_COLORS[sev]})
                x += w
        rows.append({"title": s["title"], "y": 8 + i * 26, "segments": segs, "total": s["open"],
                     "end": round(x, 1)})
    return {"rows": rows, "height": 8 + len(sections) * 26 + 26, "legend_y": 8 + len(sections) * 26 + 10}


def _score_color(score: int) -> str:
    if score >= 15:
        return "#fca5a5"
    if score >= 8:
        return "#fdba74"
    if score >= 4:
        return "#fde68a"
    return "#bbf7d0"


def _rating(value: Any, default: Any) -> int | None:
    for v in (value, default):
        if isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 5:
            return v
    return None


def _risks(results: Mapping[str, Any], ctx: RenderContext, limits: Limits,
           findings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    catalog = ctx.catalog.risks if ctx.catalog is not None else {}
    out = []
    for r in _list(results.get("risks")):
        if not isinstance(r, Mapping):
            continue
        cat = catalog.get(str(r.get("id")))
        likelihood = _rating(r.get("likelihood"), cat.likelihood if cat else None)
        impact = _rating(r.get("impact"), cat.impact if cat else None)
        score = r.get("score") if isinstance(r.get("score"), int) else (
            likelihood * impact if likelihood and impact else None)
        rl, ri = _rating(r.get("residual_likelihood"), None), _rating(r.get("residual_impact"), None)
        rscore = r.get("residual_score") if isinstance(r.get("residual_score"), int) else (rl * ri if rl and ri else None)
        approval = _map(r.get("approval"))
        refs = [_s(x, 80) for x in _list(r.get("finding_refs"))]
        waived = _sections.waived_under(r, findings)
        out.append({
            "id": _s(r.get("id"), 80), "anchor": re.sub(r"[^A-Za-z0-9_-]", "_", _s(r.get("id"), 80)),
            "title": _s(r.get("title") or (cat.title if cat else ""), 300),
            "treatment": _s(r.get("treatment") or "untreated", 20), "owner": _s(r.get("owner"), 120),
            "status": _s(r.get("status"), 20), "status_reason": _s(r.get("status_reason"), 600),
            "likelihood": likelihood, "impact": impact, "score": score,
            "residual_likelihood": rl, "residual_impact": ri, "residual_score": rscore,
            "due": _s(r.get("due"), 40),
            "approval": {k: _s(approval.get(k), 300) for k in ("by", "role", "date", "expires", "rationale")
                         if approval.get(k)},
            "findings": r.get("findings") if isinstance(r.get("findings"), int) else None,
            "findings_open": r.get("findings_open") if isinstance(r.get("findings_open"), int) else None,
            "findings_waived": r.get("findings_waived") if isinstance(r.get("findings_waived"), int) else None,
            "stages": [STAGE_TITLES.get(s, _s(s, 40)) for s in _list(r.get("stages"))],
            "open_stages": [STAGE_TITLES.get(s, _s(s, 40)) for s in _list(r.get("open_stages"))],
            "waived": waived[:_sections.MAX_WAIVED_PER_RISK],
            "waived_more": max(len(waived) - _sections.MAX_WAIVED_PER_RISK, 0), "waived_total": len(waived),
            "refs": [x[:12] for x in refs[:limits.refs]], "refs_more": max(len(refs) - limits.refs, 0),
            "score_color": _score_color(score) if score else "#e2e8f0",
            "residual_color": _score_color(rscore) if rscore else "#e2e8f0",
        })
    order = {"expired": 0, "untreated": 1, "open": 2, "accepted": 3, "mitigated": 4, "not_applicable": 5}
    return sorted(out, key=lambda r: (order.get(r["status"], 9), -(r["score"] or 0), r["id"]))


def _heatmap(risks: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """5 x 5 likelihood (rows, 5 on top) x impact (columns) with open/accepted/mitigated counts."""
    counts: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
    unrated = 0
    for r in risks:
        bucket = RISK_BUCKET.get(r["status"])
        if bucket is None:
            continue
        if r["likelihood"] is None or r["impact"] is None:
            unrated += 1
            continue
        counts[(r["likelihood"], r["impact"])][bucket] += 1
    cell, left, top = 58, 46, 10
    cells = []
    for li in range(5, 0, -1):
        for im in range(1, 6):
            c = counts.get((li, im), Counter())
            cells.append({"likelihood": li, "impact": im, "x": left + (im - 1) * cell,
                          "y": top + (5 - li) * cell, "color": _score_color(li * im),
                          "open": c["open"], "accepted": c["accepted"], "mitigated": c["mitigated"],
                          "any": sum(c.values())})
    totals: Counter[str] = Counter()
    for c in counts.values():
        totals.update(c)
    return {"cells": cells, "size": cell, "left": left, "top": top, "width": left + 5 * cell + 10,
            "height": top + 5 * cell + 40, "totals": {k: totals.get(k, 0) for k in ("open", "accepted", "mitigated")},
            "unrated": unrated}


def _pipeline(sections: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    box_w, gap = 110, 4
    boxes = []
    for i, s in enumerate(sections):
        failed = s["control_counts"].get("fail", 0)
        boxes.append({"title": s["title"], "id": s["id"], "status": s["status"],
                      "label": STATUS_LABELS.get(s["status"], s["status"].upper()),
                      "color": STAGE_STATUS_COLORS.get(s["status"], "#94a3b8"), "x": i * (box_w + gap),
                      "open": s["open"], "failed": failed, "lines": _wrap(s["title"], 14)})
    return {"boxes": boxes, "box_w": box_w, "width": len(sections) * (box_w + gap), "height": 94}


def _wrap(text: str, width: int) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    if cur:
        lines.append(cur)
    return lines[:2]


def _audit(results: Mapping[str, Any], findings: Sequence[Mapping[str, Any]], limits: Limits) -> dict[str, Any]:
    audit = _map(results.get("audit"))
    sup = [{"path": _s(s.get("path"), 300), "line": s.get("line") if isinstance(s.get("line"), int) else None,
            "rules": [_s(x, 80) for x in _list(s.get("rules"))], "reason": _s(s.get("reason"), 500),
            "used": bool(s.get("used"))} for s in _list(audit.get("suppressions")) if isinstance(s, Mapping)]
    waivers = [{"rule": _s(w.get("rule"), 80), "path": _s(w.get("path"), 300), "reason": _s(w.get("reason"), 500),
                "owner": _s(w.get("owner"), 120), "expires": _s(w.get("expires"), 40),
                "status": _s(w.get("status"), 20), "risk": _s(w.get("risk"), 80),
                "approval": _s(w.get("approval"), 200),
                "findings": w.get("findings") if isinstance(w.get("findings"), int) else None}
               for w in _list(audit.get("waivers")) if isinstance(w, Mapping)]
    baseline = _map(audit.get("baseline"))
    baselined = [f for f in findings if f.get("status") == "baselined"]
    suppressed = [f for f in findings if f.get("status") == "suppressed"]
    waived = [f for f in findings if f.get("status") == "waived"]
    inv = _map(results.get("inventory"))
    skipped = [{"path": _s(s.get("path"), 300), "reason": _s(s.get("reason"), 300)}
               for s in _list(inv.get("skipped")) if isinstance(s, Mapping)]
    analyzers = []
    for a in _list(results.get("analyzers")):
        if not isinstance(a, Mapping):
            continue
        notes, notes_more = _sections.analyzer_notes(a)
        analyzers.append({
            "name": _s(a.get("name"), 60), "version": _s(a.get("version"), 60), "status": _s(a.get("status"), 20),
            "reason": _s(a.get("reason"), 500), "files": a.get("files") if isinstance(a.get("files"), int) else None,
            "cached": a.get("cached_files") if isinstance(a.get("cached_files"), int) else None,
            "duration": f"{a['duration_s']:.2f} s" if isinstance(a.get("duration_s"), (int, float)) else "",
            "notes": notes, "notes_more": notes_more})
    return {
        "suppressions": sup, "waivers": waivers,
        "expired_waivers": [w for w in waivers if w["status"] == "expired"],
        "baseline": {"path": _s(baseline.get("path"), 300), "fingerprints": baseline.get("fingerprints"),
                     "matched": baseline.get("matched")} if baseline else None,
        "baselined": [finding_view(f, limits) for f in baselined[:limits.baselined]],
        "baselined_more": max(len(baselined) - limits.baselined, 0), "baselined_total": len(baselined),
        "suppressed_total": len(suppressed), "waived_total": len(waived),
        "excluded_files": _sections.excluded_count(results), "diff_base": _sections.diff_base_view(results),
        "skipped": skipped[:limits.skipped], "skipped_more": max(len(skipped) - limits.skipped, 0),
        "skipped_total": len(skipped), "analyzers": analyzers,
    }


def _sbom(results: Mapping[str, Any], limits: Limits) -> dict[str, Any] | None:
    sbom = results.get("sbom")
    if not isinstance(sbom, Mapping):
        return None
    comps = []
    for c in _list(sbom.get("summary")):
        if not isinstance(c, Mapping):
            continue
        lic = c.get("licenses")
        comps.append({"name": _s(c.get("name"), 200), "type": _s(c.get("type"), 60), "version": _s(c.get("version"), 80),
                      "purl": _s(c.get("purl"), 300),
                      "licenses": ", ".join(_s(x, 80) for x in _list(lic)) if isinstance(lic, list) else _s(lic, 200),
                      "sha256": _s(c.get("sha256"), 80), "path": _s(c.get("path"), 300)})
    ml = [c for c in comps if c["type"] in ("machine-learning-model", "data")]
    licences = Counter(c["licenses"] or "(none declared)" for c in comps)
    types = Counter(c["type"] or "unknown" for c in comps)
    # ``document`` was the path of the written SBOM; the scan now embeds the document itself
    document = sbom.get("document") if isinstance(sbom.get("document"), str) else ""
    return {"spec_version": _s(sbom.get("spec_version"), 20), "document": _s(document, 300),
            "components": sbom.get("components") if isinstance(sbom.get("components"), int) else len(comps),
            "ml": ml, "listed": comps[:limits.sbom], "more": max(len(comps) - limits.sbom, 0),
            "licences": sorted(licences.items(), key=lambda kv: (-kv[1], kv[0]))[:25],
            "types": sorted(types.items())}


def _fmt_time(value: Any) -> str:
    text = _s(value, 60)
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return when.strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def _duration(results: Mapping[str, Any]) -> str:
    try:
        a = dt.datetime.fromisoformat(str(results.get("started_at")).replace("Z", "+00:00"))
        b = dt.datetime.fromisoformat(str(results.get("finished_at")).replace("Z", "+00:00"))
    except ValueError:
        return ""
    return f"{(b - a).total_seconds():.1f} s"


def build_view(results: Mapping[str, Any], ctx: RenderContext, limits: Limits | None = None) -> dict[str, Any]:
    limits = limits or Limits()
    findings = sorted((f for f in _list(results.get("findings")) if isinstance(f, Mapping)), key=sort_key)
    # share the report-wide budget out over the (stage, rule) groups, never below per_file each
    groups_n = len({(str(f.get("stage")), str(f.get("rule_id"))) for f in findings}) or 1
    limits = replace(limits, per_rule=max(limits.per_file, min(limits.per_rule, limits.total // groups_n)))
    rules = _rule_info(results, ctx)
    sections = _stage_sections(results, rules, _stage_infos(results, ctx), findings, limits)
    metrics, data_audit = _sections.metrics_view(results), _sections.data_audit_view(results)
    for s in sections:
        s["metrics"] = metrics if s["id"] == "test" else None
        s["data_audit"] = data_audit if s["id"] == "data-build" else None
    risks = _risks(results, ctx, limits, findings)
    tool, target, gate = _map(results.get("tool")), _map(results.get("target")), _map(results.get("gate"))
    git, config, inv = _map(target.get("git")), _map(results.get("config")), _map(results.get("inventory"))
    digest, digest_of = results_digest(results, ctx)
    decision = str(gate.get("decision")) if gate.get("decision") in ("pass", "fail", "incomplete") else "incomplete"
    status_counts = Counter(str(f.get("status")) for f in findings)
    open_sev = Counter(_sev(f.get("severity")) for f in findings if f.get("status") == "open")
    return {
        "meta": {
            "project": project_name(results), "root": _s(target.get("root"), 300),
            "commit": _s(git.get("commit"), 64) or "(not a git work tree)", "short_commit": _s(git.get("commit"), 64)[:12],
            "branch": _s(git.get("branch"), 120), "dirty": git.get("dirty"), "mode": _s(target.get("mode"), 20),
            "date": _fmt_time(results.get("finished_at")), "started": _fmt_time(results.get("started_at")),
            "duration": _duration(results), "tool": _s(tool.get("name") or "auditor", 60),
            "version": _s(tool.get("version"), 40), "rules_digest": _s(tool.get("rules_digest"), 80),
            "config_path": _s(config.get("path"), 300), "config_sha256": _s(config.get("sha256"), 80),
            "schema_version": _s(results.get("schema_version"), 20), "results_sha256": digest,
            "results_sha256_of": digest_of,
        },
        "gate": {"decision": decision, "label": STATUS_LABELS.get(decision, decision.upper()),
                 "exit_code": gate.get("exit_code"), "fail_on": _s(gate.get("fail_on"), 20),
                 "reasons": [_s(r, 500) for r in _list(gate.get("reasons"))]},
        "inventory": {"files": inv.get("files"), "bytes": inv.get("bytes"), "size": _sections.human_size(inv.get("bytes")),
                      "by_kind": sorted((str(k), v) for k, v in _map(inv.get("by_kind")).items()),
                      "excluded": _sections.excluded_count(results),
                      "skipped": len([x for x in _list(inv.get("skipped")) if isinstance(x, Mapping)]),
                      "scope": _sections.scope_line(results)},
        "totals": {"findings": len(findings), "open": status_counts.get("open", 0),
                   "statuses": {s: status_counts.get(s, 0) for s in ("open", "waived", "suppressed", "baselined")},
                   "open_by_severity": {s: open_sev.get(s, 0) for s in SEVERITIES},
                   "controls": Counter(c["status"] for s in sections for c in s["controls"])},
        "stages": sections, "pipeline": _pipeline(sections), "bars": _severity_bars(sections),
        "risks": risks, "heatmap": _heatmap(risks),
        "waived_risks": [r for r in risks if r["waived"]], "audit": _audit(results, findings, limits),
        "sbom": _sbom(results, limits), "severities": SEVERITIES, "severity_colors": SEVERITY_COLORS,
        "limits": limits,
    }


def top_findings(results: Mapping[str, Any], n: int, limits: Limits | None = None) -> list[dict[str, Any]]:
    """The ``n`` worst open findings, worst first (for summaries)."""
    limits = limits or Limits()
    open_f: Iterable[Mapping[str, Any]] = (f for f in _list(results.get("findings"))
                                           if isinstance(f, Mapping) and f.get("status") == "open")
    ranked = sorted(open_f, key=lambda f: (-SEVERITY_RANK.get(f.get("severity", ""), 0), sort_key(f)))
    return [finding_view(f, limits) for f in ranked[:n]]
