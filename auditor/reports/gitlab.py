"""GitLab Code Quality JSON (the ``codequality`` report artifact): one issue per open finding.

Waived, suppressed and baselined findings are left out (they do not need the merge request's
attention). A repository-level finding (path ``.``) is anchored at the configuration file or
``README.md``, line 1, as GitLab needs a file path. Fingerprints are unique within the report.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from auditor.model import SEVERITY_RANK
from auditor.reports._text import as_map, clean, shorten
from auditor.reports._view import sort_key
from auditor.reports.interface import Format, RenderContext
from auditor.reports.sarif import _anchor

SEVERITY = {"critical": "blocker", "high": "critical", "medium": "major", "low": "minor", "info": "info"}
CATEGORY = {"critical": "Security", "high": "Security", "medium": "Security", "low": "Security", "info": "Style"}


def build_gitlab(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    anchor = _anchor(results)
    issues: list[dict[str, Any]] = []
    seen: set[str] = set()
    findings = [f for f in results.get("findings") or [] if isinstance(f, Mapping) and f.get("status") == "open"]
    for f in sorted(findings, key=sort_key):
        loc = as_map(f.get("location"))
        path = clean(loc.get("path") or ".", keep_newlines=False)
        repo_level = path in (".", "", "./")
        start, stop = loc.get("start_line"), loc.get("end_line")
        begin = start if isinstance(start, int) and start >= 1 and not repo_level else 1
        end = stop if isinstance(stop, int) and stop >= begin and not repo_level else begin
        severity: str = f["severity"] if f.get("severity") in SEVERITY_RANK else "medium"
        rule = clean(f.get("rule_id"), keep_newlines=False)
        message = clean(f.get("message") or f.get("title"), keep_newlines=False)
        if isinstance(loc.get("cell"), int):
            message += f" (notebook cell {loc['cell']})"
        if repo_level:
            message += " [repository-level finding]"
        fingerprint = clean(f.get("fingerprint"), keep_newlines=False)
        if not fingerprint or fingerprint in seen:
            fingerprint = hashlib.sha256(f"{fingerprint}\0{rule}\0{path}\0{begin}\0{len(issues)}".encode()).hexdigest()
        seen.add(fingerprint)
        issue: dict[str, Any] = {
            "type": "issue", "check_name": rule,
            "description": shorten(f"{rule}: {message}", 1000),
            "content": {"body": shorten(clean(f.get("remediation") or ""), 4000)},
            "categories": [CATEGORY[severity]], "fingerprint": fingerprint, "severity": SEVERITY[severity],
            "location": {"path": anchor if repo_level else path,
                         "lines": {"begin": begin, "end": end}},
        }
        if not issue["content"]["body"]:
            del issue["content"]
        issues.append(issue)
    return issues


class GitlabReporter:
    format = Format.GITLAB

    def render(self, results: Mapping[str, Any], ctx: RenderContext) -> bytes:
        return (json.dumps(build_gitlab(results), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
