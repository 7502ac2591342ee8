"""JUnit XML: one test suite per lifecycle stage, one test case per control (rule), a failure per
failed control listing its open findings; not-applicable controls are skipped, waived ones pass with
the waived findings in system-out, controls in error are errors. A last suite lists the analyzers
(failed = error, skipped = skipped), so an incomplete scan is visible in CI test views.

Every text goes through ``clean`` (no C0/C1 controls but tab and newline, no lone surrogates, no
XML non-characters), so the document is always well-formed XML 1.0.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from auditor.model import SEVERITY_RANK, STAGE_ORDER
from auditor.reports._sections import excluded_count, scope_line
from auditor.reports._text import as_map, clean, shorten
from auditor.reports._view import STAGE_TITLES, location_label
from auditor.reports.interface import Format, RenderContext

MAX_FINDINGS_PER_CASE = 200


def _t(value: Any, limit: int = 4000) -> str:
    return shorten(clean(value), limit)


def _finding_line(f: Mapping[str, Any]) -> str:
    loc = as_map(f.get("location"))
    text = f"[{_t(f.get('severity'), 20)}] {location_label(loc)}: {_t(f.get('message'), 1000)}"
    if loc.get("snippet"):
        text += "\n    " + _t(loc["snippet"], 400).replace("\n", "\n    ")
    if f.get("status") not in (None, "open"):
        text += f"\n    ({_t(f.get('status'), 20)}: {_t(f.get('status_reason'), 300)})"
    return text


def _listing(findings: list[Mapping[str, Any]]) -> str:
    lines = [_finding_line(f) for f in findings[:MAX_FINDINGS_PER_CASE]]
    if len(findings) > MAX_FINDINGS_PER_CASE:
        lines.append(f"... {len(findings) - MAX_FINDINGS_PER_CASE} more findings in results.json")
    return "\n".join(lines)


def build_junit(results: Mapping[str, Any]) -> ET.Element:
    findings = [f for f in results.get("findings") or [] if isinstance(f, Mapping)]
    by_rule_stage: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for f in sorted(findings, key=lambda f: (-SEVERITY_RANK.get(f.get("severity", ""), 0),
                                             str((f.get("location") or {}).get("path")))):
        by_rule_stage[(str(f.get("stage")), str(f.get("rule_id")))].append(f)
    stages = {s.get("id"): s for s in results.get("stages") or [] if isinstance(s, Mapping)}
    root = ET.Element("testsuites", name=_t((results.get("tool") or {}).get("name") or "auditor", 60))
    totals: defaultdict[str, int] = defaultdict(int)
    for sid in STAGE_ORDER:
        stage = stages.get(sid) or {}
        title = _t(stage.get("title") or STAGE_TITLES[sid], 120)
        suite = ET.SubElement(root, "testsuite", name=f"{sid}: {title}", id=sid)
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="stage.status", value=_t(stage.get("status") or "", 20))
        counts: defaultdict[str, int] = defaultdict(int)
        controls = [c for c in stage.get("controls") or [] if isinstance(c, Mapping)]
        seen: set[str] = set()
        for c in controls:
            rid = _t(c.get("rule_id"), 80)
            seen.add(rid)
            case = ET.SubElement(suite, "testcase", classname=f"auditor.{sid}",
                                 name=f"{rid}: {_t(c.get('title'), 300)}")
            counts["tests"] += 1
            mine = by_rule_stage.get((sid, str(c.get("rule_id"))), [])
            open_f = [f for f in mine if f.get("status") == "open"]
            status = c.get("status")
            if status == "fail":
                counts["failures"] += 1
                n = len(open_f) or c.get("findings") or 0
                fail = ET.SubElement(case, "failure", type=_t(c.get("severity") or "finding", 20),
                                     message=f"{n} open finding(s) of {rid} ({_t(c.get('severity'), 20)})")
                fail.text = _listing(open_f) or "open findings are listed in results.json"
            elif status == "error":
                counts["errors"] += 1
                ET.SubElement(case, "error", type="analyzer",
                              message=f"{rid} could not be evaluated: its analyzer failed")
            elif status == "not_applicable":
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message="not applicable: no asset of the kinds this control checks")
            elif status == "waived":
                out = ET.SubElement(case, "system-out")
                out.text = "waived:\n" + _listing([f for f in mine if f.get("status") != "open"])
            if status != "waived" and mine and len(open_f) != len(mine):
                out = ET.SubElement(case, "system-out")
                out.text = "not counted (waived / suppressed / baselined):\n" + _listing(
                    [f for f in mine if f.get("status") != "open"])
        # findings of rules that are not a control of this stage (a rule whose stage depends on where
        # it was found): one case each, so nothing is silently dropped
        for (fsid, rid), mine in sorted(by_rule_stage.items()):
            if fsid != sid or _t(rid, 80) in seen:
                continue
            case = ET.SubElement(suite, "testcase", classname=f"auditor.{sid}",
                                 name=f"{_t(rid, 80)}: {_t(mine[0].get('title'), 300)}")
            counts["tests"] += 1
            open_f = [f for f in mine if f.get("status") == "open"]
            if open_f:
                counts["failures"] += 1
                fail = ET.SubElement(case, "failure", type=_t(open_f[0].get("severity"), 20),
                                     message=f"{len(open_f)} open finding(s) of {_t(rid, 80)}")
                fail.text = _listing(open_f)
        for key in ("tests", "failures", "errors", "skipped"):
            suite.set(key, str(counts[key]))
            totals[key] += counts[key]
    # the analyzers: a failed analyzer makes the verdict incomplete
    analyzers = [a for a in results.get("analyzers") or [] if isinstance(a, Mapping)]
    suite = ET.SubElement(root, "testsuite", name="analyzers", id="analyzers")
    # the scan's scope, so a configuration that excludes files shows in CI test views too
    props = ET.SubElement(suite, "properties")
    inv = as_map(results.get("inventory"))
    excluded = excluded_count(results)
    ET.SubElement(props, "property", name="inventory.files",
                  value=str(inv["files"]) if isinstance(inv.get("files"), int) else "")
    ET.SubElement(props, "property", name="inventory.excluded_files",
                  value=str(excluded) if excluded is not None else "unknown")
    counts = defaultdict[str, int](int)
    for a in analyzers:
        name = _t(a.get("name"), 60)
        case = ET.SubElement(suite, "testcase", classname="auditor.analyzers",
                             name=f"{name} {_t(a.get('version') or '', 40)}".strip())
        if isinstance(a.get("duration_s"), (int, float)):
            case.set("time", f"{float(a['duration_s']):.3f}")
        counts["tests"] += 1
        if a.get("status") == "failed":
            counts["errors"] += 1
            ET.SubElement(case, "error", type="analyzer", message=_t(a.get("reason") or "failed", 1000))
        elif a.get("status") == "skipped":
            counts["skipped"] += 1
            ET.SubElement(case, "skipped", message=_t(a.get("reason") or "skipped", 1000))
    for key in ("tests", "failures", "errors", "skipped"):
        suite.set(key, str(counts[key]))
        totals[key] += counts[key]
    ET.SubElement(suite, "system-out").text = f"scope: {scope_line(results)}"
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(totals[key]))
    return root


class JunitReporter:
    format = Format.JUNIT

    def render(self, results: Mapping[str, Any], ctx: RenderContext) -> bytes:
        root = build_junit(results)
        ET.indent(root)
        body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        return body + b"\n"
