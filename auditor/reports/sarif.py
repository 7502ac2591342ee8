"""SARIF 2.1.0 for GitHub code scanning (one run).

Choices, so that GitHub accepts every upload:
- every result has a physical location with a relative ``artifactLocation.uri`` (``uriBaseId``
  ``%SRCROOT%``) and a region; a finding without a line (model files, metrics, notebook cells whose
  lines are relative to the cell) gets ``startLine: 1`` with the real position in the message and in
  ``properties``; a repository-level finding (path ``.``) is anchored at the configuration file, or
  ``README.md`` when no configuration was used, and says so in its message;
- waived / suppressed / baselined findings carry a ``suppressions`` entry (external / inSource,
  status accepted, with the justification), so code scanning shows them as dismissed;
- ``helpUri`` points at the rule's anchor in docs/rules.md of the project repository.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from auditor.model import SEVERITY_RANK, STAGE_ORDER
from auditor.reports._sections import excluded_count, scope_line
from auditor.reports._text import as_map, clean
from auditor.reports.interface import Format, RenderContext

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/aiml-auditor/auditor"
RULES_DOC = "https://github.com/aiml-auditor/auditor/blob/main/docs/rules.md"
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
PRECISION = {"high": "high", "medium": "medium", "low": "low"}
FINGERPRINT_KEY = "auditorFingerprint/v1"
_SAFE_URI = "/-._~!$&'()*+,;=:@"


def _t(value: Any) -> str:
    return clean(value)


def rule_anchor(rule_id: str) -> str:
    return re.sub(r"[^a-z0-9-]", "", rule_id.lower())


def _name(title: str, rule_id: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", title) or re.findall(r"[A-Za-z0-9]+", rule_id)
    return "".join(w[:1].upper() + w[1:] for w in words)[:100] or "Rule"


def _uri(path: str) -> str:
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return quote(path, safe=_SAFE_URI)


def _rule_texts(results: Mapping[str, Any], ctx: RenderContext) -> dict[str, dict[str, Any]]:
    texts: dict[str, dict[str, Any]] = {}
    if ctx.catalog is not None:
        for rid, r in ctx.catalog.rules.items():
            texts[rid] = {"title": r.title, "description": r.description, "remediation": r.remediation,
                          "references": list(r.references), "risks": list(r.risks), "severity": r.severity,
                          "stage": r.default_stage, "confidence": r.confidence}
    extra = results.get("rules")
    if isinstance(extra, Mapping):
        for rid, info in extra.items():
            if isinstance(info, Mapping):
                texts[str(rid)] = {**texts.get(str(rid), {}), **{k: v for k, v in info.items() if v is not None}}
    return texts


def _rule(rid: str, info: Mapping[str, Any], sample: Mapping[str, Any]) -> dict[str, Any]:
    title = _t(info.get("title") or sample.get("title") or rid)
    description = _t(info.get("description") or title)
    remediation = _t(info.get("remediation") or sample.get("remediation") or "")
    refs = [_t(r) for r in (info.get("references") or sample.get("references") or [])]
    risks = [_t(r) for r in (info.get("risks") or sample.get("risks") or [])]
    severity = info.get("severity") or sample.get("severity") or "medium"
    severity = severity if severity in SEVERITY_RANK else "medium"
    stage = info.get("stage") or sample.get("stage")
    stage = stage if isinstance(stage, str) else None
    help_text = f"{description}\n\nRemediation: {remediation}" if remediation else description
    if refs:
        help_text += "\n\nReferences: " + ", ".join(refs)
    help_md = f"**{title}**\n\n{description}"
    if remediation:
        help_md += f"\n\n**Remediation:** {remediation}"
    if refs:
        help_md += "\n\n**References:** " + ", ".join(refs)
    if risks:
        help_md += "\n\n**RATP risks:** " + ", ".join(risks)
    tags = ["security", *([stage] if stage else []), *risks, *refs]
    props: dict[str, Any] = {
        "tags": list(dict.fromkeys(tags)), "security-severity": SECURITY_SEVERITY[severity],
        "precision": PRECISION.get(str(info.get("confidence") or sample.get("confidence") or "high"), "high"),
        "problem.severity": "error" if LEVEL[severity] == "error" else ("warning" if severity == "medium" else
                                                                          "recommendation"),
        "severity": severity, "risks": risks, "references": refs,
    }
    if stage:
        props["stage"] = stage
    return {
        "id": _t(rid), "name": _name(title, rid),
        "shortDescription": {"text": title}, "fullDescription": {"text": description},
        "help": {"text": help_text, "markdown": help_md}, "helpUri": f"{RULES_DOC}#{rule_anchor(rid)}",
        "defaultConfiguration": {"level": LEVEL[severity]}, "properties": props,
    }


def _suppression(f: Mapping[str, Any]) -> list[dict[str, Any]]:
    status = f.get("status")
    if status not in ("waived", "suppressed", "baselined"):
        return []
    reason = _t(f.get("status_reason") or status)
    kind = "inSource" if status == "suppressed" else "external"
    return [{"kind": kind, "status": "accepted", "justification": reason,
             "properties": {"auditorStatus": status}}]


def _location(f: Mapping[str, Any], anchor: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
    loc = as_map(f.get("location"))
    path = _t(loc.get("path") or ".")
    start, end, cell = loc.get("start_line"), loc.get("end_line"), loc.get("cell")
    props: dict[str, Any] = {}
    note = ""
    if path in (".", "", "./"):
        uri, note = anchor, " [repository-level finding]"
        props["repositoryLevel"] = True
        start = end = None
    else:
        uri = path
    region: dict[str, Any] = {"startLine": 1}
    if isinstance(cell, int):
        props["cell"] = cell
        if isinstance(start, int):
            props["cellLine"] = start
        note = f" (notebook cell {cell}" + (f", line {start}" if isinstance(start, int) else "") + ")"
    elif isinstance(start, int) and start >= 1:
        region = {"startLine": start}
        if isinstance(end, int) and end >= start:
            region["endLine"] = end
    else:
        props["lineUnknown"] = True
    snippet = loc.get("snippet")
    if snippet:
        region["snippet"] = {"text": _t(snippet)}
    physical = {"artifactLocation": {"uri": _uri(uri), "uriBaseId": "%SRCROOT%"}, "region": region}
    return {"physicalLocation": physical}, note, props


def _anchor(results: Mapping[str, Any]) -> str:
    config = as_map(results.get("config"))
    path = _t(config.get("path") or "")
    if path and not path.startswith("/") and ":" not in path and ".." not in path.split("/"):
        return path
    return "README.md"


def build_sarif(results: Mapping[str, Any], ctx: RenderContext) -> dict[str, Any]:
    findings = [f for f in results.get("findings") or [] if isinstance(f, Mapping)]
    findings.sort(key=lambda f: (STAGE_ORDER.index(f["stage"]) if f.get("stage") in STAGE_ORDER else 0,
                                 -SEVERITY_RANK.get(f.get("severity", ""), 0), str(f.get("rule_id")),
                                 str((f.get("location") or {}).get("path")), str(f.get("fingerprint"))))
    texts = _rule_texts(results, ctx)
    samples: dict[str, Mapping[str, Any]] = {}
    for f in findings:
        samples.setdefault(str(f.get("rule_id")), f)
    rule_ids = set(samples)
    for stage in results.get("stages") or []:
        for c in stage.get("controls") or [] if isinstance(stage, Mapping) else []:
            if isinstance(c, Mapping) and c.get("rule_id"):
                rule_ids.add(str(c["rule_id"]))
                samples.setdefault(str(c["rule_id"]), {"title": c.get("title"), "severity": c.get("severity"),
                                                       "stage": stage.get("id")})
    ordered = sorted(rule_ids)
    index = {rid: i for i, rid in enumerate(ordered)}
    rules = [_rule(rid, texts.get(rid, {}), samples.get(rid, {})) for rid in ordered]
    anchor = _anchor(results)
    out_results = []
    for f in findings:
        rid = str(f.get("rule_id"))
        severity: str = f["severity"] if f.get("severity") in LEVEL else "medium"
        location, note, loc_props = _location(f, anchor)
        result: dict[str, Any] = {
            "ruleId": _t(rid), "ruleIndex": index[rid], "level": LEVEL[severity],
            "message": {"text": (_t(f.get("message")) or _t(f.get("title")) or rid) + note},
            "locations": [location],
            "partialFingerprints": {FINGERPRINT_KEY: _t(f.get("fingerprint"))},
            "properties": {
                "severity": severity, "security-severity": SECURITY_SEVERITY[severity],
                "stage": _t(f.get("stage")), "risks": [_t(r) for r in f.get("risks") or []],
                "analyzer": _t(f.get("analyzer")), "status": _t(f.get("status")), **loc_props,
            },
        }
        if f.get("confidence"):
            result["properties"]["confidence"] = _t(f["confidence"])
        extra = f.get("properties")
        if isinstance(extra, Mapping) and extra:
            result["properties"]["details"] = json.loads(json.dumps(extra, default=str))
        suppressions = _suppression(f)
        if suppressions:
            result["suppressions"] = suppressions
        out_results.append(result)
    tool = as_map(results.get("tool"))
    gate = as_map(results.get("gate"))
    target = as_map(results.get("target"))
    git = as_map(target.get("git"))
    version = _t(tool.get("version") or "0")
    driver: dict[str, Any] = {
        "name": _t(tool.get("name") or "auditor"), "version": version, "informationUri": INFORMATION_URI,
        "rules": rules, "properties": {"rulesDigest": _t(tool.get("rules_digest"))},
    }
    if re.fullmatch(r"\d+\.\d+\.\d+(?:[-+].*)?", version):
        driver["semanticVersion"] = version
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The root of the scanned repository"}}},
        "invocations": [{
            "executionSuccessful": gate.get("decision") != "incomplete",
            "startTimeUtc": _t(results.get("started_at")), "endTimeUtc": _t(results.get("finished_at")),
            "properties": {"gate": _t(gate.get("decision")), "exitCode": gate.get("exit_code"),
                           "reasons": [_t(r) for r in gate.get("reasons") or []]},
        }],
        "results": out_results,
        "columnKind": "unicodeCodePoints",
    }
    # the scope travels with every upload: a configuration that excludes files is visible here too
    inv = as_map(results.get("inventory"))
    run_props: dict[str, Any] = {"scope": scope_line(results)}
    excluded = excluded_count(results)
    if excluded is not None:
        run_props["excludedFiles"] = excluded
    if isinstance(inv.get("files"), int):
        run_props["filesScanned"] = inv["files"]
    if git.get("commit"):
        # versionControlProvenance needs the repository URI, which the results do not know
        run_props.update({"commit": _t(git["commit"]), "branch": _t(git.get("branch") or "")})
    diff_base = as_map(as_map(results.get("audit")).get("diff_base"))
    if diff_base:
        run_props["diffBase"] = {"ref": _t(diff_base.get("ref")), "commit": _t(diff_base.get("commit")),
                                 "matched": diff_base.get("matched")}
    run["properties"] = run_props
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


class SarifReporter:
    format = Format.SARIF

    def render(self, results: Mapping[str, Any], ctx: RenderContext) -> bytes:
        doc = build_sarif(results, ctx)
        return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
