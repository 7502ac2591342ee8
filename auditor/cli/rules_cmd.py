"""`auditor rules list|show|validate|docs`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from auditor import config as config_mod
from auditor.cli.common import STAGE_CHOICE, catalog_for
from auditor.errors import UsageError
from auditor.model import STAGE_ORDER
from auditor.rules import validate_dir


@click.group()
def rules() -> None:
    """List, show and validate rules."""


@rules.command("list")
@click.option("--stage", type=STAGE_CHOICE, help="Only rules of this stage.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False), help="Extra rule pack folder.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
def list_rules(stage: str | None, fmt: str, rule_dirs: tuple[str, ...], config_path: str | None) -> int:
    """Every rule with its stage, severity and source."""
    cfg = config_mod.load(None, Path(config_path) if config_path else None)
    cat = catalog_for(cfg, rule_dirs, None)
    items = [r for r in cat.rules.values() if stage is None or stage in r.stage.all()]
    items.sort(key=lambda r: (STAGE_ORDER.index(r.stage.default), r.id))
    if fmt == "json":
        doc = [{"id": r.id, "title": r.title, "stage": r.stage.default, "stages": list(r.stage.all()),
                "severity": r.severity, "source": r.source, "risks": list(r.risks), "enabled": r.enabled,
                "applies_to": list(r.applies_to)} for r in items]
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return 0
    table = Table(title=f"{len(items)} rules")
    for col in ("id", "stage", "severity", "source", "title"):
        table.add_column(col)
    for r in items:
        table.add_row(Text(r.id), Text(r.stage.default), Text(r.severity), Text(r.source),
                      Text(r.title + ("" if r.enabled else " (disabled)")))
    Console(markup=False, highlight=False, width=160).print(table)
    return 0


@rules.command("show")
@click.argument("rule_id")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False))
def show(rule_id: str, rule_dirs: tuple[str, ...]) -> int:
    """One rule's documentation."""
    cat = catalog_for(config_mod.Config(), rule_dirs, None)
    r = cat.rules.get(rule_id)
    if r is None:
        raise UsageError(f"unknown rule '{rule_id}' (see `auditor rules list`)")
    stage = r.stage.default + (f" (by kind: {dict(r.stage.by_kind)})" if r.stage.by_kind else "")
    lines = [f"{r.id}: {r.title}", f"  stage:       {stage}", f"  severity:    {r.severity}",
             f"  source:      {r.source}  match: {json.dumps(dict(r.match))}",
             f"  applies to:  {', '.join(r.applies_to)}", f"  risks:       {', '.join(r.risks)}",
             f"  references:  {', '.join(r.references)}", "", r.description, "", "Remediation: " + r.remediation]
    click.echo("\n".join(lines))
    return 0


@rules.command("validate")
@click.argument("directory", type=click.Path(file_okay=False))
def validate(directory: str) -> int:
    """Validate a rule pack folder (exit 2 naming the file, rule and field on error)."""
    found = validate_dir(Path(directory))
    click.echo(f"{directory}: {len(found)} rules valid")
    return 0


@rules.command("docs")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), help="Write here (default: print).")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False), help="Extra rule pack folder.")
def docs(output: str | None, rule_dirs: tuple[str, ...]) -> int:
    """The rule catalog as Markdown, grouped by stage (docs/rules.md: `make docs`)."""
    from auditor import fsio
    from auditor.reports.rules_doc import render_rules_doc

    # the shipped catalog as shipped: no configuration (disable/severity overrides) is applied
    text = render_rules_doc(catalog_for(config_mod.Config(), rule_dirs, None))
    if output is None:
        sys.stdout.write(text)
        return 0
    fsio.write_atomic(Path(output), text.encode("utf-8"))
    click.echo(f"wrote {output}", err=True)
    return 0
