"""Outputs written safely, for EVERY command that writes (scan -o, report -o, baseline -o, sbom -o, init,
ratp init, vulndb update): never inside the scanned tree unless forced, never through a symlink or
into a FIFO/device, always via a temporary file and os.replace (a hard link to the old output keeps
the old bytes, no temporary file is left behind). FIFO cases run in a subprocess with a timeout, so a
regression (opening the FIFO) fails instead of hanging the suite."""

from __future__ import annotations

import functools
import http.server
import os
import stat
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import VULNDB

from auditor.cli import main
from hostile.conftest import scan_env

SCAN = ["--no-cache", "--vuln-db", str(VULNDB)]


@pytest.fixture
def target(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "app.py").write_text("import os\n")
    (root / "requirements.txt").write_text("requests==2.31.0\n")
    return root


@pytest.fixture
def results(tmp_path: Path, target: Path) -> Path:
    out = tmp_path / "results.json"
    assert main(["scan", str(target), *SCAN, "-o", str(out)]) in (0, 1)
    return out


def _victim(tmp_path: Path) -> Path:
    v = tmp_path / "victim.txt"
    v.write_text("do not touch\n")
    return v


def _fifo(tmp_path: Path, name: str) -> Path:
    p = tmp_path / name
    os.mkfifo(p)
    return p


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "auditor", *args], cwd=cwd, capture_output=True, text=True,
                          env=scan_env(), timeout=120, check=False)


# -- scan -o --------------------------------------------------------------------------------------

def test_scan_refuses_outputs_inside_the_target_unless_forced(tmp_path: Path, target: Path) -> None:
    for name in ("r.json", "sub/r.sarif", "r.pdf"):
        assert main(["scan", str(target), *SCAN, "-o", str(target / name)]) == 2
        assert not (target / name).exists()
    # a path that only resolves into the target (through a symlinked folder outside it) is inside too
    os.symlink(target, tmp_path / "alias")
    assert main(["scan", str(target), *SCAN, "-o", str(tmp_path / "alias" / "r.json")]) == 2
    assert main(["scan", str(target), *SCAN, "--output-in-target", "-o", str(target / "r.json")]) in (0, 1)
    assert (target / "r.json").is_file()


def test_scan_refuses_the_cache_inside_the_target(target: Path) -> None:
    assert main(["scan", str(target), "--vuln-db", str(VULNDB), "--cache-dir", str(target / ".cache")]) == 2
    assert not (target / ".cache").exists()


def test_scan_never_writes_through_a_symlink(tmp_path: Path, target: Path) -> None:
    victim = _victim(tmp_path)
    for name in ("r.json", "r.html", "r.sarif"):
        os.symlink(victim, tmp_path / name)
        assert main(["scan", str(target), *SCAN, "-o", str(tmp_path / name)]) == 2
        assert victim.read_text() == "do not touch\n"
    os.symlink(tmp_path / "nowhere.json", tmp_path / "dangling.json")
    assert main(["scan", str(target), *SCAN, "-o", str(tmp_path / "dangling.json")]) == 2
    assert not (tmp_path / "nowhere.json").exists()


def test_scan_never_opens_a_fifo_or_device(tmp_path: Path, target: Path) -> None:
    fifo = _fifo(tmp_path, "r.json")
    proc = _cli("scan", str(target), *SCAN, "-o", str(fifo), cwd=tmp_path)
    assert proc.returncode == 2 and "not a regular file" in proc.stderr
    try:  # a character device node named like a report (root only)
        os.mknod(tmp_path / "null.json", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, AttributeError):
        return
    proc = _cli("scan", str(target), *SCAN, "-o", str(tmp_path / "null.json"), cwd=tmp_path)
    assert proc.returncode == 2 and "not a regular file" in proc.stderr


