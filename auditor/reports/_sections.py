"""View pieces for the additive sections other parts of the scan write into the results document:
metric gates (``metrics``, test stage), dataset sampling (``data_audit``, data-build stage), the
diff base (``audit.diff_base``), the excluded-file count (``inventory.excluded`` /
``audit.excluded_files``) and the findings a risk acceptance waives (``risks[].waived``).

Every one is optional: an older or partial document renders without it. Like ``_view``, everything
here is cleaned and bounded; escaping is left to the template engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditor.reports._text import clean, shorten

MAX_METRIC_FILES = 20
MAX_METRICS_PER_FILE = 50
MAX_DATASETS = 60
MAX_PII_PER_DATASET = 12
MAX_COLUMNS_SHOWN = 24
MAX_WAIVED_PER_RISK = 25
MAX_NOTES_PER_ANALYZER = 6


def _s(value: Any, limit: int = 300) -> str:
    return shorten(clean(value, keep_newlines=False), limit)


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def human_size(n: Any) -> str:
    if not isinstance(n, (int, float)) or isinstance(n, bool) or n < 0:
        return ""
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value):,} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover


def number(value: Any) -> str:
    """A metric value as a reader expects it: 0.87, 12, 1.5e-07."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _s(value, 40) if value is not None else ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format(value, ".6g")


# ------------------------------------------------------------------ scope

def excluded_count(results: Mapping[str, Any]) -> int | None:
    """Files the configuration's ``exclude`` (or a .gitignore without git) kept out of the scan;
    None when the document does not say (older results)."""
    audit, inv = _map(results.get("audit")), _map(results.get("inventory"))
    for value in (audit.get("excluded_files"), inv.get("excluded")):
        n = _int(value)
        if n is not None and n >= 0:
            return n
    return None


def scope_line(results: Mapping[str, Any]) -> str:
    """"27 file(s) scanned, 3 excluded by the configuration or .gitignore, 1 skipped": one line every
    output format can carry."""
    inv = _map(results.get("inventory"))
    files = _int(inv.get("files"))
    parts = [f"{files if files is not None else '?'} file(s) scanned"]
    excluded = excluded_count(results)
    if excluded is not None:
        parts.append(f"{excluded} excluded by the configuration or .gitignore")
    skipped = len([s for s in _list(inv.get("skipped")) if isinstance(s, Mapping)])
    if skipped:
        parts.append(f"{skipped} skipped")
    return ", ".join(parts)


# ------------------------------------------------------------------ test stage: metric gates

def metrics_view(results: Mapping[str, Any]) -> dict[str, Any] | None:
    entries = [e for e in _list(results.get("metrics")) if isinstance(e, Mapping)]
    if not entries:
        return None
    files = []
    counts = {"pass": 0, "fail": 0, "other": 0}
    for e in entries[:MAX_METRIC_FILES]:
        status = _s(e.get("status") or "ok", 400)
        items = [m for m in _list(e.get("metrics")) if isinstance(m, Mapping)]
        rows = []
        for m in items[:MAX_METRICS_PER_FILE]:
            st = _s(m.get("status"), 20) or "pass"
            counts[st if st in ("pass", "fail") else "other"] += 1
            rows.append({"name": _s(m.get("name"), 200), "value": number(m.get("value")),
                         "threshold": _s(m.get("threshold"), 60), "status": st,
                         "label": {"pass": "PASS", "fail": "FAIL", "missing": "MISSING",
                                   "not_a_number": "NOT A NUMBER"}.get(st, st.upper())})
        files.append({"file": _s(e.get("file"), 300), "format": _s(e.get("format"), 20), "status": status,
                      "ok": status == "ok", "metrics": rows, "more": max(len(items) - MAX_METRICS_PER_FILE, 0)})
    return {"files": files, "more_files": max(len(entries) - MAX_METRIC_FILES, 0), "counts": counts}


# ------------------------------------------------------------------ data-build stage: what was sampled

