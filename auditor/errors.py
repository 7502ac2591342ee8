"""Exception roots. The CLI catches each root once and maps it to an exit code (DESIGN.md)."""

from __future__ import annotations


class AuditorError(Exception):
    """Root of every error the auditor raises on purpose."""

    exit_code = 2


class UsageError(AuditorError):
    """Bad input from the user: option, config, rule pack, path. Exit 2."""


class ConfigError(UsageError):
    """The configuration file is invalid; the message names the file and the key."""


class RuleError(UsageError):
    """A rule pack is invalid; the message names the file, the rule id and the field."""


class InputError(UsageError):
    """A file the user named (results, baseline, waivers, plan) cannot be used."""


class OutputError(UsageError):
    """An output path cannot be written safely."""


class AnalyzerError(AuditorError):
    """An analyzer could not finish. The engine records it; the gate becomes incomplete (exit 3)."""

    exit_code = 3
