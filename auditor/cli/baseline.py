"""`auditor baseline RESULTS.json -o FILE`: record today's findings so only new ones fail."""

from __future__ import annotations

import json
from pathlib import Path

import click

from auditor import fsio
from auditor.cli.common import load_results
from auditor.judge import baseline as baseline_mod


@click.command()
@click.argument("results_file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Baseline file to write.")
def baseline(results_file: str, output: str) -> int:
    """Write a baseline of the findings in a results document."""
    results, _ = load_results(Path(results_file))
    data = baseline_mod.build(results)
    fsio.write_atomic(Path(output), data)
    n = len(json.loads(data)["fingerprints"])
    click.echo(f"wrote baseline: {output} ({n} fingerprints)", err=True)
    return 0
