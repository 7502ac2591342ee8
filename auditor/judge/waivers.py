"""Waivers: a file of accepted findings, each with rule, path glob, reason, owner and expiry.

An expired waiver re-opens its findings and is itself reported; an unused one is reported too.
The waiver file is ``waivers:`` in config, else ``.auditor-waivers.yaml`` at the target root.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pathspec
import yaml

from auditor import yamlio
from auditor.errors import InputError
from auditor.model import Finding

DEFAULT_NAME = ".auditor-waivers.yaml"
REQUIRED = ("rule", "path", "reason", "owner", "expires")
OPTIONAL = ("risk", "approval", "fingerprint")


@dataclass(frozen=True)
class Waiver:
    rule: str
    path: str
    reason: str
    owner: str
    expires: dt.date
    risk: str | None = None
    approval: str | None = None
    fingerprint: str | None = None
    findings: int = 0
    index: int = 0

    def status(self, today: dt.date) -> str:
        if self.expires < today:
            return "expired"
        return "active" if self.findings else "unused"

    def matches(self, f: Finding) -> bool:
        if self.rule not in ("*", f.rule_id):
            return False
        if self.fingerprint and self.fingerprint != f.fingerprint:
            return False
        spec = pathspec.GitIgnoreSpec.from_lines([self.path])
        return self.path in (f.path, "*", "**") or spec.match_file(f.path)

    def to_dict(self, today: dt.date) -> dict[str, Any]:
        return {"rule": self.rule, "path": self.path, "reason": self.reason, "owner": self.owner,
                "expires": self.expires.isoformat(), "status": self.status(today), "findings": self.findings,
                "risk": self.risk, "approval": self.approval}


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InputError(f"{where}: field 'expires': '{value}' is not a date; write YYYY-MM-DD")


def load(path: Path) -> list[Waiver]:
    try:
        doc = yamlio.load(path.read_bytes())
    except OSError as exc:
        raise InputError(f"{path}: cannot read the waivers file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML at {yamlio.error_location(exc)}") from exc
    items = doc.get("waivers") if isinstance(doc, dict) else doc
    if items is None:
        return []
    if not isinstance(items, list):
        raise InputError(f"{path}: expected a list under 'waivers:'")
    out = []
    for i, item in enumerate(items, start=1):
        where = f"{path}: waiver #{i}"
        if not isinstance(item, dict):
            raise InputError(f"{where}: must be a mapping with {', '.join(REQUIRED)}")
        for key in REQUIRED:
            if item.get(key) in (None, ""):
                raise InputError(f"{where}: field '{key}' is required (waivers need rule, path, reason, owner "
                                 f"and an expiry date)")
        unknown = set(item) - set(REQUIRED) - set(OPTIONAL)
        if unknown:
            raise InputError(f"{where}: unknown field '{sorted(unknown)[0]}'")
        out.append(Waiver(rule=str(item["rule"]), path=str(item["path"]), reason=str(item["reason"]),
                          owner=str(item["owner"]), expires=_date(item["expires"], where),
                          risk=item.get("risk"), approval=item.get("approval"),
                          fingerprint=item.get("fingerprint"), index=i))
    return out


def find_file(root: Path, configured: str | None) -> Path | None:
    if configured:
        p = Path(configured)
        p = p if p.is_absolute() else root / p
        if not p.is_file():
            raise InputError(f"{p}: waivers file named in the configuration does not exist")
        return p
    p = root / DEFAULT_NAME
    return p if p.is_file() and not p.is_symlink() else None


def apply(findings: Sequence[Finding], waivers: Sequence[Waiver], today: dt.date) -> tuple[list[Finding], list[Waiver]]:
    counts = [0] * len(waivers)
    out = []
    for f in findings:
        if f.status != "open":
            out.append(f)
            continue
        for i, w in enumerate(waivers):
            if w.matches(f):
                counts[i] += 1
                if w.expires < today:
                    f = replace(f, status_reason=f"waiver expired on {w.expires.isoformat()} "
                                                 f"(owner {w.owner}): finding re-opened")
                else:
                    f = replace(f, status="waived", status_reason=f"waived until {w.expires.isoformat()} by "
                                                                 f"{w.owner}: {w.reason}")
                break
        out.append(f)
    return out, [replace(w, findings=c) for w, c in zip(waivers, counts, strict=True)]
