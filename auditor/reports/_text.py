"""Text hygiene shared by every reporter: strip characters no output format can carry, shorten long
scanned text, and escape Markdown. Scanned text is data; these helpers make sure it stays data."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

# C0 controls except tab / newline / carriage return, DEL, C1 controls, lone surrogates and the two
# XML non-characters: none is allowed in XML 1.0, and none means anything in a report.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# bidi overrides and zero-width characters that can make a displayed path or snippet lie
_BIDI = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def clean(value: Any, *, keep_newlines: bool = True) -> str:
    """``value`` as text without control characters, bidi overrides or lone surrogates."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _BIDI.sub("", text)
    if not keep_newlines:
        text = " ".join(text.split())
    return text


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def shorten_lines(text: str, max_lines: int, max_chars: int) -> str:
    lines = text.split("\n")
    if len(lines) > max_lines:
        lines = lines[:max_lines] + [f"… ({len(text.splitlines()) - max_lines} more lines)"]
    return shorten("\n".join(lines), max_chars)


def canonical_sha256(results: Mapping[str, Any]) -> str:
    """Digest of the canonical JSON form (sorted keys, compact), when the file bytes are not known."""
    data = json.dumps(results, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()


# '.', '-' and '+' matter only at the start of a line, and escaped text never starts one
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|~])")


def md_escape(value: Any) -> str:
    """Text that Markdown (GitHub / GitLab flavoured) shows literally: no HTML, no links, no
    emphasis, no table breaks, no @mentions; newlines become spaces."""
    text = clean(value, keep_newlines=False)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # '@name' would notify a user, ':' after a scheme turns text into an autolink
    return text.replace("@", "&#64;").replace("://", "&#58;//").replace("www.", "www&#46;")


def as_map(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a mapping, else an empty one (results documents are read defensively)."""
    return value if isinstance(value, Mapping) else {}


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""
