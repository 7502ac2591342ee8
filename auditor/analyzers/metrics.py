"""metrics: evaluation metric gates for the test stage (``metrics:`` in the configuration).

Each configured metrics file is read (bounded, never executed) from the scanned root, directly
rather than through the inventory, because evaluation outputs are usually generated and git-ignored.
Rules select what they report with ``match: {check: ...}``:

- ``threshold``: a metric's value is past its threshold (the message names value and threshold);
- ``file``: a metrics file is missing, unreadable, unparsable, or resolves outside the root;
- ``value``: a metric is missing from its file, or its value is not a number;
- ``declared``: no metric gate is declared at all (the test stage has no evaluation evidence).

The file syntax is documented in ``auditor.metricspec``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditor import metricspec
from auditor.analyzers.interface import AnalysisContext, AnalyzerOutput, BaseAnalyzer
from auditor.model import Asset, RawFinding, Rule

CHECKS = ("threshold", "file", "value", "declared")


class MetricsAnalyzer(BaseAnalyzer):
    name = "metrics"
    kinds = frozenset({"repo"})
    match_schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["check"],
        "properties": {"check": {"enum": list(CHECKS)}},
    }

    def analyze(self, ctx: AnalysisContext, assets: Sequence[Asset], rules: Sequence[Rule]) -> AnalyzerOutput:
        by_check = {str(r.match.get("check")): r for r in rules}
        specs = metricspec.parse_config(ctx.config.get("metrics"))
        findings: list[RawFinding] = []
        notes: list[str] = []
        summary: list[dict[str, Any]] = []
        if not specs:
            notes.append("no metric gates declared (metrics: in the configuration)")
            if "declared" in by_check:
                findings.append(RawFinding(
                    rule_id=by_check["declared"].id, path=".", fingerprint_key="metrics-declared",
                    message="no evaluation metric gates are declared: add a `metrics:` section naming the "
                            "evaluation output and its thresholds (e.g. accuracy: \">= 0.90\")"))
        files = 0
        for spec in specs:
            files += 1
            findings.extend(_check_file(ctx.root, spec, by_check, summary))
        sections = {"metrics": summary} if summary else {}
        return AnalyzerOutput(findings=findings, files=files, notes=notes, sections=sections)


def _resolve(root: Path, rel: str) -> tuple[Path | None, str | None]:
    path = root / rel
    try:
        real = path.resolve(strict=True)
    except FileNotFoundError:
        return None, "does not exist"
    except (OSError, RuntimeError) as exc:
        return None, f"cannot be resolved ({exc})"
    if not real.is_relative_to(root.resolve()):
        return None, "resolves outside the scanned root (symlink): not read"
    if not real.is_file():
        return None, "is not a regular file"
    return real, None


def _check_file(root: Path, spec: metricspec.MetricsFile, by_check: dict[str, Rule],
                summary: list[dict[str, Any]]) -> list[RawFinding]:
    out: list[RawFinding] = []
    entry: dict[str, Any] = {"file": spec.file, "format": spec.format, "status": "ok", "metrics": []}
    summary.append(entry)
    real, problem = _resolve(root, spec.file)
    doc: Any = None
    if real is not None:
        try:
            doc = metricspec.read_document(real, spec.format)
        except metricspec.MetricsReadError as exc:
            problem = str(exc)
    if problem is not None:
        entry["status"] = f"error: {problem}"
        rule = by_check.get("file")
        if rule:
            gates = ", ".join(f"{t.metric} {t.text}" for t in spec.thresholds)
            out.append(RawFinding(rule_id=rule.id, path=spec.file, fingerprint_key=f"{spec.file}|file",
                                  message=f"metrics file {spec.file} (metrics[{spec.index}]) {problem}; "
                                          f"its gates cannot be checked: {gates}"))
        return out
    assert real is not None
    lines: list[str] = []
    if spec.format != "csv":
        try:
            lines = real.read_text("utf-8", "replace").splitlines()[:20000]
        except OSError:
            lines = []
    for t in spec.thresholds:
        raw = metricspec.lookup(doc, t.metric)
        line = metricspec.key_line(lines, t.metric) if lines else None
        item: dict[str, Any] = {"name": t.metric, "threshold": t.text, "value": None, "status": "pass"}
        entry["metrics"].append(item)
        key = f"{spec.file}|{t.metric}|{t.text}"
        if metricspec.is_missing(raw):
            item["status"] = "missing"
            rule = by_check.get("value")
            if rule:
                out.append(RawFinding(rule_id=rule.id, path=spec.file, fingerprint_key=key,
                                      message=f"{spec.file}: metric '{t.metric}' is missing; its gate "
                                              f"{t.metric} {t.text} cannot pass"))
            continue
        value = metricspec.as_number(raw)
        if value is None:
            item["status"] = "not_a_number"
            rule = by_check.get("value")
            if rule:
                out.append(RawFinding(rule_id=rule.id, path=spec.file, start_line=line, fingerprint_key=key,
                                      message=f"{spec.file}: metric '{t.metric}' = {metricspec.show(raw)} is not "
                                              f"a number; its gate {t.metric} {t.text} cannot pass"))
            continue
        item["value"] = value
        if not t.holds(value):
            item["status"] = "fail"
            rule = by_check.get("threshold")
            if rule:
                out.append(RawFinding(
                    rule_id=rule.id, path=spec.file, start_line=line, fingerprint_key=key,
                    message=f"{spec.file}: {t.metric} = {_num(value)} fails the threshold {t.text} "
                            f"(required: {t.metric} {t.text}, measured: {_num(value)})",
                    properties={"metric": t.metric, "value": value, "threshold": t.text}))
    return out


def _num(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
