"""`make bench`: time auditor against the standalone tools on one generated repository, in one run.

Prints ratios and writes bench/results.json. Measured: (a) reading every byte once (the floor),
(b) each standalone tool on its part, (c) their sum, (d) `auditor scan` cold, (e) again warm with one
file changed, (f) `auditor scan --pre-commit` on 5 files, (g) peak RSS of each whole process tree
(sampled from /proc every 20 ms). Several runs; min and median are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent
VULNDB = REPO.parent / "shared" / "vulndb" / "pypa-advisory-database"
sys.path.insert(0, str(HERE))

from gen_repo import generate  # noqa: E402


def _tree_rss(root_pid: int) -> int:
    """Sum of VmRSS over a process and all its descendants, in bytes."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return total


def timed(cmd: list[str], cwd: Path | None = None, ok: tuple[int, ...] = (0, 1)) -> tuple[float, int, int]:
    """(seconds, peak tree RSS bytes, exit code)."""
    peak = 0
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            done.wait(0.02)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    _, err = proc.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    t.join()
    if proc.returncode not in ok:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {err.decode()[-800:]}")
    return elapsed, peak, proc.returncode


def measure(name: str, cmd: list[str], runs: int, results: dict, cwd: Path | None = None,
            ok: tuple[int, ...] = (0, 1), before=None) -> None:
    times, peaks = [], []
    for _ in range(runs):
        if before:
            before()
        t, p, _ = timed(cmd, cwd, ok)
        times.append(t)
        peaks.append(p)
    results[name] = {"min_s": round(min(times), 3), "median_s": round(statistics.median(times), 3),
                     "peak_rss_mb": round(max(peaks) / 2**20, 1), "runs": runs, "cmd": " ".join(cmd)}
    print(f"  {name:34} min {min(times):8.2f} s  median {statistics.median(times):8.2f} s  "
          f"peak {max(peaks) / 2**20:8.1f} MB", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=float, default=1.0, help="data and model size factor (1.0 = 2 GB models)")
    ap.add_argument("--py-files", type=int, default=3000)
    ap.add_argument("--notebooks", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", type=Path, default=HERE / "work")
    ns = ap.parse_args()
    target = ns.work / "repo"
    marker = ns.work / f"generated-{ns.scale}-{ns.py_files}-{ns.notebooks}"
    if not marker.exists():
        shutil.rmtree(ns.work, ignore_errors=True)
        print(f"generating the benchmark repository in {target} ...", flush=True)
        generate(target, ns.scale, ns.py_files, ns.notebooks)
        marker.touch()
    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    print(f"benchmark repository: {size / 1e9:.2f} GB, {ns.py_files} Python files, {ns.notebooks} notebooks; "
          f"{os.cpu_count()} cores; {ns.runs} runs each")
    results: dict = {}
    out = Path(tempfile.mkdtemp(prefix="auditor-bench-"))
    cache = out / "cache"
    vuln = ["--vuln-db", str(VULNDB)] if VULNDB.exists() else []
    auditor = [str(BIN / "auditor")]

    measure("floor_read_all_bytes", ["sh", "-c", f"find '{target}' -type f -exec cat {{}} + > /dev/null"],
            ns.runs, results)
    measure("bandit_r", [str(BIN / "bandit"), "-r", str(target), "-q", "-f", "json", "-o", str(out / "b.json")],
            ns.runs, results)
    measure("modelscan_p", [str(BIN / "modelscan"), "-p", str(target / "models"), "-r", "json", "-o",
                            str(out / "m.json")], ns.runs, results, ok=(0, 1, 2, 3, 4))
    measure("cyclonedx_py_requirements", [str(BIN / "cyclonedx-py"), "requirements",
                                          str(target / "requirements.txt"), "-o", str(out / "bom.json")],
            ns.runs, results)
    results["pip_audit"] = {"skipped": "pip-audit has no local-database mode and its services (PyPI, OSV) are "
                                       "not reachable here; auditor's offline OSV matcher is part of (d)"}
    tool_sum = sum(results[k]["median_s"] for k in ("bandit_r", "modelscan_p", "cyclonedx_py_requirements"))
    results["standalone_sum"] = {"median_s": round(tool_sum, 3)}

    def clear_cache() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    scan = [*auditor, "scan", str(target), *vuln, "--cache-dir", str(cache), "-q", "-o", str(out / "r.json")]
    measure("auditor_scan_cold", scan, ns.runs, results, before=clear_cache)
    probe = target / "src" / "pkg0" / "module_0.py"
    original = probe.read_text()
    counter = {"n": 0}

    def touch_one() -> None:
        counter["n"] += 1
        probe.write_text(original + f"\n# edit {counter['n']}\n")

    timed(scan)  # make sure the cache is warm
    measure("auditor_scan_warm_one_changed", scan, ns.runs, results, before=touch_one)
    probe.write_text(original)
    staged = [str(p.relative_to(target)) for p in sorted((target / "src" / "pkg1").glob("*.py"))[:4]]
    staged.append("requirements.txt")
    measure("auditor_pre_commit_5_files", [*auditor, "scan", "--pre-commit", "--no-cache", *vuln, *staged],
            ns.runs, results, cwd=target)

    cold = results["auditor_scan_cold"]["median_s"]
    ratios = {
        "cold_vs_bandit_r": round(cold / results["bandit_r"]["median_s"], 3),
        "cold_vs_standalone_sum": round(cold / tool_sum, 3),
        "cold_vs_floor": round(cold / results["floor_read_all_bytes"]["median_s"], 3),
        "warm_vs_cold": round(results["auditor_scan_warm_one_changed"]["median_s"] / cold, 3),
        "pre_commit_wall_s": results["auditor_pre_commit_5_files"]["median_s"],
    }
    doc = {"repository": {"bytes": size, "python_files": ns.py_files, "notebooks": ns.notebooks,
                          "scale": ns.scale}, "cores": os.cpu_count(), "results": results, "ratios": ratios}
    (HERE / "results.json").write_text(json.dumps(doc, indent=2) + "\n")
    print("ratios:")
    for k, v in ratios.items():
        print(f"  {k:34} {v}")
    print(f"wrote {HERE / 'results.json'}")
    shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
