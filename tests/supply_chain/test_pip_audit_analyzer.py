"""pip-audit analyzer: manifests of every kind, offline OSV matching, online through pip-audit's OSV
service against a local server, and failure when no source is reachable. All offline."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from helpers import DEMO, VULNDB, run_analyzer_output, write_tree

from auditor import vulndb
from auditor.analyzers.interface import ScanOptions
from auditor.analyzers.pip_audit_scan import PipAuditSource
from auditor.errors import AnalyzerError
from auditor.manifests import load_manifests

OFFLINE = ScanOptions(offline=True, vuln_db=VULNDB)
needs_db = pytest.mark.skipif(not VULNDB.is_dir(), reason="shared vulndb not present")


def _vulns(out: object) -> dict[tuple[str, int | None, str], object]:
    return {(f.path, f.start_line, f.properties["advisory_id"]): f for f in out.findings}  # type: ignore[attr-defined]


@needs_db
def test_demo_advisories_by_id() -> None:
    """Done-when of the issue: the demo's pinned vulnerable packages yield their known advisories."""
    out = run_analyzer_output("pip-audit", DEMO, options=OFFLINE)
    found = _vulns(out)
    lines = (DEMO / "requirements.txt").read_text().splitlines()

    def line_of(pin: str) -> int:
        return next(i for i, t in enumerate(lines, start=1) if t.startswith(pin))

    expected = {
        ("requirements.txt", line_of("torch==1.13.0"), "PYSEC-2022-43015"),
        ("requirements.txt", line_of("mlflow==2.1.1"), "PYSEC-2023-252"),
        ("requirements.txt", line_of("mlflow==2.1.1"), "PYSEC-2024-51"),
        ("requirements.txt", line_of("flask==2.2.2"), "PYSEC-2023-62"),
        ("requirements.txt", line_of("requests==2.28.1"), "PYSEC-2023-74"),
        ("requirements.txt", line_of("pyyaml==5.3.1"), "PYSEC-2021-142"),
    }
    assert expected <= set(found)
    req = found[("requirements.txt", line_of("requests==2.28.1"), "PYSEC-2023-74")]
    props = req.properties  # type: ignore[attr-defined]
    assert props["installed_version"] == "2.28.1" and props["fixed_versions"] == ["2.31.0"]
    assert set(props["aliases"]) == {"CVE-2023-32681", "GHSA-j8r2-6x86-q33q"}
    assert "PYSEC-2023-74" in req.message and "2.31.0" in req.message  # type: ignore[attr-defined]
    assert req.severity is None  # no CVSS in that record: the rule's documented default (high)
    cvss = found[("requirements.txt", line_of("mlflow==2.1.1"), "PYSEC-2023-260")]
    assert cvss.severity == "medium" and cvss.properties["cvss_vector"].startswith("CVSS:3")  # type: ignore[attr-defined]
    section = out.sections["dependencies"]
    assert any(r["name"] == "scikit-learn" for r in section["not_audited"])
    assert not any(r["name"] == "torch" for r in section["not_audited"])  # ranged in pyproject, pinned elsewhere
    assert any("not audited" in n for n in out.notes)


LOCKS = {
    "poetry.lock": '''[[package]]
name = "certifi"
version = "2024.2.2"

[[package]]
name = "requests"
version = "2.28.1"
description = "HTTP"

[package.dependencies]
certifi = ">=2017.4.17"
''',
    "uv.lock": '''version = 1

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }

[[package]]
name = "requests"
version = "2.28.1"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://x/requests-2.28.1.tar.gz", hash = "sha256:aa" }
''',
    "Pipfile.lock": json.dumps({"_meta": {}, "default": {
        "certifi": {"version": "==2024.2.2", "hashes": ["sha256:bb"]},
        "requests": {"version": "==2.28.1", "hashes": ["sha256:aa"]}}, "develop": {}}, indent=4),
    "pylock.toml": '''lock-version = "1.0"
created-by = "pip"

[[packages]]
name = "requests"
version = "2.28.1"
wheels = [{ name = "requests-2.28.1-py3-none-any.whl", hashes = { sha256 = "aa" } }]
''',
}


@needs_db
@pytest.mark.parametrize("name", sorted(LOCKS))
def test_lock_files_point_at_the_lock_entry(tmp_path: Path, name: str) -> None:
    write_tree(tmp_path, {name: LOCKS[name]})
    out = run_analyzer_output("pip-audit", tmp_path, options=OFFLINE)
    hits = [f for f in out.findings if f.properties["advisory_id"] == "PYSEC-2023-74"]
    assert len(hits) == 1
    line = LOCKS[name].splitlines()[hits[0].start_line - 1]
    assert "requests" in line
    assert hits[0].properties["locked"] is True


