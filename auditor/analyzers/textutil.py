"""Text helpers shared by the generic analyzers: bounded reads, gitignore-style globs, redaction,
entropy and line lookup. Nothing here executes or imports scanned content."""

from __future__ import annotations

import bisect
import hashlib
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pathspec

from auditor.errors import RuleError
from auditor.model import Rule, StageSpec

DEFAULT_MAX_BYTES = 8 * 1024 * 1024
BINARY_SNIFF = 8192
REDACT_KEEP = 4


@lru_cache(maxsize=512)
def globspec(patterns: tuple[str, ...]) -> pathspec.PathSpec:
    """A gitignore-style matcher (``**``, anchored ``/x``, directory ``x/``) for relative paths."""
    return pathspec.GitIgnoreSpec.from_lines(patterns)


def glob_match(patterns: Sequence[str], path: str) -> bool:
    return bool(patterns) and globspec(tuple(patterns)).match_file(path)


def read_bytes(path: Path, cap: int) -> tuple[bytes, bool]:
    """Up to ``cap`` bytes of a file and whether it was truncated. Raises OSError."""
    with path.open("rb") as fh:
        data = fh.read(cap + 1)
    if len(data) > cap:
        return data[:cap], True
    return data, False


def is_binary(data: bytes) -> bool:
    return b"\x00" in data[:BINARY_SNIFF]


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", "replace")


def shannon_entropy(text: str) -> float:
    """Shannon entropy in bits per character (0 for an empty string)."""
    if not text:
        return 0.0
    n = len(text)
    return -sum((c / n) * math.log2(c / n) for c in Counter(text).values())


def redact(secret: str) -> str:
    """Keep the first four characters, then ``****`` (shorter values are fully masked)."""
    if len(secret) <= REDACT_KEEP * 2:
        return "****"
    return secret[:REDACT_KEEP] + "****"


def secret_digest(secret: str) -> str:
    """A short one-way tag that tells two different secrets apart in fingerprints."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def redact_in(text: str, secrets: Iterable[str]) -> str:
    for s in sorted(set(secrets), key=len, reverse=True):
        if s:
            text = text.replace(s, redact(s))
    return text


# well-known token shapes, masked in any snippet we emit (also from analyzers that do not look for
# secrets), so that a token on a flagged code line never leaves the analyzer in clear
_KNOWN_TOKEN = re.compile(
    r"(?<![A-Za-z0-9])("
    r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}"
    r"|sk-(?:ant-|proj-|svcacct-)?[A-Za-z0-9_-]{16,200}"
    r"|hf_[A-Za-z0-9]{30,40}"
    r"|gh[pousr]_[A-Za-z0-9]{30,80}|github_pat_[A-Za-z0-9_]{40,120}"
    r"|glpat-[A-Za-z0-9_-]{20,40}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,100}"
    r"|[sr]k_live_[A-Za-z0-9]{16,120}"
    r"|AIza[0-9A-Za-z_-]{35}"
    r"|pypi-AgE[A-Za-z0-9_-]{40,300}"
    r"|npm_[A-Za-z0-9]{36}"
    r"|r8_[A-Za-z0-9]{37}"
    r"|gsk_[A-Za-z0-9]{48,56}"
    r"|SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"
    r"|eyJ[A-Za-z0-9_-]{10,2000}\.eyJ[A-Za-z0-9_-]{10,4000}\.[A-Za-z0-9_-]{10,2000}"
    r")"
    # passwords in URLs: scheme://user:PASSWORD@
    r"|(?<=://)[^\s:/@]{1,100}:([^\s/@]{1,200})(?=@)"
)


def mask_known_tokens(text: str) -> str:
    """Mask token-shaped substrings (provider prefixes, JWTs, URL passwords) in ``text``."""

    def sub(m: re.Match[str]) -> str:
        if m.group(1):
            return redact(m.group(1))
        whole, pw = m.group(0), m.group(2)
        return whole[: len(whole) - len(pw)] + "****"

    return _KNOWN_TOKEN.sub(sub, text)


def clip(text: str, start: int, end: int, width: int = 240) -> str:
    """The part of a (long) line around [start, end), at most about ``width`` characters."""
    if len(text) <= width:
        return text.strip()
    room = max(0, width - (end - start)) // 2
    lo = max(0, start - room)
    hi = min(len(text), end + room)
    return ("…" if lo > 0 else "") + text[lo:hi].strip() + ("…" if hi < len(text) else "")


class LineIndex:
    """Offsets -> 1-based line numbers for one text."""

    def __init__(self, text: str) -> None:
        self.text = text
        starts = [0]
        find = text.find
        pos = find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        self.starts = starts

    def __len__(self) -> int:
        return len(self.starts)

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def span(self, line: int) -> tuple[int, int]:
        """[start, end) offsets of a 1-based line, without its newline."""
        start = self.starts[line - 1]
        end = self.starts[line] - 1 if line < len(self.starts) else len(self.text)
        return start, end

    def line(self, line: int) -> str:
        s, e = self.span(line)
        return self.text[s:e]


def probe_rule(source: str, match: Mapping[str, Any]) -> Rule:
    """A stand-in rule to compile a ``match`` on its own (for ``check_match`` at rule-load time)."""
    return Rule(id="RULE-CHECK-000", title="check", stage=StageSpec(default="model-build"), severity="info",
                risks=(), applies_to=(), source=source, match=match, description="", remediation="",
                references=())


def check_error(exc: Exception) -> ValueError:
    """``rule X: field 'match.y': problem`` -> ValueError("field 'match.y': problem")."""
    text = str(exc)
    return ValueError(text.split(": ", 1)[1] if text.startswith("rule ") and ": " in text else text)


def check_compiles(source: str, match: Mapping[str, Any], compile_rule: Callable[[Rule], object]) -> None:
    """Shared ``check_match`` body: compile a stand-in rule and turn a RuleError into a ValueError
    naming the field (what the JSON schema cannot check, such as regular expression syntax)."""
    try:
        compile_rule(probe_rule(source, match))
    except RuleError as exc:
        raise check_error(exc) from exc
