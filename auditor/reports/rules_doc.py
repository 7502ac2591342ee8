"""``docs/rules.md``: the rule catalog as a Markdown page (``auditor rules docs``, ``make docs``).

SARIF results point their ``helpUri`` at ``docs/rules.md#<rule-id-lowercased>``
(``auditor.reports.sarif.rule_anchor``). Each rule gets an explicit ``<a id="...">`` with that
fragment right before a heading that is the bare rule id, whose GitHub-generated anchor is the same
fragment, so the link works wherever the page is rendered. The page is a pure function of the
catalog (no dates, no absolute paths): a test compares the committed file with a fresh rendering.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import PurePath

from auditor.model import STAGE_ORDER, Rule
from auditor.reports.sarif import rule_anchor
from auditor.rules import Catalog, RiskInfo

HEADER = ("<!-- Generated from the rule catalog (rules/*.yaml) by `auditor rules docs -o docs/rules.md` "
          "(`make docs`). Do not edit by hand: edit the rule packs and regenerate. -->")
SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")


def github_anchor(heading: str) -> str:
    """The fragment GitHub generates for a Markdown heading: lower case, punctuation other than
    ``-`` and ``_`` removed, spaces turned into hyphens."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


_MD_SPECIAL = re.compile(r"([\\*_\[\]~|])")