@needs_db
def test_pyproject_pep621_and_poetry_pins(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": '''[project]
name = "x"
dependencies = ["requests==2.28.1", "numpy>=1"]

[tool.poetry.dependencies]
python = "^3.10"
flask = "2.2.2"
pyyaml = "^5.3"
'''})
    out = run_analyzer_output("pip-audit", tmp_path, options=OFFLINE)
    got = {(f.start_line, f.properties["advisory_id"]) for f in out.findings}
    assert (3, "PYSEC-2023-74") in got and (7, "PYSEC-2023-62") in got
    assert not any(f.properties["package"] == "pyyaml" for f in out.findings)  # caret range: not audited
    assert {r["name"] for r in out.sections["dependencies"]["not_audited"]} == {"numpy", "pyyaml"}


@needs_db
def test_requirement_includes_stay_inside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write_tree(tmp_path, {"outside.txt": "flask==2.2.2\n"})
    write_tree(root, {"requirements.txt": "-r deps/common.pip\n-r ../outside.txt\n-c constraints/pins.cfg\n",
                      "deps/common.pip": "requests==2.28.1\n", "constraints/pins.cfg": "pyyaml==5.3.1\n"})
    out = run_analyzer_output("pip-audit", root, options=OFFLINE)
    assert {(f.path, f.properties["package"]) for f in out.findings} == {
        ("deps/common.pip", "requests"), ("constraints/pins.cfg", "pyyaml")}
    assert any("outside the scanned root" in n for n in out.notes)


def test_offline_without_database_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, {"requirements.txt": "requests==2.28.1\n"})
    monkeypatch.setattr(vulndb, "default_archive", lambda: tmp_path / "no-cache" / "PyPI-all.zip")
    with pytest.raises(AnalyzerError, match="offline and no vulnerability database"):
        run_analyzer_output("pip-audit", tmp_path, options=ScanOptions(offline=True))
    with pytest.raises(AnalyzerError, match="not found"):
        run_analyzer_output("pip-audit", tmp_path, options=ScanOptions(vuln_db=tmp_path / "missing"))


def test_config_vuln_db_and_nothing_pinned(tmp_path: Path) -> None:
    write_tree(tmp_path, {"requirements.txt": "requests>=2\n"})
    out = run_analyzer_output("pip-audit", tmp_path)  # nothing pinned: no source needed, nothing fails
    assert not out.findings and out.sections["dependencies"]["not_audited"][0]["name"] == "requests"


class _OsvHandler(http.server.BaseHTTPRequestHandler):
    record: dict[str, object] = {}

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        hit = body["package"]["name"] == "requests" and body["version"] == "2.28.1"
        data = json.dumps({"vulns": [self.record]} if hit else {}, default=str).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture()
def osv_server() -> Iterator[str]:
    path = VULNDB / "vulns" / "requests" / "PYSEC-2023-74.yaml"
    _OsvHandler.record = yaml.safe_load(path.read_text()) if path.is_file() else {
        "id": "PYSEC-2023-74", "aliases": ["CVE-2023-32681"], "summary": "leak",
        "affected": [{"package": {"name": "requests", "ecosystem": "PyPI"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.3.0"}, {"fixed": "2.31.0"}]}]}]}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _OsvHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
    finally:
        server.shutdown()
        server.server_close()


def test_online_uses_pip_audit_osv_service(tmp_path: Path, osv_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vulndb, "cache_dir", lambda: tmp_path / "cache" / "vulndb")
    write_tree(tmp_path / "repo", {"requirements.txt": "requests==2.28.1\nflask==2.3.3\n"})
    settings = {"pip-audit": {"service": "osv", "osv_url": osv_server, "timeout": 5}}
    out = run_analyzer_output("pip-audit", tmp_path / "repo", options=ScanOptions(settings=settings))
    assert [(f.start_line, f.properties["advisory_id"]) for f in out.findings] == [(1, "PYSEC-2023-74")]
    f = out.findings[0]
    assert "CVE-2023-32681" in f.properties["aliases"] and f.properties["fixed_versions"] == ["2.31.0"]
    assert "osv service" in out.sections["dependencies"]["source"]


def test_unreachable_online_service_fails_closed(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    src = PipAuditSource(service="osv", timeout=2, osv_url=f"http://127.0.0.1:{port}/v1/query",
                         cache_dir=tmp_path / "c")
    with pytest.raises(AnalyzerError, match="not reachable"):
        src.query("requests", "2.28.1")


def test_manifest_parsing_edge_cases(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "requirements.txt": ("--index-url=https://pypi.org/simple\n"
                             "torch==2.1.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n"
                             "Pillow===9.0.0  # arbitrary equality\nnumpy==1.26.*\n"
                             "-e git+https://github.com/o/r@" + "a" * 40 + "#egg=r\n"
                             "x @ https://example.com/x-1.0.whl\nnot a valid requirement ((\n"),
        "setup.cfg": "[options]\ninstall_requires =\n    requests==2.28.1\n    click>=8\n",
        "environment.yml": "name: e\ndependencies:\n  - python=3.11\n  - pip:\n    - flask==2.2.2\n",
        "Pipfile": '[packages]\nrequests = "==2.28.1"\nflask = "*"\n',
    })
    mset = load_manifests(tmp_path, ["requirements.txt", "setup.cfg", "environment.yml", "Pipfile"])
    by = {(m.path, r.normalized): r for m in mset.manifests for r in m.requirements}
    torch = by[("requirements.txt", "torch")]
    assert (torch.version, torch.line, torch.hashes) == ("2.1.0", 2, ("sha256:aa", "sha256:bb"))
    assert by[("requirements.txt", "pillow")].version == "9.0.0"
    assert by[("requirements.txt", "numpy")].version is None
    assert by[("requirements.txt", "r")].vcs_commit == "a" * 40 and by[("requirements.txt", "r")].editable
    assert by[("requirements.txt", "x")].url == "https://example.com/x-1.0.whl"
    req_manifest = next(m for m in mset.manifests if m.path == "requirements.txt")
    assert len(req_manifest.errors) == 1 and ":9:" in req_manifest.errors[0]
    assert req_manifest.options[0].name == "--index-url"
    assert by[("setup.cfg", "requests")].version == "2.28.1" and by[("setup.cfg", "requests")].line == 3
    assert by[("environment.yml", "flask")].version == "2.2.2"
    assert by[("Pipfile", "requests")].version == "2.28.1" and by[("Pipfile", "flask")].specifier == ""
