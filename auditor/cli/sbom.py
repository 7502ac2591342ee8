"""`auditor sbom [PATH] -o bom.cdx.json`: discovery plus the cyclonedx analyzer only, then the CycloneDX
1.6 JSON written atomically (or to standard output)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from auditor import config as config_mod
from auditor import fsio
from auditor.analyzers.interface import AnalysisContext, ScanOptions
from auditor.errors import UsageError


@click.command()
@click.argument("path", required=False, default=".", type=click.Path())
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Where to write the SBOM (.cdx.json); "
              "default: standard output.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Configuration file.")
@click.option("--output-in-target", is_flag=True, help="Allow writing the SBOM inside the scanned tree.")
def sbom(path: str, output: str | None, config_path: str | None, output_in_target: bool) -> int:
    """Write a CycloneDX 1.6 SBOM of PATH: Python dependencies, models, datasets, base images."""
    from auditor.analyzers.sbom import SbomAnalyzer
    from auditor.discover import discover
    from auditor.reports.cyclonedx import CycloneDxReporter
    from auditor.reports.interface import RenderContext

    root = Path(path)
    if not root.is_dir():
        raise UsageError(f"{path}: not a directory: give the repository folder to describe")
    out = Path(output) if output else None
    if out is not None:
        fsio.check_destination(out, root, allow_inside=output_in_target)
    cfg = config_mod.load(root, Path(config_path) if config_path else None)
    inv = discover(root, cfg)
    ctx = AnalysisContext(root=inv.root, inventory=inv.assets,
                          options=ScanOptions(settings=cfg.get("analyzers") or {}), config=cfg.data,
                          all_paths=inv.all_paths, outputs={"cyclonedx": out} if out is not None else {})
    result = SbomAnalyzer().analyze(ctx, list(inv.assets), [])
    data = CycloneDxReporter().render(dict(result.sections), RenderContext())
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    fsio.write_atomic(out, data)
    count = result.sections["sbom"]["components"]
    click.echo(f"wrote CycloneDX {result.sections['sbom']['spec_version']} SBOM with {count} components: {out}",
               err=True)
    return 0
