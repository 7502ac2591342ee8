"""`auditor scan`: discover, analyze, judge, write the reports, exit with the gate's code."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from auditor import config as config_mod
from auditor import fsio
from auditor.analyzers.interface import ScanOptions
from auditor.cli.common import SEVERITY_CHOICE, STAGE_CHOICE, catalog_for, write_reports
from auditor.errors import UsageError
from auditor.judge import policy as policy_mod
from auditor.pipeline import ScanRequest
from auditor.pipeline import scan as run_scan
from auditor.reports import interface as reports
from auditor.reports.text import render_console


def _target(paths: tuple[str, ...], root_opt: str | None) -> tuple[Path, str, list[str] | None, str]:
    if not paths:
        paths = (".",)
    if len(paths) == 1 and Path(paths[0]).is_dir() and root_opt is None:
        return Path(paths[0]), paths[0], None, "full"
    root = Path(root_opt or ".")
    for p in paths:
        if not Path(p).exists() and not Path(p).is_symlink():
            if len(paths) == 1:
                raise UsageError(f"{p}: path does not exist")
    dirs = [p for p in paths if Path(p).is_dir()]
    if dirs:
        raise UsageError(f"{dirs[0]}: give one directory to scan, or a list of files (not both)")
    return root, root_opt or ".", list(paths), "files"


def _cache_dir(root: Path, disabled: bool, chosen: str | None) -> Path | None:
    """The cache folder: never inside the scanned tree (a scan writes nothing there)."""
    if disabled:
        return None
    from auditor.cache import default_dir

    path = Path(chosen).expanduser() if chosen else default_dir()
    try:
        path.absolute().resolve().relative_to(root.resolve())
    except ValueError:
        return path
    raise UsageError(f"{path}: the cache folder is inside the scanned tree; choose another --cache-dir "
                     f"(or --no-cache)")


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-o", "--output", "outputs", multiple=True, type=click.Path(dir_okay=False),
              help="Write a report; the format comes from the extension (.json .sarif .xml .md .html .pdf "
                   ".cdx.json). Repeatable.")
@click.option("--format", "fmt", type=click.Choice([f.value for f in reports.Format if f is not reports.Format.PDF]),
              default="text", show_default=True, help="Format printed on standard output.")
@click.option("--fail-on", type=SEVERITY_CHOICE, help="Lowest severity that fails the gate (default: config, else high).")
@click.option("--stage", "stages", multiple=True, type=STAGE_CHOICE, help="Gate only these stages. Repeatable.")
@click.option("--until", type=STAGE_CHOICE, help="Gate only the stages up to and including this one.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Configuration file.")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False), help="Extra rule pack folder.")
@click.option("--baseline", type=click.Path(dir_okay=False), help="Baseline file: known findings do not fail the gate.")
@click.option("--diff-base", "diff_base", metavar="REF",
              help="Gate only findings new since this git ref (pull requests): the tree at REF is scanned "
                   "with the same config and its findings count as baselined.")
@click.option("--vuln-db", type=click.Path(), help="Local OSV database (folder or zip): implies offline lookups.")
@click.option("--offline", is_flag=True, help="Never use the network (needs --vuln-db or a cached database).")
@click.option("--resolve-deps", is_flag=True, help="Resolve unpinned dependencies with pip's resolver to audit them (runs pip: no installs, wheels only).")
@click.option("--jobs", type=click.IntRange(1, 256), help="Parallel analyzers (default: all cores).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Cache folder (default: user cache dir).")
@click.option("--pre-commit", "pre_commit", is_flag=True, help="Fast path for the staged files given.")
@click.option("--root", "root_opt", type=click.Path(file_okay=False), help="Repository root when files are given.")
@click.option("--allow-incomplete", is_flag=True, help="Judge even when an analyzer failed (recorded).")
@click.option("--output-in-target", is_flag=True, help="Allow -o paths inside the scanned tree.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the gate line.")
def scan(paths: tuple[str, ...], outputs: tuple[str, ...], fmt: str, fail_on: str | None, stages: tuple[str, ...],
         until: str | None, config_path: str | None, rule_dirs: tuple[str, ...], baseline: str | None,
         diff_base: str | None, vuln_db: str | None, offline: bool, resolve_deps: bool, jobs: int | None, no_cache: bool,
         cache_dir: str | None, pre_commit: bool, root_opt: str | None, allow_incomplete: bool,
         output_in_target: bool, quiet: bool) -> int:
    """Scan a repository (or the given files) and gate on the result."""
    root, label, files, mode = _target(paths, root_opt)
    if pre_commit:
        mode = "pre-commit"
        files = files if files is not None else []
    cfg = config_mod.load(root, Path(config_path) if config_path else None)
    catalog = catalog_for(cfg, rule_dirs, root)
    pol = policy_mod.from_config(cfg, fail_on=fail_on, stages=stages, until=until, allow_incomplete=allow_incomplete)
    out_paths = [Path(o) for o in outputs]
    for p in out_paths:
        reports.format_for_path(p)
        fsio.check_destination(p, root, allow_inside=output_in_target)
    db = vuln_db or cfg.get("vuln_db")
    options = ScanOptions(
        offline=offline or bool(cfg.get("offline")) or db is not None, vuln_db=Path(db) if db else None,
        resolve_deps=resolve_deps or bool(cfg.get("resolve_deps")), pre_commit=pre_commit,
        jobs=jobs or cfg.get("jobs") or os.cpu_count() or 1, settings=cfg.get("analyzers") or {},
    )
    out_map = {reports.format_for_path(p).value: p for p in out_paths}
    req = ScanRequest(root=root, root_label=label, config=cfg, catalog=catalog, policy=pol, options=options,
                      files=files, mode=mode, baseline=Path(baseline) if baseline else
                      (Path(cfg.get("baseline")) if cfg.get("baseline") else None), outputs=out_map,
                      cache_dir=_cache_dir(root, no_cache, cache_dir or cfg.get("cache_dir")))
    err = Console(file=sys.stderr, markup=False, highlight=False, emoji=False)
    if diff_base:
        from dataclasses import replace

        from auditor import diffbase

        req = replace(req, diff_base=diffbase.build(req, diff_base))
    show_progress = sys.stderr.isatty() and not pre_commit and not quiet
    if show_progress:
        with Progress(TextColumn("analyzing"), BarColumn(), TextColumn("{task.completed}/{task.total} {task.description}"),
                      console=err, transient=True) as prog:
            task = prog.add_task("", total=None)

            def tick(name: str, done: int, total: int) -> None:
                prog.update(task, completed=done, total=total, description=name)

            results = run_scan(req, progress=tick)
    else:
        results = run_scan(req)
    written = write_reports(results, out_paths, catalog)
    out = Console(file=sys.stdout, markup=False, highlight=False, emoji=False, soft_wrap=pre_commit,
                  width=None if sys.stdout.isatty() else 120)
    if quiet:
        g = results["gate"]
        out.print(f"gate: {g['decision']} (exit {g['exit_code']})")
    elif fmt == "text":
        render_console(out, results, compact=pre_commit)
    else:
        data = reports.load(reports.Format(fmt)).render(results, reports.RenderContext(catalog=catalog))
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    for p, f in written:
        err.print(f"wrote {f.value}: {p}")
    code: int = results["gate"]["exit_code"]
    return code
