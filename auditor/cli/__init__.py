"""The command line (click). Commands live one per module; ``main()`` returns the exit code and the
single error handler maps exception roots to exit codes (DESIGN.md)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import click

from auditor import __version__
from auditor.errors import AuditorError

# module name -> attribute holding a click command or group
COMMANDS: dict[str, str] = {
    "scan": "auditor.cli.scan:scan",
    "report": "auditor.cli.report:report",
    "rules": "auditor.cli.rules_cmd:rules",
    "baseline": "auditor.cli.baseline:baseline",
    "ratp": "auditor.cli.ratp:ratp",
    "init": "auditor.cli.init_cmd:init",
    "sbom": "auditor.cli.sbom:sbom",
    "vulndb": "auditor.cli.vulndb:vulndb",
}


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs (keeps pre-commit start-up small)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attr = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None  # command not built yet
            raise
        command: click.Command = getattr(module, attr)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="auditor")
def cli() -> None:
    """auditor: security scanning and compliance auditing for AI/ML repositories."""


def main(argv: Sequence[str] | None = None) -> int:
    try:
        rv = cli.main(args=list(argv) if argv is not None else None, prog_name="auditor", standalone_mode=False)
    except AuditorError as exc:
        click.echo(f"auditor: error: {exc}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("auditor: aborted", err=True)
        return 2
    except click.ClickException as exc:
        exc.show()
        return 2
    except KeyboardInterrupt:
        return 130
    if isinstance(rv, int):
        return rv
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
