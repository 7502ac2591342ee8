"""`auditor init`: write ``.auditor.yaml`` (every documented key, commented defaults) and a drafted
``ratp.yaml`` into the repository, and print the pre-commit and CI snippets. Unlike a scan, init
writes into the target on purpose; it never overwrites an existing file without ``--force``."""

from __future__ import annotations

import click

from auditor import fsio, init_template
from auditor.cli.ratp import _inventory, _root, write_draft
from auditor.config import CONFIG_NAMES, Config
from auditor.errors import UsageError


@click.command()
@click.argument("path", default=".", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing .auditor.yaml and ratp.yaml.")
@click.option("--name", help="System name for ratp.yaml (default: the folder name).")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False), help="Extra rule pack folder.")
def init(path: str, force: bool, name: str | None, rule_dirs: tuple[str, ...]) -> int:
    """Write .auditor.yaml and a drafted ratp.yaml, and print the pre-commit and CI snippets."""
    root = _root(path)
    config_file = root / CONFIG_NAMES[0]
    plan_file = root / "ratp.yaml"
    existing = [p for p in (config_file, root / CONFIG_NAMES[1], plan_file) if p.exists() or p.is_symlink()]
    if existing and not force:
        names = ", ".join(str(p) for p in existing)
        raise UsageError(f"{names}: already exists; nothing was written (pass --force to overwrite)")
    # the draft is made with the default configuration: the one on disk is about to be replaced
    _, catalog, assets = _inventory(root, None, rule_dirs, cfg=Config())
    fsio.write_atomic(config_file, init_template.render_config().encode("utf-8"))
    write_draft(root, plan_file, True, catalog, assets, name)
    click.echo(f"wrote {config_file}")
    click.echo(f"wrote {plan_file}: fill in the TODO owners, then run `auditor ratp check {path}`")
    click.echo("")
    click.echo("Add the pre-commit hook and a CI gate (snippets):")
    click.echo("")
    click.echo(init_template.snippets())
    return 0
