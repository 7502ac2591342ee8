"""`auditor ratp init|check`: draft the Risk Analysis and Treatment Plan, and check it for gaps.

``ratp check`` exits 0 when the plan has no gap, 1 when it lists gaps (applicable risks without a
treatment, missing or TODO owners, incomplete approvals, acceptances above the threshold, past due
dates, expired acceptances, a stale review, controls that are not known rules) and 2 when the plan
is missing or invalid (the message names the file and the field).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from auditor import config as config_mod
from auditor import fsio
from auditor.cli.common import catalog_for
from auditor.discover import discover
from auditor.errors import InputError, UsageError
from auditor.model import Asset
from auditor.ratp import draft as draft_mod
from auditor.ratp import gaps as gaps_mod
from auditor.ratp import plan as plan_mod
from auditor.rules import Catalog

_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")


def _clean(text: str) -> str:
    """Plan text printed to a terminal never carries escape sequences."""
    return _CTRL.sub("?", text)


def _root(path: str) -> Path:
    root = Path(path)
    if not root.is_dir():
        raise UsageError(f"{path}: not a directory; give the repository folder")
    return root


def _inventory(root: Path, config_path: str | None, rule_dirs: Sequence[str],
               cfg: config_mod.Config | None = None) -> tuple[config_mod.Config, Catalog, list[Asset]]:
    if cfg is None:
        cfg = config_mod.load(root, Path(config_path) if config_path else None)
    catalog = catalog_for(cfg, rule_dirs, root)
    inv = discover(root, cfg)
    return cfg, catalog, list(inv.assets)


def write_draft(root: Path, output: Path, force: bool, catalog: Catalog, assets: Sequence[Asset],
                name: str | None) -> str:
    text = draft_mod.draft(catalog, assets, dt.date.today(), name or root.resolve().name or "system")
    if str(output) != "-":
        if (output.exists() or output.is_symlink()) and not force:
            raise UsageError(f"{output}: already exists; pass --force to overwrite it")
        fsio.write_atomic(output, text.encode("utf-8"))
    return text


@click.group()
def ratp() -> None:
    """The Risk Analysis and Treatment Plan (ratp.yaml): draft it, check it."""


@ratp.command("init")
@click.argument("path", default=".", type=click.Path(file_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Where to write (default PATH/ratp.yaml; "
              "'-' prints it).")
@click.option("--force", is_flag=True, help="Overwrite an existing plan.")
@click.option("--name", help="System name (default: the folder name).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Configuration file.")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False), help="Extra rule pack folder.")
def init(path: str, output: str | None, force: bool, name: str | None, config_path: str | None,
         rule_dirs: tuple[str, ...]) -> int:
    """Draft ratp.yaml from the risk catalog and the assets found (risks that apply, TODO owners)."""
    root = _root(path)
    _, catalog, assets = _inventory(root, config_path, rule_dirs)
    out = Path(output) if output else root / plan_mod.DEFAULT_NAMES[0]
    text = write_draft(root, out, force, catalog, assets, name)
    if str(out) == "-":
        sys.stdout.write(text)
    else:
        count = text.count("\n  - id: ")
        click.echo(f"wrote {out}: {count} risks apply to the {len(assets)} files found; fill in the TODO owners, "
                   f"then run `auditor ratp check {path}`")
    return 0


@ratp.command("check")
@click.argument("path", default=".", type=click.Path(file_okay=False))
@click.option("--plan", "plan_path", type=click.Path(dir_okay=False), help="The plan (default: ratp: in the "
              "configuration, else ratp.yaml / ratp.yml / docs/ratp.yaml under PATH).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Configuration file.")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False), help="Extra rule pack folder.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def check(path: str, plan_path: str | None, config_path: str | None, rule_dirs: tuple[str, ...], fmt: str) -> int:
    """Validate the plan and list its gaps. Exit 0: none; 1: gaps listed; 2: missing or invalid plan."""
    root = _root(path)
    cfg, catalog, assets = _inventory(root, config_path, rule_dirs)
    if plan_path:
        p = Path(plan_path)
        if not p.is_file():
            raise InputError(f"{plan_path}: plan not found (--plan)")
        state = plan_mod.PlanState(path=p, rel=plan_path, configured=True)
    else:
        state = plan_mod.find(root, cfg.get("ratp"))
    if state.path is None or not state.path.is_file():
        raise InputError(f"{state.rel if state.path else root}: no Risk Analysis and Treatment Plan found "
                         f"(looked for {', '.join(plan_mod.DEFAULT_NAMES)}{' and ratp: in the configuration' if cfg.path else ''}); "
                         f"run `auditor ratp init {path}` to draft one")
    assert state.path is not None
    plan = plan_mod.load(state.path, state.rel, catalog.risks)  # InputError: exit 2, names file and field
    state = plan_mod.PlanState(path=state.path, rel=state.rel, plan=plan)
    found = gaps_mod.find_gaps(state, catalog.risks, catalog.rules, gaps_mod.project_kinds(assets, state.rel),
                               dt.date.today())
    if fmt == "json":
        doc = {"plan": state.rel, "valid": True, "risks": len(plan.risks), "gaps": [g.to_dict() for g in found]}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        if not found:
            click.echo(f"{_clean(state.rel)}: valid, {len(plan.risks)} risks, no gaps")
        else:
            click.echo(f"{_clean(state.rel)}: valid, {len(plan.risks)} risks, {len(found)} gap(s):")
            for g in found:
                click.echo(f"  {g.rule_id:<18} {g.kind:<9} {_clean(g.message)}")
    return 1 if found else 0
