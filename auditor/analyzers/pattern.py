"""``pattern``: regular expressions over text files, declared in rules.

Each file is read once (up to a size cap) whatever the number of rules; a rule's ``keywords`` are a
cheap substring prefilter (any case, per file) before its regex runs. A rule matches within single
lines (``^``/``$`` anchor at line bounds; ``multiline: true`` lets a match span lines); short lines are
searched in blocks of whole lines, lines longer than LINE_SLICE in bounded, overlapping slices, so
that a pathological line cannot stall the scan. Notebooks are searched cell by cell (sources and
outputs) and findings name the cell and the line within it.

Secrets (``secret: true``) never leave the analyzer in clear: message, snippet and fingerprint key
carry the first four characters and ``****`` only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditor import notebooks
from auditor.analyzers import textutil
from auditor.analyzers.interface import AnalysisContext, AnalyzerOutput, BaseAnalyzer
from auditor.errors import RuleError
from auditor.model import Asset, RawFinding, Rule

TEXT_KINDS = frozenset({
    "python", "notebook", "dependency", "container", "iac", "pipeline", "config", "data", "doc", "other",
})
LINE_SLICE = 4000  # characters of one line matched at a time
LINE_OVERLAP = 256
TEXT_SLICE = 65536  # characters of text matched at a time (blocks of short lines, multiline rules)
TEXT_OVERLAP = 4096
MAX_FINDINGS_PER_RULE_FILE = 50
DEFAULT_MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024

_STR_LIST = {"type": "array", "items": {"type": "string", "minLength": 1}}


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    regex: re.Pattern[str]
    group: str | int
    files: tuple[str, ...]
    exclude: tuple[str, ...]
    keywords: tuple[str, ...]
    multiline: bool
    secret: bool
    min_entropy: float | None
    allow: tuple[re.Pattern[str], ...]
    not_regex: re.Pattern[str] | None

    def wants(self, asset: Asset) -> bool:
        if asset.kind not in self.rule.applies_to:
            return False
        if self.files and not textutil.glob_match(self.files, asset.path):
            return False
        return not (self.exclude and textutil.glob_match(self.exclude, asset.path))


@dataclass(frozen=True)
class _Segment:
    """A text searched on its own: a whole file, or one notebook cell's source or output."""

    text: str
    cell: int | None = None
    output: bool = False


def _compile(rule: Rule) -> _Compiled:
    m = rule.match

    def rx(value: str, field: str, flags: int = 0) -> re.Pattern[str]:
        try:
            return re.compile(value, flags)
        except re.error as exc:
            raise RuleError(f"rule {rule.id}: field 'match.{field}': invalid regular expression: {exc}") from exc

    # ^ and $ always anchor at line bounds: line rules run over blocks of whole lines
    flags = (re.IGNORECASE if m.get("ignore_case") else 0) | re.MULTILINE
    regex = rx(m["regex"], "regex", flags)
    group: str | int = 0
    for name in ("secret", "evidence"):
        if name in regex.groupindex:
            group = name
            break
    return _Compiled(
        rule=rule, regex=regex, group=group, files=tuple(m.get("files") or ()),
        exclude=tuple(m.get("exclude") or ()),
        keywords=tuple(k.lower() for k in m.get("keywords") or ()),
        multiline=bool(m.get("multiline")), secret=bool(m.get("secret")),
        min_entropy=m.get("min_entropy"),
        allow=tuple(rx(a, "allow", re.IGNORECASE) for a in m.get("allow") or ()),
        not_regex=rx(m["not_regex"], "not_regex", re.IGNORECASE if m.get("ignore_case") else 0)
        if m.get("not_regex") else None,
    )


_LONG_LINE = re.compile(rf"(?<![^\n])[^\n]{{{LINE_SLICE + 1},}}")


def _slices(start: int, end: int, size: int, overlap: int) -> Iterator[tuple[int, int]]:
    """[pos, endpos) windows of at most ``size`` characters over [start, end), overlapping."""
    if end - start <= size:
        yield start, end
        return
    step = size - overlap
    for pos in range(start, end, step):
        yield pos, min(pos + size, end)
        if pos + size >= end:
            break


def line_windows(text: str) -> list[tuple[int, int]]:
    """Windows for line rules: blocks of whole short lines (cut at newlines, at most TEXT_SLICE
    characters), and each line longer than LINE_SLICE in overlapping slices of LINE_SLICE."""
    out: list[tuple[int, int]] = []

    def blocks(start: int, end: int) -> None:
        while start < end:
            stop = end if end - start <= TEXT_SLICE else text.rfind("\n", start, start + TEXT_SLICE)
            if stop <= start:  # cannot happen for short lines; be safe
                stop = min(end, start + TEXT_SLICE)
            out.append((start, stop))
            start = stop + 1 if stop < end else end

    prev = 0
    for m in _LONG_LINE.finditer(text):
        blocks(prev, max(prev, m.start() - 1))
        out.extend(_slices(m.start(), m.end(), LINE_SLICE, LINE_OVERLAP))
        prev = m.end() + 1
    blocks(prev, len(text))
    return out


