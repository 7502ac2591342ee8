"""The view model shared by HTML, PDF and Markdown: grouping, limits, fallbacks, digests."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import jsonschema
from helpers import RESULTS_SCHEMA, catalog

from auditor.reports._text import canonical_sha256, clean, md_escape
from auditor.reports._view import Limits, build_view, project_name
from auditor.reports.interface import RenderContext
from reports.sample import large_results


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(RESULTS_SCHEMA.read_text()))


def test_sample_documents_follow_the_contract(sample: dict[str, Any]) -> None:
    _validator().validate(sample)
    _validator().validate(large_results(200))
    stages = {f["stage"] for f in sample["findings"]}
    assert len(stages) == 8
    assert {f["status"] for f in sample["findings"]} == {"open", "waived", "suppressed", "baselined"}
    assert {r["status"] for r in sample["risks"]} == {"mitigated", "open", "accepted", "expired", "untreated",
                                                       "not_applicable"}
    assert any("cell" in f["location"] for f in sample["findings"])


def test_stages_in_lifecycle_order_with_controls_and_groups(sample: dict[str, Any], ctx: RenderContext) -> None:
    v = build_view(sample, ctx)
    assert [s["id"] for s in v["stages"]] == ["problem-definition", "data-build", "model-build", "test",
                                              "integrate-release", "deploy", "serve", "monitor"]
    model = v["stages"][2]
    assert model["purpose"].startswith("Write training code")
    assert [g["rule"]["id"] for g in model["groups"]][:2] == ["MODEL-PICKLE-001", "SECRET-AWS-001"]
    load = next(g for g in model["groups"] if g["rule"]["id"] == "MODEL-LOAD-001")
    assert load["count"] == 3 and dict(load["statuses"]) == {"open": 2, "waived": 1}
    nb = [f for file in load["files"] for f in file["findings"] if "cell" in f["location"]]
    assert nb and nb[0]["location"] == "notebooks/explore.ipynb:2 (cell 3)"
    assert sum(v["totals"]["statuses"].values()) == len(sample["findings"])


def test_grouping_bounds_the_findings_shown() -> None:
    doc = large_results(5000)
    limits = Limits(per_file=5, per_rule=40)
    v = build_view(doc, RenderContext(), limits)
    shown = sum(len(file["findings"]) for s in v["stages"] for g in s["groups"] for file in g["files"])
    counted = sum(s["findings_total"] for s in v["stages"])
    assert counted == 5000
    rules = sum(len(s["groups"]) for s in v["stages"])
    assert shown <= rules * 40
    hidden = sum(g["more"] for s in v["stages"] for g in s["groups"])
    assert shown + hidden == 5000


def test_one_file_many_findings_shows_five_and_counts_the_rest(sample: dict[str, Any]) -> None:
    base = sample["findings"][5]  # MODEL-LOAD-001 in src/train.py
    sample["findings"] = [dict(copy.deepcopy(base), fingerprint=f"fp{i}",
                               location=dict(base["location"], start_line=i + 1)) for i in range(12)]
    v = build_view(sample, RenderContext())
    group = v["stages"][2]["groups"][0]
    assert len(group["files"]) == 1
    assert len(group["files"][0]["findings"]) == 5 and group["files"][0]["more"] == 7


def test_heat_map_counts_open_accepted_mitigated(sample: dict[str, Any], ctx: RenderContext) -> None:
    v = build_view(sample, ctx)
    # open includes untreated and expired; not_applicable is not plotted
    assert v["heatmap"]["totals"] == {"open": 8, "accepted": 1, "mitigated": 1}
    cell = next(c for c in v["heatmap"]["cells"] if c["likelihood"] == 4 and c["impact"] == 4)
    assert (cell["open"], cell["accepted"]) == (2, 1)


def test_fallbacks_without_additive_fields(sample: dict[str, Any]) -> None:
    for key in ("rules", "stage_info", "audit", "sbom"):
        del sample[key]
    del sample["target"]["project"]
    for r in sample["risks"]:
        for k in ("likelihood", "impact", "score"):
            r.pop(k)
    v = build_view(sample, RenderContext(catalog=catalog()))
    assert v["meta"]["project"] == "demo-repo"
    assert v["stages"][1]["purpose"].startswith("Collect, label")  # from the catalog's stages.yaml
    assert v["heatmap"]["totals"]["open"] > 0  # ratings from the risk catalog
    assert v["sbom"] is None
    bare = build_view(sample, RenderContext())
    assert bare["heatmap"]["unrated"] > 0 and bare["stages"][1]["purpose"] == ""


def test_project_name_and_digest() -> None:
    assert project_name({"target": {"root": "."}}) == "repository"
    assert project_name({"target": {"root": "/srv/ml/fraud/"}}) == "fraud"
    doc = {"a": 1}
    v_meta = build_view({"target": {"root": "x"}}, RenderContext(results_sha256="ab" * 32))["meta"]
    assert v_meta["results_sha256"] == "ab" * 32 and v_meta["results_sha256_of"] == "results document bytes"
    assert canonical_sha256(doc) == hashlib.sha256(b'{"a":1}').hexdigest()


def test_clean_and_markdown_escape() -> None:
    assert clean("a\x00b\x1bc\x7fd\ud800e\u202ef\tg\nh") == "abcdef\tg\nh"
    escaped = md_escape("<img src=x> | [x](http://e) @bob *b* `c`")
    assert "<" not in escaped and "@" not in escaped and "](http" not in escaped
    assert "\\|" in escaped and "\\*b\\*" in escaped and "\\`c\\`" in escaped
