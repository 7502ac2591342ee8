"""The hostile harness: build a target and a canary folder beside it, run scans, and after every scan
assert the guarantees: no canary, the target unchanged (every path, mode and content hash), the run
finished within its bound, no traceback."""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from core.test_guarantees import tree_state
from helpers import VULNDB

from auditor.cli import main
from fixtures.generators import CANARY_PATH
from hostile.corpus import Canary, Expect

FIFO_GRACE = 2.0  # seconds past the bound before a watchdog unblocks FIFO readers


@dataclass
class Run:
    rc: int
    seconds: float
    stdout: str
    stderr: str
    results: dict[str, Any] | None
    outputs: dict[str, Path] = field(default_factory=dict)

    def open_findings(self) -> list[dict[str, Any]]:
        assert self.results is not None
        return [f for f in self.results["findings"] if f["status"] == "open"]

    def rules_on(self, path: str) -> set[str]:
        return {f["rule_id"] for f in self.open_findings() if f["location"]["path"] == path}

    def skipped(self) -> dict[str, str]:
        assert self.results is not None
        return {s["path"]: s["reason"] for s in self.results["inventory"]["skipped"]}


def _fifos(root: Path) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = Path(dirpath) / n
            with contextlib.suppress(OSError):
                if stat.S_ISFIFO(p.lstat().st_mode):
                    out.append(p)
    return out


@contextlib.contextmanager
def fifo_watchdog(root: Path, after: float) -> Iterator[list[str]]:
    """If a scan opens a FIFO of the target it blocks forever; after ``after`` seconds open every FIFO
    for writing (and close it) so a blocked reader gets EOF, and record which ones had a reader."""
    opened: list[str] = []
    stop = threading.Event()

    def unblock() -> None:
        if stop.wait(after):
            return
        while not stop.is_set():
            for p in _fifos(root):
                try:
                    fd = os.open(p, os.O_WRONLY | os.O_NONBLOCK)
                except OSError:
                    continue  # ENXIO: no reader, good
                opened.append(str(p.relative_to(root)))
                os.close(fd)
            stop.wait(0.2)

    t = threading.Thread(target=unblock, daemon=True)
    t.start()
    try:
        yield opened
    finally:
        stop.set()
        t.join()


class Hostile:
    """One hostile target (``root``) with its canary folder beside it, outside the target."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.root = base / "target"
        self.root.mkdir()
        self.canary = Canary(base / "canaries")
        self.canary.dir.mkdir()
        self.out = base / "out"
        self.out.mkdir()

    def check_inert(self, before: dict[str, tuple[int, str]]) -> None:
        assert sorted(os.listdir(self.canary.dir)) == [], "a payload ran"
        assert not os.path.exists(CANARY_PATH), "a fixtures payload ran"
        assert tree_state(self.root) == before, "the scan changed the target"

    def scan(self, *args: str, expect: Expect | None = None, outputs: Sequence[str] = ("r.json",),
             target: str | None = None, seconds: float | None = None) -> Run:
        """``auditor scan`` in-process (fast); every run is checked for the guarantees."""
        bound = seconds if seconds is not None else (expect.seconds if expect else 20.0)
        before = tree_state(self.root)
        outs = {name: self.out / name for name in outputs}
        argv = ["scan", target or str(self.root), "--no-cache", "--vuln-db", str(VULNDB), "--jobs", "2"]
        for p in outs.values():
            argv += ["-o", str(p)]
        argv += [*(expect.args if expect else ()), *args]
        out, err = io.StringIO(), io.StringIO()
        t0 = time.monotonic()
        with fifo_watchdog(self.root, bound + FIFO_GRACE) as opened, \
                contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(argv)
        seconds_taken = time.monotonic() - t0
        assert opened == [], f"the scan opened FIFOs: {opened}"
        assert seconds_taken < bound, f"scan took {seconds_taken:.1f}s > {bound}s"
        self.check_inert(before)
        assert "Traceback" not in err.getvalue()
        results = None
        json_out = outs.get("r.json")
        if json_out is not None and json_out.exists():
            results = json.loads(json_out.read_text())
            assert not [a for a in results["analyzers"] if a["status"] == "failed"], results["analyzers"]
        return Run(rc, seconds_taken, out.getvalue(), err.getvalue(), results, outs)

    def check(self, run: Run, expect: Expect) -> None:
        assert run.rc in expect.exit_codes, (run.rc, run.stderr[-2000:], run.results and run.results["gate"])
        if expect.error is not None:
            assert expect.error in run.stderr, run.stderr
            return
        assert run.results is not None
        for path, rules in expect.findings.items():
            got = run.rules_on(path)
            assert got & rules, f"{path!r}: expected one of {sorted(rules)}, got {sorted(got)}"
        skipped = run.skipped()
        for path, reason in expect.skipped.items():
            assert path in skipped, f"{path!r} not listed as skipped: {sorted(skipped)[:20]}"
            assert reason in skipped[path], (path, skipped[path])
        for path in expect.absent:
            assert not run.rules_on(path), (path, run.rules_on(path))
        assert run.rc != 0 or not expect.findings, "a malicious input gave a clean pass"


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[Hostile]:
    h = Hostile(tmp_path)
    yield h
    # chmod 000 folders must be writable again for tmp_path clean-up
    for dirpath, dirnames, _ in os.walk(h.root):
        for d in dirnames:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(dirpath, d), 0o755)


def scan_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


def console_script() -> str:
    return str(Path(sys.executable).parent / "auditor")