def _percent(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ""
    return f"{100 * value:.0f}%"


def data_audit_view(results: Mapping[str, Any]) -> dict[str, Any] | None:
    doc = results.get("data_audit")
    if not isinstance(doc, Mapping):
        return None
    datasets = [(str(k), v) for k, v in _map(doc.get("datasets")).items() if isinstance(v, Mapping)]
    rows = []
    for path, d in sorted(datasets)[:MAX_DATASETS]:
        columns = [_s(c, 80) for c in _list(d.get("columns"))]
        pii = [p for p in _list(d.get("pii")) if isinstance(p, Mapping)]
        rows.append({
            "path": _s(path, 300), "format": _s(d.get("format"), 20), "size": human_size(d.get("size")),
            "read": human_size(d.get("bytes_read")), "rows": _int(d.get("rows_sampled")),
            "complete": d.get("complete") is True, "sampled": _s(d.get("sampled"), 300),
            "stopped": _s(d.get("stopped"), 300), "problem": _s(d.get("problem"), 300),
            "columns": columns[:MAX_COLUMNS_SHOWN], "columns_total": len(columns),
            "pii": [{"column": _s(p.get("column"), 120), "type": _s(p.get("type"), 40),
                     "hits": _int(p.get("hits")), "rows": _int(p.get("rows")),
                     "ratio": _percent(p.get("ratio")), "example": _s(p.get("example"), 80)}
                    for p in pii[:MAX_PII_PER_DATASET]],
            "pii_more": max(len(pii) - MAX_PII_PER_DATASET, 0),
        })
    ev = doc.get("fairness_evidence")
    fairness = None
    if isinstance(ev, Mapping):
        fairness = {"found": ev.get("found") is True, "where": _s(ev.get("where"), 200), "what": _s(ev.get("what"), 300)}
    return {"sample_rows": _int(doc.get("sample_rows")), "sample_bytes": human_size(doc.get("sample_bytes")),
            "datasets": rows, "more": max(len(datasets) - MAX_DATASETS, 0), "total": len(datasets),
            "fairness": fairness}


# ------------------------------------------------------------------ audit trail

def diff_base_view(results: Mapping[str, Any]) -> dict[str, Any] | None:
    d = _map(results.get("audit")).get("diff_base")
    if not isinstance(d, Mapping):
        return None
    return {"ref": _s(d.get("ref"), 200), "commit": _s(d.get("commit"), 64), "files": _int(d.get("files")),
            "fingerprints": _int(d.get("fingerprints")), "matched": _int(d.get("matched")),
            "base_incomplete": d.get("base_incomplete") is True}


def analyzer_notes(a: Mapping[str, Any]) -> tuple[list[str], int]:
    notes = [n for n in _list(a.get("notes")) if n]
    return [_s(n, 400) for n in notes[:MAX_NOTES_PER_ANALYZER]], max(len(notes) - MAX_NOTES_PER_ANALYZER, 0)


# ------------------------------------------------------------------ risk register: waived findings

def _where(path: Any, line: Any) -> str:
    text = _s(path or ".", 300)
    text = "(repository)" if text == "." else text
    return text + (f":{line}" if _int(line) else "")


def waived_under(risk: Mapping[str, Any], findings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The findings waived under this risk's acceptance: ``risks[].waived`` when the scan wrote it,
    else the waived findings whose ``properties.acceptance.risk`` names the risk."""
    rid = risk.get("id")
    items = [w for w in _list(risk.get("waived")) if isinstance(w, Mapping)]
    if "waived" not in risk:
        for f in findings:
            acc = _map(_map(f.get("properties")).get("acceptance"))
            if f.get("status") == "waived" and acc.get("risk") == rid:
                loc, approval = _map(f.get("location")), _map(acc.get("approval"))
                items.append({"fingerprint": f.get("fingerprint"), "rule_id": f.get("rule_id"),
                              "path": loc.get("path"), "line": loc.get("start_line"), "via": acc.get("via"),
                              "approved_by": approval.get("by"), "role": approval.get("role"),
                              "until": acc.get("until"), "reason": f.get("status_reason")})
    out = []
    for w in items:
        via = _s(w.get("via"), 60) or "waiver"
        out.append({"rule_id": _s(w.get("rule_id"), 80), "location": _where(w.get("path"), w.get("line")),
                    "via": "the RATP acceptance" if via == "ratp" else via,
                    "approved_by": _s(w.get("approved_by"), 120), "role": _s(w.get("role"), 120),
                    "until": _s(w.get("until"), 40), "reason": _s(w.get("reason"), 600),
                    "short_fp": _s(w.get("fingerprint"), 80)[:12]})
    out.sort(key=lambda x: (x["rule_id"], x["location"]))
    return out
