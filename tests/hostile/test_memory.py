"""A 1 GiB model (slow): the scan streams it. Peak RSS of the whole process tree (the CLI, the
forkserver and its workers) is sampled from /proc and must stay far below the file size; the payload
placed AFTER the gigabyte is still found. Files are sparse, so the test costs no disk."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest
from helpers import VULNDB

from fixtures.generators import P
from hostile.conftest import Hostile, scan_env
from hostile.corpus import PICKLE_RULES

GIB = 1 << 30
RSS_BOUND = 600 * 1024 * 1024  # measured: 158 MB peak for these two files (a small repository: ~120 MB)


def tree_rss(root_pid: int) -> int:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    children.setdefault(int(fh.read().rsplit(")", 1)[1].split()[1]), []).append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/status") as fh:
                total += next((int(line.split()[1]) * 1024 for line in fh if line.startswith("VmRSS:")), 0)
        except OSError:
            continue
    return total


def big_pickle(path: Path, payload: bytes) -> None:
    """PROTO 4, BINBYTES8 of 1 GiB (sparse zeros), then GLOBAL os.system + REDUCE + STOP."""
    with open(path, "wb") as fh:
        fh.write(P.proto(4) + b"\x8e" + struct.pack("<Q", GIB))
        fh.seek(GIB, os.SEEK_CUR)
        fh.write(payload)


def big_torch_zip(path: Path, data_pkl: bytes) -> None:
    """A stored 1 GiB tensor member (sparse) before archive/data.pkl, as torch.save lays out big models."""
    crc = 0
    block = bytes(1 << 24)
    for _ in range(GIB // len(block)):
        crc = zlib.crc32(block, crc)
    members = [("archive/data/0", GIB, crc, None), ("archive/data.pkl", len(data_pkl), zlib.crc32(data_pkl), data_pkl)]
    central = b""
    with open(path, "wb") as fh:
        for name, size, c, data in members:
            off = fh.tell()
            raw = name.encode()
            fh.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 33, c, size, size, len(raw), 0) + raw)
            if data is None:
                fh.seek(size, os.SEEK_CUR)
            else:
                fh.write(data)
            central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 0, 0, 33, c, size, size,
                                   len(raw), 0, 0, 0, 0, 0, off) + raw
        cd = fh.tell()
        fh.write(central + struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 2, 2, len(central), cd, 0))


@pytest.mark.slow
def test_one_gib_models_are_streamed_within_a_memory_bound(hostile: Hostile) -> None:
    payload = (P.global_("os", "system") + P.MARK + P.unicode(hostile.canary.shell("big")) + P.TUPLE + P.REDUCE
               + P.STOP)
    big_pickle(hostile.root / "big.pkl", payload)
    big_torch_zip(hostile.root / "big.pt", P.proto(2) + payload)
    out = hostile.out / "r.json"
    proc = subprocess.Popen([sys.executable, "-m", "auditor", "scan", str(hostile.root), "--no-cache",
                             "--vuln-db", str(VULNDB), "-o", str(out)], cwd=hostile.base, env=scan_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(proc.pid))
            done.wait(0.05)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    t0 = time.monotonic()
    _, err = proc.communicate(timeout=600)
    took = time.monotonic() - t0
    done.set()
    t.join()
    print(f"1 GiB pickle + 1 GiB torch zip: {took:.1f}s, peak tree RSS {peak / 2**20:.0f} MB")
    assert proc.returncode == 1, err.decode()[-2000:]
    assert os.listdir(hostile.canary.dir) == []
    results = json.loads(out.read_text())
    assert not [a for a in results["analyzers"] if a["status"] == "failed"], results["analyzers"]
    rules = {(f["location"]["path"], f["rule_id"]) for f in results["findings"]}
    assert {r for p, r in rules if p == "big.pkl"} & PICKLE_RULES
    assert {r for p, r in rules if p == "big.pt"} & PICKLE_RULES
    assert peak < RSS_BOUND, f"peak tree RSS {peak / 2**20:.0f} MB"
