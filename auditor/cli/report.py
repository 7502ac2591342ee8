"""`auditor report RESULTS.json -o FILE...`: re-render any format from saved results."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from auditor.cli.common import load_results, write_reports
from auditor.errors import UsageError


@click.command()
@click.argument("results_file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "outputs", multiple=True, required=True, type=click.Path(dir_okay=False),
              help="Report file; format from the extension. Repeatable.")
def report(results_file: str, outputs: tuple[str, ...]) -> int:
    """Render reports from a results document written by `auditor scan -o results.json`."""
    src = Path(results_file)
    results, digest = load_results(src)
    targets = [Path(o) for o in outputs]
    for t in targets:
        if t.exists() and t.resolve() == src.resolve():
            raise UsageError(f"{t}: refusing to overwrite the results file being rendered")
    for p, fmt in write_reports(results, targets, None, results_sha256=digest):
        click.echo(f"wrote {fmt.value}: {p}", err=True)
    sys.stdout.flush()
    return 0
