"""docs/rules.md: generated from the rule catalog, up to date, and the target of every SARIF helpUri."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from helpers import REPO, catalog

from auditor.cli import main
from auditor.reports.interface import RenderContext
from auditor.reports.rules_doc import _text, github_anchor, render_rules_doc
from auditor.reports.sarif import RULES_DOC, SarifReporter, rule_anchor

DOC = REPO / "docs" / "rules.md"


def test_docs_rules_md_is_up_to_date_with_the_catalog() -> None:
    fresh = render_rules_doc(catalog())
    committed = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    assert committed == fresh, (
        "docs/rules.md is out of date with the rule catalog (rules/*.yaml): run `make docs` "
        "(or `auditor rules docs -o docs/rules.md`) and commit docs/rules.md")


def _anchors(doc: str) -> set[str]:
    explicit = set(re.findall(r'<a id="([^"]+)"></a>', doc))
    headings = {github_anchor(h) for h in re.findall(r"^#{1,6} (.+)$", doc, flags=re.M)}
    return explicit | headings


def test_every_rule_has_the_anchor_sarif_links_to() -> None:
    cat = catalog()
    doc = render_rules_doc(cat)
    for rid in cat.rules:
        anchor = rule_anchor(rid)
        # an explicit anchor right before a heading that is the bare id, whose GitHub anchor is the same
        assert f'<a id="{anchor}"></a>\n\n### {rid}\n' in doc
        assert github_anchor(rid) == anchor
    for rid in cat.risks:
        assert f'<a id="{rule_anchor(rid)}"></a>\n\n### {rid}\n' in doc


def test_sarif_help_uris_resolve_in_the_doc(sample: dict[str, Any]) -> None:
    cat = catalog()
    # the sample's own rule ids are not all in the catalog: use catalog ids for the findings
    ids = list(cat.rules)[:len(sample["findings"])]
    for f, rid in zip(sample["findings"], ids, strict=False):
        f["rule_id"] = rid
    sample.pop("rules")
    sarif = json.loads(SarifReporter().render(sample, RenderContext(catalog=cat)))
    anchors = _anchors(render_rules_doc(cat))
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    checked = 0
    for rule in rules:
        if rule["id"] not in cat.rules:
            continue
        base, _, fragment = rule["helpUri"].partition("#")
        assert base == RULES_DOC and base.endswith("/docs/rules.md")
        assert fragment in anchors
        checked += 1
    assert checked >= len(set(ids))


def test_internal_links_point_at_existing_anchors() -> None:
    doc = render_rules_doc(catalog())
    anchors = _anchors(doc)
    links = set(re.findall(r"\]\(#([^)]+)\)", doc))
    assert links and links <= anchors, sorted(links - anchors)[:10]


def test_github_anchor_rules() -> None:
    assert github_anchor("MODEL-PICKLE-001") == "model-pickle-001"
    assert github_anchor("3. Model Train & Build") == "3-model-train--build"
    assert github_anchor("7. Operate / Model Serving") == "7-operate--model-serving"
    assert github_anchor("Hello, World_x!") == "hello-world_x"


def test_prose_is_shown_as_written() -> None:
    assert _text("builtins getattr/__import__ and *.pkl") == r"builtins getattr/\_\_import\_\_ and \*.pkl"
    assert _text("pin `FROM x@sha256:<digest>` not <digest>") == "pin `FROM x@sha256:<digest>` not &lt;digest&gt;"
    assert _text("a | b [x](y)") == r"a \| b \[x\](y)"


def test_cli_writes_the_doc_atomically(tmp_path: Path) -> None:
    out = tmp_path / "docs" / "rules.md"
    assert main(["rules", "docs", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == render_rules_doc(catalog())
    assert [p.name for p in out.parent.iterdir()] == ["rules.md"]  # no temp file left behind
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    link = tmp_path / "link.md"
    link.symlink_to(victim)
    assert main(["rules", "docs", "-o", str(link)]) != 0
    assert victim.read_text() == "keep"
