"""analyze: run every analyzer that has enabled rules and assets, in parallel, with the cache.

Work is split into units: one per repository-level analyzer, and shards of files for per-file
analyzers (their findings for a file depend on that file alone, so the file list can be split over
the cores and cached per file). Units run in a process pool when there is enough work to pay for
it (the GIL binds these CPU-bound analyzers), in-process otherwise (pre-commit). Output order is
deterministic whatever the scheduling. An analyzer that raises or times out is recorded as failed
(the gate becomes incomplete); one whose optional dependency is missing is skipped with the reason.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import gc
import multiprocessing
import os
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.analyzers import registry
from auditor.analyzers.interface import (
    AnalysisContext,
    AnalyzerOutput,
    AnalyzerUnavailable,
    ScanOptions,
)
from auditor.cache import ResultCache, finding_from, group_by_path, stable_digest
from auditor.discover import Inventory
from auditor.model import Asset, RawFinding, Rule

ProgressFn = Callable[[str, int, int], None]

# below this much work a process pool costs more than it saves
POOL_MIN_FILES = 200
POOL_MIN_BYTES = 64 * 1024 * 1024
SHARD_MIN_FILES = 100


@dataclass(frozen=True)
class AnalyzerRun:
    name: str
    status: str  # ok | skipped | failed
    version: str | None = None
    reason: str | None = None
    files: int = 0
    duration_s: float = 0.0
    findings: tuple[RawFinding, ...] = ()
    sections: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    cached: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "version": self.version, "status": self.status,
                               "reason": self.reason, "files": self.files, "duration_s": round(self.duration_s, 3)}
        if self.notes:
            out["notes"] = list(self.notes)
        out["rules"] = len(self.rules)
        out["cached_files"] = self.cached
        return out


def runs_in_pre_commit(rule: Rule, inventory: Inventory) -> bool:
    """In pre-commit mode only the staged files are in the inventory. A rule runs when a staged file
    has a kind it reads: file-scoped rules then look at those files; repository-level rules run only
    when the files they depend on changed (a requirements file staged -> dependency checks). Rules
    about the repository as a whole (``applies_to: [repo]`` only) never run there; their controls
    are reported as not applicable rather than passed."""
    wanted = {k for k in rule.applies_to if k != "repo"}
    return any(a.kind in wanted for a in inventory.assets)


# wrapped tools left out of the pre-commit path by default (config `pre_commit.skip_analyzers`):
# bandit's plugin machinery alone costs ~0.4 s, pip-audit queries the network, modelscan and the SBOM
# belong to CI; our own analyzers (python-call, pickle, model-format, dependencies) still run there
PRE_COMMIT_SKIP = ("bandit", "pip-audit", "modelscan", "cyclonedx")


def pre_commit_skip(config: Mapping[str, Any]) -> frozenset[str]:
    section = config.get("pre_commit") or {}
    return frozenset(section.get("skip_analyzers", PRE_COMMIT_SKIP))


def plan(inventory: Inventory, rules: Sequence[Rule], pre_commit: bool,
         skip: frozenset[str] = frozenset()) -> dict[str, list[Rule]]:
    """Analyzer name -> its enabled rules, for analyzers that have something to look at."""
    by_source: dict[str, list[Rule]] = {}
    for rule in rules:
        if not rule.enabled or rule.source == registry.JUDGE_SOURCE:
            continue
        if pre_commit and (rule.source in skip or not runs_in_pre_commit(rule, inventory)):
            continue
        by_source.setdefault(rule.source, []).append(rule)
    return dict(sorted(by_source.items()))


@dataclass(frozen=True)
class Unit:
    """One piece of work: an analyzer over some assets (all of its assets, or a shard)."""

    name: str
    rules: tuple[Rule, ...]
    assets: tuple[Asset, ...]
    shard: int = 0


@dataclass(frozen=True)
class UnitResult:
    name: str
    status: str
    version: str | None = None
    reason: str | None = None
    output: AnalyzerOutput | None = None
    duration_s: float = 0.0


def _where(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    return f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""


def _worker_init() -> None:
    """Pool workers allocate many short-lived AST nodes: collecting less often saves ~20% of the AST
    analyzers' time without letting memory grow (reference counting frees them; cycles are rare)."""
    gc.set_threshold(50_000, 20, 20)


