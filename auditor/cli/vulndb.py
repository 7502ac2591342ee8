"""`auditor vulndb update|status`: the offline OSV database cache for dependency audits."""

from __future__ import annotations

from pathlib import Path

import click

from auditor.errors import AnalyzerError, UsageError


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    if seconds < 3600:
        return f"{int(seconds // 60)} minutes"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.1f} days"


@click.group()
def vulndb() -> None:
    """Offline vulnerability database (OSV records for PyPI)."""


@vulndb.command()
@click.option("--url", default=None, help="Archive to download (default: OSV's PyPI all.zip).")
@click.option("--dest", type=click.Path(file_okay=False), help="Folder to store it in (default: user cache).")
@click.option("--timeout", type=float, default=120.0, show_default=True, help="Network timeout in seconds.")
def update(url: str | None, dest: str | None, timeout: float) -> int:
    """Download the OSV PyPI archive; the previous copy stays until the new one is complete."""
    from auditor import vulndb as db

    try:
        st = db.update(url or db.DEFAULT_URL, Path(dest) if dest else None, timeout=timeout)
    except db.VulnDbError as exc:
        raise AnalyzerError(f"vulndb update: {exc}") from exc
    click.echo(f"vulnerability database updated: {st.path} ({st.records} records)")
    click.echo(f"use it with: auditor scan --vuln-db {st.path} (or --offline when it is in the default cache)")
    return 0


@vulndb.command()
@click.option("--path", "path", type=click.Path(), help="Database file or folder (default: the cache).")
def status(path: str | None) -> int:
    """Show where the database is, how many records it holds and how old it is."""
    from auditor import vulndb as db

    st = db.status(Path(path) if path else None)
    if not st.exists:
        if path:
            raise UsageError(f"{path}: no vulnerability database there (run 'auditor vulndb update --dest DIR')")
        click.echo(f"no vulnerability database at {st.path}: run 'auditor vulndb update'")
        return 1
    click.echo(f"path:       {st.path}")
    click.echo(f"records:    {st.records}")
    click.echo(f"age:        {_age(st.age_seconds)}")
    if st.downloaded_at:
        click.echo(f"downloaded: {st.downloaded_at} from {st.url}")
    if st.sha256:
        click.echo(f"sha256:     {st.sha256}")
    return 0
