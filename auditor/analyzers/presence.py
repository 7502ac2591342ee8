"""``presence``: files a repository must have (a security policy, tests, a threat model) or must not
have (a committed ``.env``), matched with gitignore-style globs against every path of the repository.

``any_of`` items are globs, or ``{files: [...], contains: REGEX}`` for "a file like this that also
contains that text" (e.g. a Python file importing a drift library). The control passes when at least
``min_count`` files match. A missing file is reported on path ``.`` with what to add.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.analyzers import textutil
from auditor.analyzers.interface import AnalysisContext, AnalyzerOutput, BaseAnalyzer
from auditor.errors import RuleError
from auditor.model import Asset, RawFinding, Rule

_GLOBS = {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}
CONTAINS_MAX_BYTES = 2 * 1024 * 1024
MAX_CONTAINS_FILES = 2000


@dataclass(frozen=True)
class _Alternative:
    globs: tuple[str, ...]
    contains: re.Pattern[str] | None

    def describe(self) -> str:
        names = ", ".join(self.globs)
        return f"{names} containing /{self.contains.pattern}/" if self.contains else names


def _rx(rule: Rule, value: str, field: str) -> re.Pattern[str]:
    try:
        return re.compile(value, re.MULTILINE)
    except re.error as exc:
        raise RuleError(f"rule {rule.id}: field 'match.{field}': invalid regular expression: {exc}") from exc


def _alternatives(rule: Rule) -> list[_Alternative]:
    m = rule.match
    default = _rx(rule, m["contains"], "contains") if m.get("contains") else None
    plain = tuple(x for x in m.get("any_of") or () if isinstance(x, str))
    out = [_Alternative(plain, default)] if plain else []
    for i, item in enumerate(x for x in m.get("any_of") or () if isinstance(x, Mapping)):
        rx = _rx(rule, item["contains"], f"any_of.{i}.contains") if item.get("contains") else default
        out.append(_Alternative(tuple(item["files"]), rx))
    return out


class PresenceAnalyzer(BaseAnalyzer):
    name = "presence"
    kinds = frozenset({"repo"})
    match_schema = {
        "type": "object",
        "additionalProperties": False,
        "anyOf": [{"required": ["any_of"]}, {"required": ["none_of"]}],
        "properties": {
            "any_of": {
                "type": "array", "minItems": 1,
                "items": {"oneOf": [
                    {"type": "string", "minLength": 1},
                    {"type": "object", "additionalProperties": False, "required": ["files"],
                     "properties": {"files": _GLOBS, "contains": {"type": "string", "minLength": 1}}},
                ]},
                "description": "gitignore-style globs; the control passes when enough files match",
            },
            "none_of": {**_GLOBS, "description": "globs that must not exist: one finding per file"},
            "contains": {"type": "string", "minLength": 1,
                         "description": "regex a file matching a plain any_of glob must contain"},
            "min_count": {"type": "integer", "minimum": 1},
            "message": {"type": "string", "minLength": 3,
                        "description": "what is missing and what to add (default: from the globs)"},
        },
    }

    @classmethod
    def check_match(cls, match: Mapping[str, Any]) -> None:
        """What the JSON schema cannot check (regular expression syntax): raises ValueError naming
        the field. Meant to be called when a rule pack is loaded."""
        try:
            _alternatives(textutil.probe_rule(cls.name, match))
        except RuleError as exc:
            raise textutil.check_error(exc) from exc

    def analyze(self, ctx: AnalysisContext, assets: Sequence[Asset], rules: Sequence[Rule]) -> AnalyzerOutput:
        paths = sorted(ctx.all_paths or {a.path for a in ctx.inventory} or {a.path for a in assets})
        by_path = {a.path: a for a in [*ctx.inventory, *assets]}
        findings: list[RawFinding] = []
        read = 0
        for rule in rules:
            if not rule.enabled:
                continue
            m = rule.match
            if m.get("any_of"):
                found, n = self._count(ctx.root, paths, by_path, _alternatives(rule), int(m.get("min_count", 1)))
                read += n
                need = int(m.get("min_count", 1))
                if found < need:
                    findings.append(self._missing(rule, found, need))
            for path in paths if m.get("none_of") else ():
                if textutil.glob_match(m["none_of"], path):
                    asset = by_path.get(path)
                    findings.append(RawFinding(
                        rule_id=rule.id, path=path, kind=asset.kind if asset else None,
                        message=f"{rule.title}: {path} must not be in the repository",
                        fingerprint_key=path,
                    ))
        return AnalyzerOutput(findings=findings, files=len(paths))

    @staticmethod
    def _count(root: Path, paths: Sequence[str], by_path: Mapping[str, Asset],
               alternatives: Sequence[_Alternative], need: int) -> tuple[int, int]:
        """Number of files satisfying an alternative (stops at ``need``) and files read."""
        found = 0
        read = 0
        for alt in alternatives:
            spec = textutil.globspec(alt.globs)
            for path in paths:
                if not spec.match_file(path):
                    continue
                if path not in by_path and not _is_regular(root, path):
                    continue  # a FIFO, socket, device or dangling/escaping symlink named SECURITY.md is not one
                if alt.contains is not None:
                    if read >= MAX_CONTAINS_FILES:
                        break
                    read += 1
                    text = _read_text(root, path, by_path.get(path))
                    if text is None or not alt.contains.search(text):
                        continue
                found += 1
                if found >= need:
                    return found, read
        return found, read

    @staticmethod
    def _missing(rule: Rule, found: int, need: int) -> RawFinding:
        alts = _alternatives(rule)
        wanted = "; or ".join(a.describe() for a in alts)
        custom = rule.match.get("message")
        if custom:
            message = str(custom)
        elif need > 1:
            message = f"{rule.title}: {found} of the {need} required files found (any of: {wanted}); add more"
        else:
            message = f"{rule.title}: missing. None of these exists: {wanted}. Add one ({rule.remediation.split('.')[0]})."
        return RawFinding(rule_id=rule.id, path=".", message=message, kind="repo",
                          fingerprint_key=f"missing:{rule.id}")


def _is_regular(root: Path, path: str) -> bool:
    """A path discovery did not keep as an asset (too large, excluded, special): it still counts as
    present when it is a regular file, or a symlink to one inside the root."""
    try:
        p = root / path
        if p.is_symlink():
            p = p.resolve(strict=True)
            p.relative_to(root.resolve())
        return stat.S_ISREG(p.lstat().st_mode)
    except (OSError, ValueError, RuntimeError):
        return False


def _read_text(root: Path, path: str, asset: Asset | None) -> str | None:
    """A bounded read of a repository file; never follows a path out of the root."""
    target = asset.abspath if asset is not None else root / path
    try:
        if asset is None:
            resolved = target.resolve(strict=True)
            resolved.relative_to(root.resolve())
            if not stat.S_ISREG(resolved.stat().st_mode):
                return None
            target = resolved
        data, _ = textutil.read_bytes(target, CONTAINS_MAX_BYTES)
    except (OSError, ValueError, RuntimeError):
        return None
    if textutil.is_binary(data):
        return None
    return textutil.decode(data)
