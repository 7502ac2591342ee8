"""File-system class: links out of the root, to devices and in loops; FIFOs and sockets named like
the files the scanner reads first; very deep trees; hostile file names; unreadable files. Each case
is a builder in corpus.FILESYSTEM (the harness fails a scan that opens a FIFO or hangs)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from helpers import VULNDB

from hostile.conftest import Hostile, console_script, scan_env
from hostile.corpus import FILESYSTEM, sockets_named_like_models, unreadable_file_and_folder


@pytest.mark.parametrize("name", sorted(FILESYSTEM))
def test_filesystem_trap_is_skipped_and_the_rest_scanned(hostile: Hostile, name: str) -> None:
    expect = FILESYSTEM[name](hostile.root, hostile.canary)
    run = hostile.scan(expect=expect)
    hostile.check(run, expect)


def test_sockets_named_like_models_are_never_opened(hostile: Hostile) -> None:
    expect, socks = sockets_named_like_models(hostile.root, hostile.canary)
    try:
        run = hostile.scan(expect=expect)
        hostile.check(run, expect)
    finally:
        for s in socks:
            s.close()


def _can_drop_dac() -> bool:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return False
    probe = subprocess.run(["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "true"],
                           capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_drop_dac(), reason="needs root and setpriv to drop CAP_DAC_OVERRIDE")
def test_unreadable_files_make_the_verdict_incomplete_exit_3(hostile: Hostile) -> None:
    """Tests run as root, where chmod 000 files stay readable. Dropping CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH from the bounding set makes them truly unreadable for the child: the scan must
    fail closed (exit 3, the files named), never pass clean."""
    unreadable_file_and_folder(hostile.root, hostile.canary)
    out = hostile.out / "r.json"
    proc = subprocess.run(
        ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", console_script(), "scan",
         str(hostile.root), "--no-cache", "--vuln-db", str(VULNDB), "-o", str(out)],
        capture_output=True, text=True, env=scan_env(), timeout=120, cwd=hostile.base, check=False)
    assert proc.returncode == 3, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    import json

    results = json.loads(out.read_text())
    assert results["gate"]["decision"] == "incomplete"
    reasons = " ".join(results["gate"]["reasons"])
    assert "could not be read" in reasons and "locked.pkl" in reasons
    skipped = {s["path"]: s["reason"] for s in results["inventory"]["skipped"]}
    assert skipped["locked.pkl"].startswith("unreadable")
    assert any(p.startswith("locked-dir") and r.startswith("unreadable") for p, r in skipped.items())
    assert os.listdir(hostile.canary.dir) == []
    # --allow-incomplete judges what could be read, and says what was not
    proc = subprocess.run(
        ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", sys.executable, "-m", "auditor", "scan",
         str(hostile.root), "--no-cache", "--vuln-db", str(VULNDB), "--allow-incomplete", "-o", str(out)],
        capture_output=True, text=True, env=scan_env(), timeout=120, cwd=hostile.base, check=False)
    assert proc.returncode in (0, 1)
    assert "could not be read" in " ".join(json.loads(out.read_text())["gate"]["reasons"])
