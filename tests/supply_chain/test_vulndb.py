"""Offline OSV matching semantics, CVSS scores, the real shared database, and `vulndb update` served
from 127.0.0.1."""

from __future__ import annotations

import functools
import http.server
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from helpers import VULNDB

from auditor import cvss, vulndb
from auditor.cli import main


def rec(id: str, name: str = "demo-pkg", *, events: list[dict[str, str]] | None = None,
        versions: list[str] | None = None, aliases: list[str] | None = None, **extra: object) -> dict[str, object]:
    affected: dict[str, object] = {"package": {"name": name, "ecosystem": "PyPI"}}
    if events is not None:
        affected["ranges"] = [{"type": "ECOSYSTEM", "events": events}]
    if versions is not None:
        affected["versions"] = versions
    return {"id": id, "summary": f"summary of {id}", "aliases": aliases or [], "affected": [affected], **extra}


def write_db(root: Path, records: list[dict[str, object]], *, layout: str = "flat") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for r in records:
        if layout == "pypa":
            name = r["affected"][0]["package"]["name"]  # type: ignore[index]
            p = root / "vulns" / str(name) / f"{r['id']}.yaml"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(yaml.safe_dump(r))
        else:
            (root / f"{r['id']}.json").write_text(json.dumps(r))
    return root


def ids(db: vulndb.LocalOsvDb, name: str, version: str) -> list[str]:
    return [a.id for a in db.query(name, version)]


def test_ecosystem_ranges_introduced_fixed(tmp_path: Path) -> None:
    db = vulndb.LocalOsvDb(write_db(tmp_path, [
        rec("OSV-1", events=[{"introduced": "1.0"}, {"fixed": "1.4.2"}, {"introduced": "2.0"}, {"fixed": "2.1"}]),
    ]))
    assert ids(db, "demo-pkg", "0.9") == []
    assert ids(db, "demo-pkg", "1.0") == ["OSV-1"]
    assert ids(db, "demo-pkg", "1.4.1") == ["OSV-1"]
    assert ids(db, "demo-pkg", "1.4.2") == []
    assert ids(db, "demo-pkg", "1.9") == []
    assert ids(db, "demo-pkg", "2.0.5") == ["OSV-1"]
    assert ids(db, "demo-pkg", "2.1") == []
    assert ids(db, "demo-pkg", "2.0rc1") == []  # pre-release sorts before 2.0


def test_introduced_zero_last_affected_and_limit(tmp_path: Path) -> None:
    db = vulndb.LocalOsvDb(write_db(tmp_path, [
        rec("OSV-LA", events=[{"introduced": "0"}, {"last_affected": "3.2"}]),
        rec("OSV-LIM", name="other", events=[{"introduced": "0"}, {"limit": "5.0"}]),
    ]))
    assert ids(db, "demo-pkg", "0.0.1") == ["OSV-LA"]
    assert ids(db, "demo-pkg", "3.2") == ["OSV-LA"]  # last_affected is inclusive
    assert ids(db, "demo-pkg", "3.2.1") == []
    assert ids(db, "other", "4.9") == ["OSV-LIM"]
    assert ids(db, "other", "5.0") == []  # limit is exclusive


def test_explicit_versions_list(tmp_path: Path) -> None:
    db = vulndb.LocalOsvDb(write_db(tmp_path, [rec("OSV-V", versions=["1.0.0", "1.1"])]))
    assert ids(db, "demo-pkg", "1.0.0") == ["OSV-V"]
    assert ids(db, "demo-pkg", "1.0") == ["OSV-V"]  # same version, PEP 440 equality
    assert ids(db, "demo-pkg", "1.1.0") == ["OSV-V"]
    assert ids(db, "demo-pkg", "1.0.1") == []


def test_withdrawn_records_are_skipped(tmp_path: Path) -> None:
    db = vulndb.LocalOsvDb(write_db(tmp_path, [
        rec("OSV-W", versions=["1.0"], withdrawn="2024-01-01T00:00:00Z"),
        rec("OSV-OK", versions=["1.0"]),
    ]))
    assert ids(db, "demo-pkg", "1.0") == ["OSV-OK"]