@dataclass(frozen=True)
class _Hit:
    start: int  # absolute offsets in the segment text
    end: int
    sstart: int  # secret/evidence group span
    send: int


def _window_matches(regex: re.Pattern[str], text: str, pos: int, endpos: int,
                    multiline: bool) -> Iterator[re.Match[str]]:
    """Non-empty matches in [pos, endpos). For line rules a match that would run over a newline is
    retried on its own line only, which gives exactly the matches of a line-by-line search."""
    while pos < endpos:
        m = regex.search(text, pos, endpos)
        if m is None:
            return
        start, end = m.span()
        nl = -1 if multiline else text.find("\n", start, end)
        if nl != -1:
            yield from (x for x in regex.finditer(text, start, nl) if x.end() > x.start())
            pos = nl + 1
            continue
        if end > start:
            yield m
        pos = end if end > start else end + 1


def _hits(c: _Compiled, text: str, windows: Sequence[tuple[int, int]]) -> Iterator[_Hit]:
    """Matches of a rule in ``text``. Windows bound the work per match attempt; ``pos``/``endpos``
    keep look-behinds honest at window starts. Line rules never match across a newline."""
    seen: set[tuple[int, int]] = set()
    if c.multiline:
        windows = list(_slices(0, len(text), TEXT_SLICE, TEXT_OVERLAP))
    for pos, endpos in windows:
        for m in _window_matches(c.regex, text, pos, endpos, c.multiline):
            start, end = m.span()
            gs, ge = m.span(c.group)
            if gs < 0:
                gs, ge = start, end
            if (gs, ge) in seen:
                continue
            seen.add((gs, ge))
            yield _Hit(start, end, gs, ge)


def _redacted_line(text: str, ls: int, le: int, hit: _Hit, secret: str) -> str:
    """The line [ls, le) with the secret (or the part of it on this line) masked."""
    line = text[ls:le]
    if hit.sstart >= ls:
        rel = hit.sstart - ls
        line = line[:rel] + textutil.redact(secret) + (line[rel + len(secret):] if hit.send <= le else "")
    else:
        line = "****" + (line[hit.send - ls:] if hit.send <= le else "")
    return textutil.redact_in(line, [secret])


