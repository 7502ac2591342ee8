"""SARIF 2.1.0 for GitHub code scanning, validated against the official schema."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from helpers import SARIF_SCHEMA, catalog

from auditor.reports.interface import RenderContext
from auditor.reports.sarif import FINGERPRINT_KEY, SECURITY_SEVERITY, SarifReporter


def sarif_errors(doc: dict[str, Any]) -> list[str]:
    schema = json.loads(SARIF_SCHEMA.read_text())
    cls = jsonschema.validators.validator_for(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


def render(doc: dict[str, Any], ctx: RenderContext | None = None) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(SarifReporter().render(doc, ctx or RenderContext()))
    return out


def test_validates_against_the_official_schema(sample: dict[str, Any]) -> None:
    doc = render(sample)
    assert sarif_errors(doc) == []
    assert doc["version"] == "2.1.0" and len(doc["runs"]) == 1


def test_rules_carry_help_tags_and_security_severity(sample: dict[str, Any]) -> None:
    run = render(sample)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert ids == sorted(ids) and "GOV-RATP-001" in ids  # controls without findings are described too
    rule = rules[ids.index("MODEL-LOAD-001")]
    assert rule["shortDescription"]["text"] == "torch.load without weights_only=True"
    assert "Remediation:" in rule["help"]["text"] and "**Remediation:**" in rule["help"]["markdown"]
    assert rule["helpUri"].endswith("docs/rules.md#model-load-001")
    props = rule["properties"]
    assert props["security-severity"] == "8.0" and props["precision"] == "high"
    assert {"security", "model-build", "R-UNSAFE-DESERIALIZATION", "CWE-502"} <= set(props["tags"])
    assert rule["defaultConfiguration"]["level"] == "error"
    assert rules[ids.index("MODEL-PICKLE-001")]["properties"]["security-severity"] == SECURITY_SEVERITY["critical"]


def test_results_locations_fingerprints_and_suppressions(sample: dict[str, Any]) -> None:
    run = render(sample)["runs"][0]
    results = run["results"]
    assert len(results) == len(sample["findings"])
    rules = run["tool"]["driver"]["rules"]
    by_fp = {r["partialFingerprints"][FINGERPRINT_KEY]: r for r in results}
    for f in sample["findings"]:
        r = by_fp[f["fingerprint"]]
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"] == f["rule_id"]
        loc = r["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not loc["artifactLocation"]["uri"].startswith(("/", "file:"))
        assert loc["region"]["startLine"] >= 1  # GitHub needs a region on every result
        status = f["status"]
        if status == "open":
            assert "suppressions" not in r
        else:
            (sup,) = r["suppressions"]
            assert sup["status"] == "accepted" and sup["justification"]
            assert sup["kind"] == ("inSource" if status == "suppressed" else "external")
    train = next(r for r in results if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/train.py")
    assert train["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 42, "endLine": 42, "snippet": {"text": "model = torch.load(path)  # loads pickled code"}}
    assert train["level"] == "error" and train["properties"]["stage"] == "model-build"


def test_repository_level_and_notebook_findings(sample: dict[str, Any]) -> None:
    results = render(sample)["runs"][0]["results"]
    card = next(r for r in results if r["ruleId"] == "GOV-CARD-001")
    assert card["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == ".auditor.yaml"  # the config
    assert card["properties"]["repositoryLevel"] is True and "repository-level" in card["message"]["text"]
    sample["config"] = None
    card = next(r for r in render(sample)["runs"][0]["results"] if r["ruleId"] == "GOV-CARD-001")
    assert card["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "README.md"
    nb = next(r for r in results if r["properties"].get("cell") == 3)
    assert "(notebook cell 3, line 2)" in nb["message"]["text"] and nb["properties"]["cellLine"] == 2
    assert nb["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    vuln = next(r for r in results if r["ruleId"] == "DEP-VULN-001" and "suppressions" not in r)
    assert vuln["properties"]["details"]["fixed_versions"] == ["2.2.2"]


def test_control_characters_and_odd_paths(sample: dict[str, Any]) -> None:
    f = sample["findings"][0]
    f["message"] = "bad\x00\x1b[31m\x7f\ud800 text"
    f["location"]["path"] = "dir with space/naïve#1.py"
    doc = render(sample)
    assert sarif_errors(doc) == []
    r = next(x for x in doc["runs"][0]["results"] if x["partialFingerprints"][FINGERPRINT_KEY] == f["fingerprint"])
    assert r["message"]["text"] == "bad[31m text"
    assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "dir%20with%20space/na%C3%AFve%231.py"


@pytest.mark.parametrize("with_catalog", [False, True])
def test_minimal_document(sample: dict[str, Any], with_catalog: bool) -> None:
    for key in ("rules", "stage_info", "audit", "sbom", "config"):
        sample.pop(key)
    sample["findings"] = [{k: v for k, v in f.items() if k not in ("properties", "confidence")}
                          for f in sample["findings"]]
    doc = render(sample, RenderContext(catalog=catalog() if with_catalog else None))
    assert sarif_errors(doc) == []