def run_unit(unit: Unit, ctx: AnalysisContext) -> UnitResult:
    """Run one unit (in this process or a worker). Never raises."""
    start = time.perf_counter()
    try:
        analyzer = registry.load(unit.name)
    except Exception as exc:  # noqa: BLE001 - a broken analyzer must not take the scan down
        return UnitResult(unit.name, "failed", reason=f"cannot load analyzer: {type(exc).__name__}: {exc}")
    version = None
    try:
        version = analyzer.version()
        analyzer.check_available(ctx.options)
        result = analyzer.analyze(ctx, list(unit.assets), list(unit.rules))
        output = result if isinstance(result, AnalyzerOutput) else AnalyzerOutput(findings=tuple(result))
        output = AnalyzerOutput(findings=tuple(output.findings), sections=dict(output.sections), files=output.files,
                                notes=tuple(output.notes))
    except AnalyzerUnavailable as exc:
        return UnitResult(unit.name, "skipped", version, str(exc))
    except Exception as exc:  # noqa: BLE001
        return UnitResult(unit.name, "failed", version, f"{type(exc).__name__}: {exc}{_where(exc)}",
                          duration_s=time.perf_counter() - start)
    stray = sorted({f.rule_id for f in output.findings} - {r.id for r in unit.rules})
    if stray:
        return UnitResult(unit.name, "failed", version, f"reported findings for rules it was not given: "
                                                       f"{', '.join(stray[:5])}")
    return UnitResult(unit.name, "ok", version, None, output, time.perf_counter() - start)


def _assets_for(name: str, inventory: Inventory) -> list[Asset]:
    try:
        kinds = registry.kinds(name)
    except Exception:  # noqa: BLE001 - reported when the unit runs
        return list(inventory.assets)
    return [a for a in inventory.assets if "repo" in kinds or a.kind in kinds]