class PatternAnalyzer(BaseAnalyzer):
    name = "pattern"
    kinds = TEXT_KINDS
    match_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["regex"],
        "properties": {
            "regex": {"type": "string", "minLength": 1,
                      "description": "Python re pattern; group 'secret' (or 'evidence') marks what to report"},
            "ignore_case": {"type": "boolean"},
            "multiline": {"type": "boolean", "description": "match the whole text, ^/$ at line bounds"},
            "files": {**_STR_LIST,
                      "description": "gitignore-style globs on the relative path (within applies_to kinds)"},
            "exclude": _STR_LIST,
            "keywords": {**_STR_LIST, "description": "literal prefilter: one must occur (any case)"},
            "secret": {"type": "boolean", "description": "redact the match: first 4 chars then ****"},
            "min_entropy": {"type": "number", "minimum": 0},
            "allow": {**_STR_LIST, "description": "regexes for placeholders; a matching secret is ignored"},
            "not_regex": {"type": "string", "minLength": 1,
                          "description": "a line that also matches this is ignored"},
        },
    }

    @classmethod
    def check_match(cls, match: Mapping[str, Any]) -> None:
        """What the JSON schema cannot check (regular expression syntax): raises ValueError naming
        the field. Meant to be called when a rule pack is loaded."""
        textutil.check_compiles(cls.name, match, _compile)

    def analyze(self, ctx: AnalysisContext, assets: Sequence[Asset], rules: Sequence[Rule]) -> AnalyzerOutput:
        compiled = [_compile(r) for r in rules if r.enabled]
        max_bytes = int(ctx.setting(self.name, "max_bytes", textutil.DEFAULT_MAX_BYTES))
        max_nb = int(ctx.setting(self.name, "max_notebook_bytes", DEFAULT_MAX_NOTEBOOK_BYTES))
        findings: list[RawFinding] = []
        files = 0
        truncated: list[str] = []
        binary = 0
        unreadable: list[str] = []
        for asset in sorted(assets, key=lambda a: a.path):
            wanted = [c for c in compiled if c.wants(asset)]
            if not wanted:
                continue
            cap = max_nb if asset.kind == "notebook" else max_bytes
            try:
                data, cut = textutil.read_bytes(asset.abspath, cap)
            except OSError as exc:
                unreadable.append(f"{asset.path} ({exc.strerror})")
                continue
            if textutil.is_binary(data):
                binary += 1
                continue
            files += 1
            if cut:
                truncated.append(asset.path)
            for seg in self._segments(asset, data, cut):
                findings.extend(self._scan_segment(asset, seg, wanted))
        notes: list[str] = []
        if truncated:
            notes.append(f"{len(truncated)} file(s) searched only in their first {max_bytes} bytes: "
                         f"{', '.join(truncated[:5])}{' ...' if len(truncated) > 5 else ''} "
                         f"(raise analyzers.pattern.max_bytes)")
        if binary:
            notes.append(f"{binary} binary file(s) not searched")
        if unreadable:
            notes.append(f"unreadable: {', '.join(unreadable[:5])}")
        return AnalyzerOutput(findings=findings, files=files, notes=notes)

    @staticmethod
    def _segments(asset: Asset, data: bytes, truncated: bool) -> list[_Segment]:
        if asset.kind == "notebook" and not truncated:
            try:
                doc = notebooks.load_json(data)
                cells = notebooks.cells(doc)
            except notebooks.NotebookError:
                return [_Segment(textutil.decode(data))]
            segs = [_Segment(notebooks.cell_text(c), cell=i) for i, c in enumerate(cells, start=1)]
            segs.extend(_Segment(text, cell=i, output=True) for i, text in notebooks.outputs_text(data))
            return segs
        return [_Segment(textutil.decode(data))]

    def _scan_segment(self, asset: Asset, seg: _Segment, rules: Sequence[_Compiled]) -> Iterator[RawFinding]:
        low: str | None = None
        index: textutil.LineIndex | None = None
        windows: list[tuple[int, int]] | None = None
        for c in rules:
            if c.keywords:
                if low is None:
                    low = seg.text.lower()
                if not any(k in low for k in c.keywords):
                    continue
            if index is None or windows is None:
                index = textutil.LineIndex(seg.text)
                windows = line_windows(seg.text)
            count = 0
            reported: set[tuple[int, str]] = set()
            for hit in _hits(c, seg.text, windows):
                finding = self._finding(asset, seg, c, hit, index, reported)
                if finding is None:
                    continue
                yield finding
                count += 1
                if count >= MAX_FINDINGS_PER_RULE_FILE:
                    break

    @staticmethod
    def _finding(asset: Asset, seg: _Segment, c: _Compiled, hit: _Hit, index: textutil.LineIndex,
                 reported: set[tuple[int, str]]) -> RawFinding | None:
        text = seg.text
        evidence = text[hit.sstart:hit.send]
        if any(a.search(evidence) for a in c.allow):
            return None
        if c.min_entropy is not None and textutil.shannon_entropy(evidence) < c.min_entropy:
            return None
        line_no = index.line_of(hit.start)
        ls, le = index.span(line_no)
        if c.not_regex is not None and c.not_regex.search(text[ls:le]):
            return None
        if (line_no, evidence) in reported:
            return None
        reported.add((line_no, evidence))
        end_line = index.line_of(max(hit.start, hit.end - 1))
        where = ""
        if seg.cell is not None:
            where = f" in the output of cell {seg.cell}" if seg.output else f" in cell {seg.cell}"
        if c.secret:
            shown = textutil.redact(evidence)
            line = _redacted_line(text, ls, le, hit, evidence)
            whole = text[hit.start:hit.sstart] + shown + text[hit.send:hit.end]
            key = " ".join(whole.split())[:200] + "#" + textutil.secret_digest(evidence)
            message = f"{c.rule.title}{where}: {shown}"
        else:
            line = text[ls:le]
            key = " ".join(text[hit.start:hit.end].split())[:200]
            message = f"{c.rule.title}{where}: {textutil.clip(' '.join(evidence.split()), 0, 0, 120)}"
        rel_start = max(0, min(hit.start, le) - ls)
        snippet = textutil.mask_known_tokens(textutil.clip(line, rel_start, rel_start + (hit.end - hit.start)))
        props = {"notebook_output": True, "output_line": line_no} if seg.output else {}
        return RawFinding(
            rule_id=c.rule.id, path=asset.path, message=textutil.mask_known_tokens(message),
            start_line=None if seg.output else line_no, end_line=None if seg.output else end_line,
            snippet=snippet, kind=asset.kind, fingerprint_key=textutil.mask_known_tokens(key),
            cell=seg.cell, properties=props,
        )