def test_aliases_merge_into_one_advisory(tmp_path: Path) -> None:
    db = vulndb.LocalOsvDb(write_db(tmp_path, [
        rec("GHSA-aaaa-bbbb-cccc", events=[{"introduced": "0"}, {"fixed": "2.0"}], aliases=["CVE-2024-0001"],
            severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]),
        rec("PYSEC-2024-1", events=[{"introduced": "0"}, {"fixed": "1.9.5"}],
            aliases=["CVE-2024-0001", "GHSA-aaaa-bbbb-cccc"]),
        rec("PYSEC-2024-2", events=[{"introduced": "0"}, {"fixed": "3.0"}]),
    ]))
    advisories = db.query("demo-pkg", "1.5")
    assert [a.id for a in advisories] == ["PYSEC-2024-1", "PYSEC-2024-2"]
    merged = advisories[0]
    assert merged.aliases == ("CVE-2024-0001", "GHSA-aaaa-bbbb-cccc")
    assert merged.fixed == ("1.9.5", "2.0")
    assert (merged.severity, merged.severity_source, merged.cvss_score) == ("critical", "cvss-v3", 9.8)
    assert advisories[1].severity_source == "default" and advisories[1].severity == vulndb.DEFAULT_SEVERITY


def test_names_are_pep503_normalised(tmp_path: Path) -> None:
    db = vulndb.LocalOsvDb(write_db(tmp_path, [rec("OSV-N", name="Foo_Bar.baz", versions=["1.0"])], layout="pypa"))
    for spelling in ("foo-bar-baz", "Foo_Bar.Baz", "FOO.BAR_BAZ"):
        assert ids(db, spelling, "1.0") == ["OSV-N"]


def test_github_database_severity_is_used_without_cvss(tmp_path: Path) -> None:
    db = vulndb.LocalOsvDb(write_db(tmp_path, [rec("GHSA-x", versions=["1"],
                                                   database_specific={"severity": "MODERATE"})]))
    (adv,) = db.query("demo-pkg", "1")
    assert (adv.severity, adv.severity_source) == ("medium", "database")


def test_only_queried_packages_are_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_db(tmp_path, [rec("OSV-A", name="aaa", versions=["1"]), rec("OSV-B", name="bbb", versions=["1"])],
                    layout="pypa")
    parsed: list[str] = []
    real = vulndb._parse_record

    def spy(raw: bytes, name: str) -> object:
        parsed.append(name)
        return real(raw, name)

    monkeypatch.setattr(vulndb, "_parse_record", spy)
    db = vulndb.LocalOsvDb(root)
    assert ids(db, "aaa", "1") == ["OSV-A"]
    assert parsed == ["vulns/aaa/OSV-A.yaml"]


def test_zip_database(tmp_path: Path) -> None:
    zpath = tmp_path / "db.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("OSV-Z.json", json.dumps(rec("OSV-Z", name="zed", events=[{"introduced": "0"}, {"fixed": "2"}])))
    db = vulndb.LocalOsvDb(zpath)
    assert ids(db, "zed", "1.0") == ["OSV-Z"]
    assert db.record_count() == 1


def test_missing_database_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(vulndb.VulnDbError, match="not found"):
        vulndb.LocalOsvDb(tmp_path / "nope")
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(vulndb.VulnDbError, match="not a directory or a zip"):
        vulndb.LocalOsvDb(tmp_path / "f.txt")


@pytest.mark.parametrize("vector,score", [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
    ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:H", 8.1),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
    ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5),
    ("CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.8),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
])
def test_cvss_v3_base_scores(vector: str, score: float) -> None:
    assert cvss.base_score(vector) == score


def test_cvss_rejects_other_vectors() -> None:
    assert cvss.base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P") is None
    assert cvss.base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N") is None
    assert cvss.base_score("CVSS:3.1/AV:X/AC:L") is None
    assert [cvss.severity_of(s) for s in (9.0, 7.0, 4.0, 0.1, 0.0)] == ["critical", "high", "medium", "low", "info"]


# --- the real shared database --------------------------------------------------------------------

