"""analyze: run every analyzer that has enabled rules and assets, concurrently, and collect raw
findings. An analyzer that raises or times out is recorded as failed (the gate becomes incomplete);
one whose optional dependency is missing is recorded as skipped with the reason."""

from __future__ import annotations

import concurrent.futures as cf
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
from auditor.discover import Inventory
from auditor.model import RawFinding, Rule

ProgressFn = Callable[[str, int, int], None]


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

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "version": self.version, "status": self.status,
                               "reason": self.reason, "files": self.files, "duration_s": round(self.duration_s, 3)}
        if self.notes:
            out["notes"] = list(self.notes)
        out["rules"] = len(self.rules)
        return out


def plan(inventory: Inventory, rules: Sequence[Rule], pre_commit: bool) -> dict[str, list[Rule]]:
    """Analyzer name -> its enabled rules, for analyzers that have something to look at."""
    by_source: dict[str, list[Rule]] = {}
    kinds = {a.kind for a in inventory.assets}
    for rule in rules:
        if not rule.enabled or rule.source == registry.JUDGE_SOURCE:
            continue
        if pre_commit and rule.scope == "repo":
            # repository-level rules run only when a file of a kind they read is staged
            if not kinds.intersection(k for k in rule.applies_to if k != "repo"):
                continue
        by_source.setdefault(rule.source, []).append(rule)
    return dict(sorted(by_source.items()))


def _run_one(name: str, rules: Sequence[Rule], inventory: Inventory, ctx: AnalysisContext) -> AnalyzerRun:
    start = time.perf_counter()
    rule_ids = tuple(r.id for r in rules)
    try:
        analyzer = registry.load(name)
    except Exception as exc:  # noqa: BLE001 - a broken analyzer must not take the scan down
        return AnalyzerRun(name=name, status="failed", reason=f"cannot load analyzer: {exc}", rules=rule_ids)
    version = None
    try:
        version = analyzer.version()
        analyzer.check_available(ctx.options)
    except AnalyzerUnavailable as exc:
        return AnalyzerRun(name=name, status="skipped", version=version, reason=str(exc), rules=rule_ids)
    except Exception as exc:  # noqa: BLE001
        return AnalyzerRun(name=name, status="failed", version=version, reason=f"{type(exc).__name__}: {exc}",
                           rules=rule_ids)
    kinds = analyzer.kinds
    assets = [a for a in inventory.assets if "repo" in kinds or a.kind in kinds]
    try:
        result = analyzer.analyze(ctx, assets, rules)
        output = result if isinstance(result, AnalyzerOutput) else AnalyzerOutput(findings=tuple(result))
    except AnalyzerUnavailable as exc:
        return AnalyzerRun(name=name, status="skipped", version=version, reason=str(exc), rules=rule_ids)
    except Exception as exc:  # noqa: BLE001
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
        return AnalyzerRun(name=name, status="failed", version=version,
                           reason=f"{type(exc).__name__}: {exc}{where}", rules=rule_ids,
                           duration_s=time.perf_counter() - start)
    known = set(rule_ids)
    stray = sorted({f.rule_id for f in output.findings} - known)
    if stray:
        return AnalyzerRun(name=name, status="failed", version=version, rules=rule_ids,
                           reason=f"reported findings for rules it was not given: {', '.join(stray[:5])}")
    return AnalyzerRun(
        name=name, status="ok", version=version,
        files=output.files if output.files is not None else len(assets),
        duration_s=time.perf_counter() - start, findings=tuple(output.findings), sections=dict(output.sections),
        notes=tuple(output.notes), rules=rule_ids,
    )


def run(
    inventory: Inventory,
    rules: Sequence[Rule],
    options: ScanOptions,
    config: Mapping[str, Any],
    outputs: Mapping[str, Path],
    *,
    timeout: float,
    progress: ProgressFn | None = None,
) -> list[AnalyzerRun]:
    work = plan(inventory, rules, options.pre_commit)
    ctx = AnalysisContext(root=inventory.root, inventory=inventory.assets, options=options, config=config,
                          all_paths=inventory.all_paths, outputs=outputs)
    runs: dict[str, AnalyzerRun] = {}
    total = len(work)
    workers = max(1, min(options.jobs, total or 1))
    pool = cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="analyzer")
    try:
        futures = {pool.submit(_run_one, name, rs, inventory, ctx): name for name, rs in work.items()}
        deadline = time.monotonic() + timeout
        pending = set(futures)
        while pending:
            left = deadline - time.monotonic()
            done, pending = cf.wait(pending, timeout=max(left, 0), return_when=cf.FIRST_COMPLETED)
            for fut in done:
                name = futures[fut]
                runs[name] = fut.result()
                if progress:
                    progress(name, len(runs), total)
            if left <= 0 and pending:
                for fut in pending:
                    name = futures[fut]
                    fut.cancel()
                    runs[name] = AnalyzerRun(name=name, status="failed", rules=tuple(r.id for r in work[name]),
                                             reason=f"timed out after {timeout:.0f} s (limits.analyzer_timeout)")
                break
    finally:
        # never wait for a timed-out analyzer here; it is reported as failed
        pool.shutdown(wait=False, cancel_futures=True)
    return [runs[n] for n in sorted(runs)]
