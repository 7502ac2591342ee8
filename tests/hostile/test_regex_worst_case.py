"""Regex worst cases for EVERY ``pattern`` rule: adversarial lines generated from each rule's own regex
(long runs of every character its classes accept, with and without its keywords; near-matches cut
just before the end, repeated; on one huge line and on many lines), each rule timed alone on them.
A rule whose regex backtracks badly on its own input shape fails the bound."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import catalog, run_analyzer_output

if sys.version_info >= (3, 11):
    from re import _constants as C  # noqa: N812
    from re import _parser as sre_parse
else:  # pragma: no cover
    import sre_constants as C  # noqa: N812
    import sre_parse

RUN = 20_000  # characters per adversarial run
BOUND = 3.0  # seconds for one rule over all its adversarial lines
CAP = 40  # repeat count used for unbounded quantifiers

PATTERN_RULES = sorted(r.id for r in catalog().rules.values() if r.source == "pattern")
# by preference: the kinds with the largest size limits first (a container file is capped at 2 MB)
KIND_FILES = {"python": "adv.py", "config": "settings.cfg", "other": "adv.txt", "doc": "NOTES.md",
              "dependency": "requirements.txt", "iac": "main.tf", "pipeline": ".gitlab-ci.yml",
              "container": "Dockerfile", "data": "adv.csv"}


def _chars_of(items: Any) -> Iterator[str]:
    for op, av in items:
        if op is C.LITERAL:
            yield chr(av)
        elif op is C.RANGE:
            yield chr(av[0])
            yield chr(av[1])
            yield chr((av[0] + av[1]) // 2)
        elif op is C.CATEGORY:
            yield {"CATEGORY_DIGIT": "7", "CATEGORY_SPACE": " ", "CATEGORY_WORD": "w"}.get(str(av), "x")


def class_chars(pattern: Any) -> set[str]:
    """Every character the regex's literals and classes name (representatives of ranges)."""
    out: set[str] = set()
    stack = [pattern]
    while stack:
        node = stack.pop()
        for op, av in node:
            if op is C.LITERAL:
                out.add(chr(av))
            elif op is C.IN:
                out.update(_chars_of(av))
            elif op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
                stack.append(av[2])
            elif op is C.SUBPATTERN:
                stack.append(av[-1])
            elif op is C.BRANCH:
                stack.extend(av[1])
            elif op in (C.ASSERT, C.ASSERT_NOT):
                stack.append(av[1])
            elif op is getattr(C, "ATOMIC_GROUP", None):
                stack.append(av)
    return {c for c in out if c not in "\n\r"}


def near_match(pattern: Any) -> str:
    """A string that follows the regex as far as possible (first branch, the most repeats up to CAP,
    one representative per class); cut before its last character it usually fails at the very end."""
    parts: list[str] = []
    for op, av in pattern:
        if op is C.LITERAL:
            parts.append(chr(av))
        elif op is C.IN:
            parts.append(next(iter(c for c in _chars_of(av) if c not in "\n\r"), "a"))
        elif op is C.ANY:
            parts.append("a")
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
            lo, hi, sub = av
            n = min(hi if hi != C.MAXREPEAT else CAP, max(lo, CAP))
            parts.append(near_match(sub) * n)
        elif op is C.SUBPATTERN:
            parts.append(near_match(av[-1]))
        elif op is C.BRANCH:
            parts.append(near_match(av[1][0]))
        elif op is getattr(C, "ATOMIC_GROUP", None):
            parts.append(near_match(av))
    return "".join(parts)


def adversarial_lines(regex: str, keywords: list[str], flags: int) -> list[str]:
    parsed = sre_parse.parse(regex, flags)
    near = near_match(parsed)
    lines = []
    for c in sorted(class_chars(parsed)):
        lines.append(c * RUN)
        for k in keywords[:3]:
            lines.append((k + c * 200 + " ") * (RUN // 200))
    if near:
        cut = near[:-1] or near
        lines.append((cut * (RUN // max(len(cut), 1) + 1))[:RUN * 2])
        lines.append((cut + " ") * max(1, RUN // (len(cut) + 1)))
        lines.append(near[: len(near) // 2] * max(1, RUN // max(1, len(near) // 2)))
    return lines


def _file_for(rule: Any) -> str:
    globs = rule.match.get("files") or []
    if globs:
        return globs[0].replace("**/", "a/").replace("*", "x")
    kind = next(k for k in KIND_FILES if k in rule.applies_to)
    return KIND_FILES[kind]


@pytest.mark.parametrize("rule_id", PATTERN_RULES)
def test_pattern_rule_is_fast_on_its_own_worst_case(tmp_path: Path, rule_id: str) -> None:
    rule = catalog().rules[rule_id]
    m = rule.match
    flags = re.IGNORECASE if m.get("ignore_case") else 0
    lines = adversarial_lines(m["regex"], list(m.get("keywords") or []), flags)
    assert lines, f"{rule_id}: no adversarial input generated"
    name = _file_for(rule)
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + "\n"
    p.write_text(text, encoding="utf-8")
    t0 = time.monotonic()
    out = run_analyzer_output("pattern", tmp_path, [rule_id])
    took = time.monotonic() - t0
    assert took < BOUND, f"{rule_id}: {took:.2f}s on {len(lines)} adversarial lines ({len(text)} chars)"
    # the file really was searched by this rule (not skipped for its kind or size)
    assert out.files >= 1, f"{rule_id}: {name} was not searched"