DEMO_ADVISORIES = {
    ("torch", "1.13.0"): {"PYSEC-2022-43015"},
    ("mlflow", "2.1.1"): {"PYSEC-2023-28", "PYSEC-2023-29", "PYSEC-2023-252", "PYSEC-2024-51"},
    ("flask", "2.2.2"): {"PYSEC-2023-62"},
    ("requests", "2.28.1"): {"PYSEC-2023-74"},
    ("pyyaml", "5.3.1"): {"PYSEC-2021-142"},
}


@pytest.mark.skipif(not VULNDB.is_dir(), reason="shared vulndb not present")
def test_shared_database_knows_the_demo_pins() -> None:
    db = vulndb.LocalOsvDb(VULNDB)
    for (name, version), expected in DEMO_ADVISORIES.items():
        assert expected <= set(ids(db, name, version)), (name, version)
    (req,) = db.query("requests", "2.28.1")
    assert "GHSA-j8r2-6x86-q33q" in req.aliases and "CVE-2023-32681" in req.aliases
    assert req.fixed == ("2.31.0",)
    assert ids(db, "requests", "2.31.0") == []
    mlflow = {a.id: a for a in db.query("mlflow", "2.1.1")}
    assert mlflow["PYSEC-2023-252"].severity_source == "cvss-v3" and mlflow["PYSEC-2023-252"].cvss_score == 7.5


# --- vulndb update over 127.0.0.1 -----------------------------------------------------------------

def _fixture_zip() -> bytes:
    """A small OSV archive built from real records of the shared database (or synthetic ones)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        names = ("requests/PYSEC-2023-74.yaml", "requests/PYSEC-2018-28.yaml", "torch/PYSEC-2022-43015.yaml")
        picked = [VULNDB / "vulns" / n for n in names] if VULNDB.is_dir() else []
        for p in picked:
            doc = yaml.safe_load(p.read_text())
            zf.writestr(f"{doc['id']}.json", json.dumps(doc))
        if not picked:
            zf.writestr("OSV-R.json", json.dumps(rec("PYSEC-2023-74", name="requests", versions=["2.28.1"])))
    return buf.getvalue()


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[str]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "all.zip").write_bytes(_fixture_zip())
    (site / "notzip.zip").write_bytes(b"<html>not a zip</html>")
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


def test_update_downloads_atomically_and_status_reports(served: str, tmp_path: Path) -> None:
    dest = tmp_path / "cache"
    st = vulndb.update(f"{served}/all.zip", dest, timeout=10)
    assert st.exists and st.records >= 1 and st.path == dest / vulndb.ARCHIVE_NAME
    assert st.url == f"{served}/all.zip" and st.age_seconds is not None and st.age_seconds < 60
    assert not list(dest.glob("*.part"))
    assert ids(vulndb.LocalOsvDb(st.path), "requests", "2.28.1") == ["PYSEC-2023-74"]
    # the sidecar index is used on the next open
    assert (dest / (vulndb.ARCHIVE_NAME + vulndb.INDEX_SUFFIX)).is_file()
    before = st.path.read_bytes()
    with pytest.raises(vulndb.VulnDbError, match="not a zip"):
        vulndb.update(f"{served}/notzip.zip", dest, timeout=10)
    with pytest.raises(vulndb.VulnDbError, match="download failed"):
        vulndb.update(f"{served}/missing.zip", dest, timeout=10)
    assert st.path.read_bytes() == before  # a failed update leaves the old database in place
    assert not list(dest.glob(".*.part"))


def test_vulndb_cli_update_and_status(served: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "cli-cache"
    assert main(["vulndb", "update", "--url", f"{served}/all.zip", "--dest", str(dest)]) == 0
    assert main(["vulndb", "status", "--path", str(dest)]) == 0
    out = capsys.readouterr().out
    assert "records:" in out and "age:" in out and str(dest) in out
    assert main(["vulndb", "update", "--url", f"{served}/missing.zip", "--dest", str(dest)]) == 3
    assert main(["vulndb", "status", "--path", str(tmp_path / "none")]) == 2
