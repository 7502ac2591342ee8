"""Where the shipped rule packs and report templates are: inside the wheel (``auditor/_data``,
copied there by setup.py) or, in a source checkout, at the repository top level."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PKG / "_data" / name, _PKG.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"auditor installation is incomplete: no '{name}' folder found")


def rules_dir() -> Path:
    return _find("rules")


def templates_dir() -> Path:
    return _find("report_templates")


def schema_path(name: str) -> Path:
    return _PKG / "schemas" / name
