"""CycloneDX SBOM: validates with cyclonedx-python-lib, lists models and datasets with their SHA-256,
Python dependencies with purls, container base images; SBOM-PRESENT-001; reporter and CLI."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from helpers import DEMO, run_analyzer, run_analyzer_output, write_tree

from auditor.analyzers.interface import AnalysisContext, ScanOptions
from auditor.analyzers.sbom import SbomAnalyzer, base_images, split_image
from auditor.cli import main
from auditor.config import Config
from auditor.discover import discover
from auditor.reports.cyclonedx import CycloneDxReporter
from auditor.reports.interface import RenderContext, ReportError
from fixtures.gen_demo_binaries import generate


@pytest.fixture(scope="module")
def demo_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with its generated model files, in a folder of its own (never written in place)."""
    root = tmp_path_factory.mktemp("demo") / "demo-repo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("models"))
    generate(root)
    write_tree(root, {"Dockerfile": "FROM python:3.11-slim@sha256:" + "ab" * 32 + " AS build\n"
                                    "FROM build\nFROM ghcr.io/acme/serving:1.2\n"})
    return root


def _validate(document: dict[str, object]) -> None:
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(document))
    assert error is None, error


def test_demo_sbom_validates_and_lists_models_and_data(demo_copy: Path) -> None:
    out = run_analyzer_output("cyclonedx", demo_copy)
    section = out.sections["sbom"]
    assert section["spec_version"] == "1.6" and section["document"]["specVersion"] == "1.6"
    _validate(section["document"])
    inventory = discover(demo_copy, Config(data={})).assets
    files = {a.path: a for a in inventory if a.kind in ("model", "data")}
    assert any(a.kind == "model" for a in files.values()) and any(a.kind == "data" for a in files.values())
    comps = {c["name"]: c for c in section["document"]["components"]}
    by_path = {}
    for c in section["document"]["components"]:
        props = {p["name"]: p["value"] for p in c.get("properties", [])}
        if "auditor:path" in props and c["type"] in ("machine-learning-model", "data"):
            by_path[props["auditor:path"]] = (c, props)
    assert set(by_path) == set(files)
    for path, asset in files.items():
        comp, props = by_path[path]
        expected = hashlib.sha256((demo_copy / path).read_bytes()).hexdigest()
        assert comp["hashes"] == [{"alg": "SHA-256", "content": expected}]
        assert comp["type"] == ("machine-learning-model" if asset.kind == "model" else "data")
        if asset.format:
            assert props["auditor:format"] == asset.format
    assert comps["torch"]["purl"] == "pkg:pypi/torch@1.13.0" and comps["torch"]["version"] == "1.13.0"
    assert comps["python:3.11-slim@sha256:" + "ab" * 32]["type"] == "container"
    assert comps["ghcr.io/acme/serving:1.2"]["purl"] == "pkg:docker/acme/serving@1.2?repository_url=ghcr.io"
    assert "build" not in comps
    assert section["document"]["metadata"]["component"]["name"] == "ticket-triage"
    assert section["components"] == len(section["summary"]) == len(section["document"]["components"])


def test_sbom_is_deterministic_apart_from_timestamp(demo_copy: Path) -> None:
    a = run_analyzer_output("cyclonedx", demo_copy).sections["sbom"]["document"]
    b = run_analyzer_output("cyclonedx", demo_copy).sections["sbom"]["document"]
    for d in (a, b):
        d["metadata"].pop("timestamp", None)
    assert a == b


def test_sbom_present_control(tmp_path: Path) -> None:
    write_tree(tmp_path, {"requirements.txt": "torch==2.1.0\n"})
    assert [f.rule_id for f in run_analyzer("cyclonedx", tmp_path)] == ["SBOM-PRESENT-001"]
    write_tree(tmp_path, {"release/bom.cdx.json": "{}"})
    assert not run_analyzer("cyclonedx", tmp_path)


def test_sbom_present_when_the_scan_writes_one(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app.py": "print(1)\n"})
    inv = discover(tmp_path, Config(data={}))
    ctx = AnalysisContext(root=inv.root, inventory=inv.assets, options=ScanOptions(), all_paths=inv.all_paths,
                          outputs={"cyclonedx": tmp_path.parent / "out.cdx.json"})
    from helpers import catalog

    rule = catalog().rules["SBOM-PRESENT-001"]
    out = SbomAnalyzer().analyze(ctx, list(inv.assets), [rule])
    assert not out.findings and out.sections["sbom"]["written_to"].endswith("out.cdx.json")


def test_dockerfile_parsing() -> None:
    imgs = base_images("ARG V=3\nFROM --platform=linux/amd64 python:${V} AS a\nfrom nvidia/cuda:12.1-runtime as b\n"
                       "FROM b\nFROM scratch\nFROM localhost:5000/x/y@sha256:ff\n", "Dockerfile")
    assert [(i.image, i.line) for i in imgs] == [("nvidia/cuda:12.1-runtime", 3), ("localhost:5000/x/y@sha256:ff", 6)]
    assert split_image("localhost:5000/x/y@sha256:ff") == ("localhost:5000", "x", "y", "sha256:ff")
    assert split_image("ubuntu") == (None, "library", "ubuntu", None)


def test_reporter_renders_the_document_and_refuses_without_sbom(demo_copy: Path) -> None:
    section = run_analyzer_output("cyclonedx", demo_copy).sections["sbom"]
    data = CycloneDxReporter().render({"sbom": section}, RenderContext())
    assert json.loads(data) == section["document"]
    with pytest.raises(ReportError, match="no SBOM"):
        CycloneDxReporter().render({"findings": []}, RenderContext())


def test_sbom_cli_writes_atomically_outside_the_target(demo_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "bom.cdx.json"
    assert main(["sbom", str(demo_copy), "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    _validate(doc)
    assert any(c["type"] == "machine-learning-model" for c in doc["components"])
    assert not list(tmp_path.glob(".*tmp*")) and not list(tmp_path.glob("*.tmp"))
    assert main(["sbom", str(demo_copy), "-o", str(demo_copy / "bom.cdx.json")]) == 2  # inside the target
    assert not (demo_copy / "bom.cdx.json").exists()
    assert main(["sbom", str(tmp_path / "missing"), "-o", str(out)]) == 2