def _plain(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _text(value: str) -> str:
    """Catalog prose as Markdown, shown as written: code spans kept; outside them, HTML and the
    characters Markdown would take for emphasis, links or table cells (``__import__``, ``*``,
    ``<digest>``, ``|``) are escaped; newlines folded."""
    parts = re.split(r"(`[^`]*`)", " ".join(value.split()))
    return "".join(p if p.startswith("`") and p.endswith("`") and len(p) > 1 else _plain(p) for p in parts)


def _reference(ref: str) -> str:
    m = re.fullmatch(r"CWE-(\d+)", ref)
    if m:
        return f"[{ref}](https://cwe.mitre.org/data/definitions/{m.group(1)}.html)"
    if re.fullmatch(r"AML\.T\d{4}(\.\d{3})?", ref):
        return f"[{ref}](https://atlas.mitre.org/techniques/{ref})"
    return ref


def _stage_title(catalog: Catalog, stage_id: str) -> str:
    try:
        return catalog.stage(stage_id).title
    except KeyError:
        return stage_id


def _stage_link(catalog: Catalog, stage_id: str) -> str:
    if stage_id not in STAGE_ORDER:
        return stage_id
    n = STAGE_ORDER.index(stage_id) + 1
    title = _stage_title(catalog, stage_id)
    return f"[{title}](#{github_anchor(f'{n}. {title}')})"


def _risk_link(catalog: Catalog, rid: str) -> str:
    risk = catalog.risks.get(rid)
    title = f" {_text(risk.title)}" if risk else ""
    return f"[{rid}](#{rule_anchor(rid)}){title}"


def _rule(catalog: Catalog, r: Rule) -> list[str]:
    anchor = rule_anchor(r.id)
    stage = _stage_link(catalog, r.stage.default)
    if r.stage.by_kind:
        stage += " (" + ", ".join(f"{kind} files: {_stage_link(catalog, s)}"
                                  for kind, s in sorted(r.stage.by_kind.items())) + ")"
    source = f"`{r.source}` analyzer"
    if r.match:
        match = json.dumps(dict(r.match), sort_keys=True, ensure_ascii=False)
        if len(match) <= 80 and "`" not in match:
            source += f", match `{match}`"
    lines = [
        f'<a id="{anchor}"></a>', "", f"### {r.id}", "", f"**{_text(r.title)}**"
        + ("" if r.enabled else " *(disabled by default: enable it with `rules.enable` in the configuration)*"),
        "",
        f"- **Severity:** {r.severity}",
        f"- **Stage:** {stage}",
        f"- **Source:** {source} (pack `{PurePath(r.pack).name}`)" if r.pack else f"- **Source:** {source}",
        f"- **Applies to:** {', '.join(r.applies_to)} · **scope:** {r.scope} · **confidence:** {r.confidence}"
        + (f" · **weakness:** {r.weakness}" if r.weakness else ""),
        f"- **Risks:** {'; '.join(_risk_link(catalog, x) for x in r.risks) or 'none'}",
        f"- **References:** {', '.join(_reference(x) for x in r.references) or 'none'}",
        "", _text(r.description), "", f"**Remediation:** {_text(r.remediation)}", "",
    ]
    return lines


def _risk(catalog: Catalog, risk: RiskInfo, rules: list[Rule]) -> list[str]:
    lines = [
        f'<a id="{rule_anchor(risk.id)}"></a>', "", f"### {risk.id}", "", f"**{_text(risk.title)}**", "",
        f"- **Inherent likelihood × impact:** {risk.likelihood} × {risk.impact} = {risk.likelihood * risk.impact}",
        f"- **Stages:** {', '.join(_stage_link(catalog, s) for s in risk.stages)}",
        f"- **Applies when the repository has:** {', '.join(risk.applies_to) or 'always'}",
        f"- **References:** {', '.join(_reference(x) for x in risk.references) or 'none'}",
        f"- **Controls ({len(rules)}):** " + (", ".join(f"[{r.id}](#{rule_anchor(r.id)})" for r in rules) or "none"),
        "", _text(risk.description), "",
    ]
    if risk.treatment_hint:
        lines[-1:-1] = ["", f"**Treatment hint:** {_text(risk.treatment_hint)}"]
    return lines


def render_rules_doc(catalog: Catalog) -> str:
    by_stage: dict[str, list[Rule]] = defaultdict(list)
    by_risk: dict[str, list[Rule]] = defaultdict(list)
    for r in catalog.rules.values():
        by_stage[r.stage.default].append(r)
        for rid in r.risks:
            by_risk[rid].append(r)
    severities = Counter(r.severity for r in catalog.rules.values())
    out = [
        HEADER, "", "# Rule catalog", "",
        f"{len(catalog.rules)} rules in {len({PurePath(r.pack).name for r in catalog.rules.values()})} packs "
        f"({', '.join(f'{severities[s]} {s}' for s in SEVERITY_ORDER if severities[s])}), grouped by the "
        f"lifecycle stage they judge, and the {len(catalog.risks)} risks of the RATP risk catalog they trace to. "
        "`auditor rules show RULE-ID` prints one rule; SARIF results link here.", "",
        "## Contents", "",
    ]
    for n, sid in enumerate(STAGE_ORDER, 1):
        title = _stage_title(catalog, sid)
        out.append(f"{n}. [{title}](#{github_anchor(f'{n}. {title}')}) — {len(by_stage.get(sid, []))} rules")
    out += [f"- [Risk catalog](#risk-catalog) — {len(catalog.risks)} risks", ""]
    for n, sid in enumerate(STAGE_ORDER, 1):
        title = _stage_title(catalog, sid)
        out += [f"## {n}. {title}", ""]
        try:
            info = catalog.stage(sid)
            out += [f"*{_text(info.purpose)}*", ""]
        except KeyError:
            pass
        rules = sorted(by_stage.get(sid, []), key=lambda r: r.id)
        if not rules:
            out += ["No rules judge this stage.", ""]
            continue
        out += ["| Rule | Severity | Title |", "|---|---|---|"]
        out += [f"| [{r.id}](#{rule_anchor(r.id)}) | {r.severity} | {_text(r.title)} |"
                for r in rules]
        out.append("")
        for r in rules:
            out += _rule(catalog, r)
    out += ["## Risk catalog", "",
            "The default RATP risks (`rules/risks.yaml`). A project treats them in its `ratp.yaml`; every rule "
            "traces to at least one of them.", ""]
    for risk in catalog.risks.values():
        out += _risk(catalog, risk, sorted(by_risk.get(risk.id, []), key=lambda r: r.id))
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"