def test_outputs_are_replaced_atomically(tmp_path: Path, target: Path) -> None:
    """The old file is replaced, not rewritten in place: a hard link to it keeps the old bytes, and no
    temporary file stays behind."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "r.json").write_text("old\n")
    os.link(out / "r.json", tmp_path / "hardlink.json")
    assert main(["scan", str(target), *SCAN, "-o", str(out / "r.json"), "-o", str(out / "r.md")]) in (0, 1)
    assert (tmp_path / "hardlink.json").read_text() == "old\n"
    assert (out / "r.json").read_text().startswith("{")
    assert sorted(p.name for p in out.iterdir()) == ["r.json", "r.md"]


# -- report, baseline, sbom -------------------------------------------------------------------------

def test_report_refuses_links_fifos_and_its_own_input(tmp_path: Path, results: Path) -> None:
    victim = _victim(tmp_path)
    os.symlink(victim, tmp_path / "link.html")
    assert main(["report", str(results), "-o", str(tmp_path / "link.html")]) == 2
    assert victim.read_text() == "do not touch\n"
    proc = _cli("report", str(results), "-o", str(_fifo(tmp_path, "pipe.md")), cwd=tmp_path)
    assert proc.returncode == 2
    before = results.read_bytes()
    assert main(["report", str(results), "-o", str(results)]) == 2
    assert results.read_bytes() == before
    assert main(["report", str(results), "-o", str(tmp_path / "ok.md")]) == 0


def test_baseline_refuses_links_and_fifos(tmp_path: Path, results: Path) -> None:
    victim = _victim(tmp_path)
    os.symlink(victim, tmp_path / "base.json")
    assert main(["baseline", str(results), "-o", str(tmp_path / "base.json")]) == 2
    assert victim.read_text() == "do not touch\n"
    proc = _cli("baseline", str(results), "-o", str(_fifo(tmp_path, "pipe.json")), cwd=tmp_path)
    assert proc.returncode == 2
    assert main(["baseline", str(results), "-o", str(tmp_path / "ok.json")]) == 0


def test_sbom_refuses_the_target_links_and_fifos(tmp_path: Path, target: Path) -> None:
    assert main(["sbom", str(target), "-o", str(target / "bom.cdx.json")]) == 2
    assert not (target / "bom.cdx.json").exists()
    victim = _victim(tmp_path)
    os.symlink(victim, tmp_path / "bom.cdx.json")
    assert main(["sbom", str(target), "-o", str(tmp_path / "bom.cdx.json")]) == 2
    assert victim.read_text() == "do not touch\n"
    proc = _cli("sbom", str(target), "-o", str(_fifo(tmp_path, "pipe.cdx.json")), cwd=tmp_path)
    assert proc.returncode == 2
    assert main(["sbom", str(target), "-o", str(tmp_path / "ok.cdx.json")]) == 0


# -- init and ratp init (write into the repository on purpose) ------------------------------------

def test_init_never_follows_a_committed_symlink(tmp_path: Path, target: Path) -> None:
    """A hostile repository commits .auditor.yaml / ratp.yaml as links to a file of the user's: init
    must not write through them, even with --force."""
    victim = _victim(tmp_path)
    os.symlink(victim, target / ".auditor.yaml")
    assert main(["init", str(target)]) == 2
    assert main(["init", str(target), "--force"]) == 2
    assert victim.read_text() == "do not touch\n"
    (target / ".auditor.yaml").unlink()
    os.symlink(victim, target / "ratp.yaml")
    assert main(["ratp", "init", str(target), "--force"]) == 2
    assert main(["ratp", "init", str(target), "--force", "-o", str(target / "ratp.yaml")]) == 2
    assert victim.read_text() == "do not touch\n"
    (target / "ratp.yaml").unlink()
    proc = _cli("ratp", "init", str(target), "--force", "-o", str(_fifo(tmp_path, "plan.yaml")), cwd=tmp_path)
    assert proc.returncode == 2
    assert main(["init", str(target)]) == 0
    assert (target / ".auditor.yaml").is_file() and not (target / ".auditor.yaml").is_symlink()


# -- vulndb update ----------------------------------------------------------------------------------

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    site = tmp_path / "site"
    site.mkdir()
    with zipfile.ZipFile(site / "all.zip", "w") as zf:
        zf.writestr("PYSEC-1.json", '{"id": "PYSEC-1", "affected": [{"package": {"name": "x", "ecosystem": "PyPI"},'
                                    ' "versions": ["1.0"]}]}')
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/all.zip"
    finally:
        server.shutdown()
        server.server_close()


def test_vulndb_update_never_writes_through_links(tmp_path: Path, served: str) -> None:
    from auditor import vulndb

    dest = tmp_path / "db"
    dest.mkdir()
    victim = _victim(tmp_path)
    for suffix in ("", vulndb.INDEX_SUFFIX, vulndb.META_SUFFIX):
        link = dest / (vulndb.ARCHIVE_NAME + suffix)
        os.symlink(victim, link)
        assert main(["vulndb", "update", "--url", served, "--dest", str(dest), "--timeout", "10"]) == 2
        assert victim.read_text() == "do not touch\n"
        link.unlink()
    assert main(["vulndb", "update", "--url", served, "--dest", str(dest), "--timeout", "10"]) == 0
    assert sorted(p.name for p in dest.iterdir()) == sorted(
        vulndb.ARCHIVE_NAME + s for s in ("", vulndb.INDEX_SUFFIX, vulndb.META_SUFFIX))
