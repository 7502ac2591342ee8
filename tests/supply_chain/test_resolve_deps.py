"""--resolve-deps: unpinned requirements resolved by pip's resolver (dry run, wheels only) and audited.

Success path: tiny wheels written by hand (zip with METADATA/WHEEL/RECORD, no build backend) into a local
folder that pip reads with ``--no-index --find-links``; a small OSV record marks one of them vulnerable.
Failure path: a package index on 127.0.0.1:9 (nothing listens) - pip fails fast, the analyzer records a
note and keeps the requirements "not audited". pip runs isolated from this machine's pip configuration.
Everything stays on this machine."""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from helpers import run_analyzer_output, write_tree

from auditor import depresolve
from auditor.analyzers.interface import ScanOptions
from auditor.cli import main


def _wheel(folder: Path, name: str, version: str, requires: tuple[str, ...] = ()) -> None:
    dist = f"{name}-{version}.dist-info"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires)
    files = {f"{name}/__init__.py": b"",
             f"{dist}/METADATA": meta.encode(),
             f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: auditor-tests\nRoot-Is-Purelib: true\n"
                              b"Tag: py3-none-any\n"}
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(folder / f"{name}-{version}-py3-none-any.whl", "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("wheelhouse")
    _wheel(d, "tinyvuln", "1.0")
    _wheel(d, "tinyvuln", "1.1")
    _wheel(d, "tinysafe", "0.1", requires=("tinydep>=0.2",))
    _wheel(d, "tinydep", "0.3")
    # an sdist only: with --only-binary=:all: pip must never fetch or build it (the bytes are not even a tarball)
    (d / "tinysdist-1.0.tar.gz").write_bytes(b"not a tarball: building this would fail loudly")
    return d


@pytest.fixture(scope="module")
def osv_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("osv")
    record = {
        "id": "TEST-2026-0001", "modified": "2026-01-01T00:00:00Z", "aliases": ["CVE-2026-99999"],
        "summary": "tinyvuln before 1.2 runs code from its config file",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "tinyvuln"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2"}]}]}],
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    }
    (d / "TEST-2026-0001.json").write_text(json.dumps(record))
    return d


REQUIREMENTS = """tinyvuln>=1.0,<2
tinysafe
tinysdist>=1
myproj
-e .
git+https://example.invalid/tinygit.git@main#egg=tinygit
"""
PYPROJECT = """[project]
name = "myproj"
version = "0.1"
dependencies = ["tinyvuln<1.1"]
"""


def _tree(root: Path) -> Path:
    return write_tree(root, {"requirements.txt": REQUIREMENTS, "pyproject.toml": PYPROJECT, "myproj/__init__.py": ""})


def _listing(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def _options(db: Path, pip_audit: dict[str, object], resolve: bool = True) -> ScanOptions:
    """Per-analyzer settings reach analyzers through ScanOptions.settings (the config's `analyzers:`)."""
    return ScanOptions(offline=True, vuln_db=db, resolve_deps=resolve, settings={"pip-audit": pip_audit})


def _wheels(wheels: Path) -> dict[str, object]:
    return {"resolve_isolated": True, "resolve_args": ["--no-index", "--find-links", str(wheels)]}


def test_resolved_versions_are_audited(tmp_path: Path, wheelhouse: Path, osv_db: Path) -> None:
    root = _tree(tmp_path / "proj")
    before = _listing(root)
    out = run_analyzer_output("pip-audit", root, ["DEP-VULN-001"], options=_options(osv_db, _wheels(wheelhouse)))
    assert _listing(root) == before  # nothing written into the target
    vulns = {(f.path, f.start_line): f for f in out.findings}
    assert set(vulns) == {("requirements.txt", 1), ("pyproject.toml", 4)}
    req = vulns[("requirements.txt", 1)].properties
    assert req["resolved"] is True and req["resolved_version"] == "1.1" and req["installed_version"] == "1.1"
    assert req["advisory_id"] == "TEST-2026-0001" and req["fixed_versions"] == ["1.2"]
    assert req["specifier"] == "<2,>=1.0"
    # each manifest is resolved on its own: the pyproject range picks another version
    assert vulns[("pyproject.toml", 4)].properties["resolved_version"] == "1.0"
    assert "resolves to 1.1" in vulns[("requirements.txt", 1)].message
    assert vulns[("requirements.txt", 1)].severity == "critical"

    section = out.sections["dependencies"]
    resolution = section["resolution"]
    assert {(r["name"], r["version"]) for r in resolution["resolved"]} == {
        ("tinyvuln", "1.1"), ("tinysafe", "0.1"), ("tinyvuln", "1.0")}
    assert resolution["transitive_not_audited"] == [{"package": "tinydep", "version": "0.3"}]
    assert "--only-binary=:all:" in resolution["command"] and "--dry-run" in resolution["command"]
    reasons = {r["name"]: r["reason"] for r in section["not_audited"]}
    assert "tinyvuln" not in reasons and "tinysafe" not in reasons
    assert "wheels only" in reasons["tinysdist"]
    assert "own project" in reasons["myproj"]
    assert "editable" in reasons["."]
    assert "VCS reference" in reasons["tinygit"]


def test_without_the_option_ranges_stay_not_audited(tmp_path: Path, wheelhouse: Path, osv_db: Path) -> None:
    root = _tree(tmp_path / "proj")
    out = run_analyzer_output("pip-audit", root, ["DEP-VULN-001"],
                              options=_options(osv_db, _wheels(wheelhouse), resolve=False))
    assert list(out.findings) == []
    section = out.sections["dependencies"]
    assert "resolution" not in section
    assert {"tinyvuln", "tinysafe"} <= {r["name"] for r in section["not_audited"]}


def test_unreachable_index_is_a_note_not_a_failure(tmp_path: Path, osv_db: Path) -> None:
    root = write_tree(tmp_path / "proj", {"requirements.txt": "tinyvuln==1.0\ntinysafe>=0.1\n"})
    settings = {"resolve_isolated": True, "resolve_timeout": 60,
                "resolve_args": ["--index-url", "http://127.0.0.1:9/simple", "--retries", "1", "--timeout", "3"]}
    out = run_analyzer_output("pip-audit", root, ["DEP-VULN-001"], options=_options(osv_db, settings))
    # the exact pin is still audited; the range is listed as not audited with the reason
    assert [(f.start_line, f.properties.get("resolved", False)) for f in out.findings] == [(1, False)]
    section = out.sections["dependencies"]
    (entry,) = section["not_audited"]
    assert entry["name"] == "tinysafe" and "package index not reachable" in entry["reason"]
    assert any("not reachable" in n for n in out.notes)
    assert section["resolution"]["resolved"] == []


def test_cli_scan_with_resolve_deps_offline_is_not_incomplete(tmp_path: Path, osv_db: Path) -> None:
    root = write_tree(tmp_path / "proj", {
        "requirements.txt": "tinysafe>=0.1\n",
        ".auditor.yaml": "analyzers:\n  pip-audit:\n    resolve_isolated: true\n    resolve_args: "
                         "[--index-url, 'http://127.0.0.1:9/simple', --retries, '1', --timeout, '3']\n",
    })
    out = tmp_path / "out"
    out.mkdir()
    rc = main(["scan", str(root), "--vuln-db", str(osv_db), "--resolve-deps", "--no-cache", "-q",
               "-o", str(out / "r.json")])
    assert rc != 3
    results = json.loads((out / "r.json").read_text())
    status = {a["name"]: a["status"] for a in results["analyzers"]}
    assert status["pip-audit"] == "ok"
    assert any(f["rule_id"] == "DEP-PIN-001" for f in results["findings"])  # the hygiene finding flags it


def test_resolve_args_are_checked() -> None:
    assert depresolve.check_args(None) == ()
    assert depresolve.check_args(["--no-index", "--find-links", "/w"]) == ("--no-index", "--find-links", "/w")
    assert depresolve.check_args(["--index-url=http://127.0.0.1/simple", "--pre", "--retries", "1"])
    for bad in (["--no-binary=:all:"], ["--target", "/x"], "--no-index", [1], ["--log", "/tmp/x"],
                ["--report", "/tmp/r.json"], ["--cache-dir", "/tmp"], ["-r", "other.txt"], ["somepackage"],
                ["--python", "/usr/bin/python3"], ["--index-url"], ["--find-links", "--no-index"]):
        with pytest.raises(depresolve.ResolveConfigError):
            depresolve.check_args(bad)


def test_bad_resolve_args_fail_the_analyzer(tmp_path: Path, osv_db: Path) -> None:
    from auditor.errors import AnalyzerError

    root = write_tree(tmp_path / "proj", {"requirements.txt": "tinysafe>=0.1\n"})
    with pytest.raises(AnalyzerError, match="resolve_args"):
        run_analyzer_output("pip-audit", root, ["DEP-VULN-001"],
                            options=_options(osv_db, {"resolve_args": ["--no-binary", ":all:"]}))


@pytest.mark.parametrize(("spec", "expected"), [
    ("", ""), ("*", ""), (">=1.0,<2", ">=1.0,<2"), ("^1.2.3", ">=1.2.3,<2"), ("^0.2.3", ">=0.2.3,<0.3"),
    ("^0.0.3", ">=0.0.3,<0.0.4"), ("~1.2.3", ">=1.2.3,<1.3"), ("~=1.4", "~=1.4"), ("^x", None), ("=>1", None),
])
def test_specifiers_become_pep440(spec: str, expected: str | None) -> None:
    assert depresolve.pep440_specifier(spec) == expected