def _shards(assets: Sequence[Asset], jobs: int) -> list[list[Asset]]:
    """Split by size so each shard carries a similar load; big files go first."""
    n = max(1, min(jobs, len(assets) // SHARD_MIN_FILES or 1))
    if n == 1:
        return [list(assets)]
    shards: list[list[Asset]] = [[] for _ in range(n)]
    loads = [0] * n
    for a in sorted(assets, key=lambda a: (-a.size, a.path)):
        i = loads.index(min(loads))
        shards[i].append(a)
        loads[i] += a.size + 4096
    return [s for s in shards if s]


class _Keys:
    """Cache keys: per file for per-file analyzers, over all inputs for the others."""

    def __init__(self, cache: ResultCache, ctx: AnalysisContext, today: str) -> None:
        self.cache = cache
        self.base = stable_digest({"config": ctx.config, "offline": ctx.options.offline,
                                   "vuln_db": str(ctx.options.vuln_db), "resolve": ctx.options.resolve_deps,
                                   "settings": ctx.options.settings})
        self.today = today

    def rules_digest(self, name: str, rules: Sequence[Rule]) -> str:
        return stable_digest([name, registry.version_of(name),
                              [(r.id, r.severity, dict(r.match), r.applies_to, r.stage.default) for r in rules]])

    def file_key(self, rules_digest: str, asset: Asset) -> str:
        return stable_digest([self.base, rules_digest, asset.path, asset.kind, asset.format,
                              self.cache.file_digest(asset)])

    def repo_key(self, rules_digest: str, assets: Sequence[Asset], ctx: AnalysisContext) -> str:
        stamps = []
        for a in assets:
            try:
                st = a.abspath.stat()
                stamps.append((a.path, a.kind, st.st_size, st.st_mtime_ns))
            except OSError:
                stamps.append((a.path, a.kind, -1, -1))
        return stable_digest([self.base, rules_digest, self.today, stamps, sorted(ctx.all_paths),
                              sorted(ctx.outputs)])


def run(
    inventory: Inventory,
    rules: Sequence[Rule],
    options: ScanOptions,
    config: Mapping[str, Any],
    outputs: Mapping[str, Path],
    *,
    timeout: float,
    progress: ProgressFn | None = None,
    cache: ResultCache | None = None,
    catalog: Any = None,
) -> list[AnalyzerRun]:
    skip = pre_commit_skip(config) if options.pre_commit else frozenset()
    work = plan(inventory, rules, options.pre_commit, skip)
    ctx = AnalysisContext(root=inventory.root, inventory=inventory.assets, options=options, config=config,
                          all_paths=inventory.all_paths, outputs=outputs, catalog=catalog)
    keys = _Keys(cache, ctx, dt.date.today().isoformat()) if cache is not None else None
    units: list[Unit] = []
    cached: dict[str, list[RawFinding]] = {}
    cached_count: dict[str, int] = {}
    cached_whole: dict[str, dict[str, Any]] = {}
    file_keys: dict[str, dict[str, str]] = {}
    repo_keys: dict[str, str] = {}
    for name, rs in work.items():
        assets = _assets_for(name, inventory)
        per_file = name in registry.PER_FILE
        if keys is not None and cache is not None and name not in registry.UNCACHED:
            rdig = keys.rules_digest(name, rs)
            if per_file:
                misses = []
                fk: dict[str, str] = {}
                for a in assets:
                    k = keys.file_key(rdig, a)
                    hit = cache.get_findings(name, k)
                    if hit is None:
                        misses.append(a)
                        fk[a.path] = k
                    else:
                        cached.setdefault(name, []).extend(hit)
                        cached_count[name] = cached_count.get(name, 0) + 1
                file_keys[name] = fk
                assets = misses
            else:
                rk = keys.repo_key(rdig, assets, ctx)
                doc = cache.get(name, rk)
                if doc is not None and doc.get("status") == "ok":
                    cached_whole[name] = doc
                    continue
                repo_keys[name] = rk
        if per_file:
            if not assets and name in cached:
                continue
            for i, shard in enumerate(_shards(assets, options.jobs)):
                units.append(Unit(name, tuple(rs), tuple(shard), i))
        else:
            units.append(Unit(name, tuple(rs), tuple(assets)))
    results = _execute(units, ctx, options.jobs, timeout, progress)

    runs: list[AnalyzerRun] = []
    for name, rs in work.items():
        rule_ids = tuple(r.id for r in rs)
        if name in cached_whole:
            doc = cached_whole[name]
            runs.append(AnalyzerRun(name=name, status="ok", version=doc.get("version"), files=doc.get("files", 0),
                                    findings=tuple(finding_from(d) for d in doc.get("findings", [])),
                                    sections=doc.get("sections", {}), notes=tuple(doc.get("notes", [])),
                                    rules=rule_ids, cached=doc.get("files", 0)))
            continue
        parts = [r for r in results if r.name == name]
        runs.append(_merge(name, rule_ids, parts, cached.get(name, []), cached_count.get(name, 0)))
        if cache is not None and parts and all(p.status == "ok" for p in parts):
            if name in registry.PER_FILE:
                fresh = group_by_path(f for p in parts if p.output for f in p.output.findings)
                for path, key in file_keys.get(name, {}).items():
                    cache.put(name, key, fresh.get(path, []))
            elif name in repo_keys:
                run_ = runs[-1]
                cache.put(name, repo_keys[name], run_.findings,
                          {"status": "ok", "version": run_.version, "files": run_.files,
                           "sections": dict(run_.sections), "notes": list(run_.notes)})
    return sorted(runs, key=lambda r: r.name)


def _merge(name: str, rule_ids: tuple[str, ...], parts: Sequence[UnitResult], cached: Sequence[RawFinding],
           cached_count: int) -> AnalyzerRun:
    failed = [p for p in parts if p.status == "failed"]
    skipped = [p for p in parts if p.status == "skipped"]
    version = next((p.version for p in parts if p.version), None)
    if failed:
        return AnalyzerRun(name=name, status="failed", version=version, reason=failed[0].reason, rules=rule_ids,
                           duration_s=max((p.duration_s for p in parts), default=0.0))
    if skipped:
        return AnalyzerRun(name=name, status="skipped", version=version, reason=skipped[0].reason, rules=rule_ids)
    findings: list[RawFinding] = list(cached)
    sections: dict[str, Any] = {}
    notes: list[str] = []
    files = cached_count
    for p in parts:
        if p.output is None:
            continue
        findings.extend(p.output.findings)
        for k, v in p.output.sections.items():
            sections.setdefault(k, v)
        notes.extend(n for n in p.output.notes if n not in notes)
        files += p.output.files if p.output.files is not None else 0
    if version is None:
        version = registry.version_of(name)
    return AnalyzerRun(name=name, status="ok", version=version, files=files,
                       duration_s=sum(p.duration_s for p in parts), findings=tuple(findings), sections=sections,
                       notes=tuple(notes), rules=rule_ids, cached=cached_count)


def _no_cwd_on_child_path() -> None:
    """The forkserver and the resource tracker are new interpreters started with ``python -c`` in our
    current directory, which is often the scanned repository: ``-c`` puts that directory first on
    sys.path, so a hostile multiprocessing.py there would run in them. PYTHONSAFEPATH (3.11+) stops
    that for every child interpreter; on 3.10 the forkserver is started from a neutral directory."""
    os.environ["PYTHONSAFEPATH"] = "1"
    if sys.version_info < (3, 11):  # pragma: no cover - the flag does not exist before 3.11
        from multiprocessing import forkserver, resource_tracker

        here = os.getcwd()
        os.chdir(os.path.dirname(os.__file__))  # the stdlib folder: '' then finds the real modules
        try:
            resource_tracker.ensure_running()
            forkserver.ensure_running()
        finally:
            os.chdir(here)


def _pool_worthwhile(units: Sequence[Unit], jobs: int) -> bool:
    if jobs < 2 or len(units) < 2:
        return False
    files = sum(len(u.assets) for u in units)
    size = sum(a.size for u in units for a in u.assets)
    return files >= POOL_MIN_FILES or size >= POOL_MIN_BYTES


def _execute(units: Sequence[Unit], ctx: AnalysisContext, jobs: int, timeout: float,
             progress: ProgressFn | None) -> list[UnitResult]:
    total = len(units)
    if not units:
        return []
    # biggest units first so that the long ones do not start last
    order = sorted(range(total), key=lambda i: -sum(a.size + 4096 for a in units[i].assets))
    results: dict[int, UnitResult] = {}
    pool: cf.Executor
    if _pool_worthwhile(units, jobs):
        _no_cwd_on_child_path()
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        pool = cf.ProcessPoolExecutor(max_workers=min(jobs, total), mp_context=multiprocessing.get_context(method),
                                      initializer=_worker_init)
    else:
        pool = cf.ThreadPoolExecutor(max_workers=1 if total == 1 else min(jobs, total),
                                     thread_name_prefix="analyzer")
    try:
        futures = {pool.submit(run_unit, units[i], ctx): i for i in order}
        deadline = time.monotonic() + timeout
        pending = set(futures)
        while pending:
            left = deadline - time.monotonic()
            done, pending = cf.wait(pending, timeout=max(left, 0), return_when=cf.FIRST_COMPLETED)
            for fut in done:
                i = futures[fut]
                try:
                    results[i] = fut.result()
                except Exception as exc:  # noqa: BLE001 - a worker died (e.g. killed for memory)
                    hint = (" (a worker process ended abruptly: killed for memory, or, when auditor is called from a "
                            "script, the script lacks an `if __name__ == '__main__':` guard)"
                            if type(exc).__name__ == "BrokenProcessPool" else "")
                    results[i] = UnitResult(units[i].name, "failed",
                                            reason=f"worker died: {type(exc).__name__}: {exc}{hint}")
                if progress:
                    progress(units[i].name, len(results), total)
            if left <= 0 and pending:
                for fut in pending:
                    i = futures[fut]
                    fut.cancel()
                    results[i] = UnitResult(units[i].name, "failed",
                                            reason=f"timed out after {timeout:.0f} s (limits.analyzer_timeout)")
                _kill(pool)
                break
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return [results[i] for i in range(total)]


def _kill(pool: cf.Executor) -> None:
    """Stop the workers of a timed-out process pool (threads cannot be stopped; they are left)."""
    procs = getattr(pool, "_processes", None) or {}
    for proc in list(procs.values()):
        try:
            proc.kill()
        except Exception:  # noqa: BLE001,S110
            pass
