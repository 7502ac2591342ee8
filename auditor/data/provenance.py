"""Provenance and hygiene: dataset cards (datasheets), the source and licence they name, large
binaries tracked by neither Git LFS nor DVC, and notebook shell downloads without a checksum."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

import pathspec
import yaml

from auditor import fsio, yamlio

CARD_MAX_BYTES = 256 * 1024
MAX_CARDS = 8
LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"

_CARD_EXACT = frozenset({
    "dataset_card.md", "dataset-card.md", "datasetcard.md", "data_card.md", "data-card.md", "datacard.md",
    "dataset_card.yaml", "dataset_card.yml", "data_card.yaml", "data_card.yml",
})
_CARD_EXT = (".md", ".markdown", ".rst", ".txt", ".yaml", ".yml")
_README = frozenset({"readme.md", "readme.rst", "readme.txt", "readme", "readme.markdown"})


@dataclass(frozen=True)
class Card:
    path: str
    kind: str  # datasheet | readme | dvc | dvc.yaml


def dir_index(paths: Iterable[str]) -> dict[str, list[str]]:
    """Folder ("" for the root) -> names of the files directly in it."""
    index: dict[str, list[str]] = {}
    for p in paths:
        folder, _, name = p.rpartition("/")
        index.setdefault(folder, []).append(name)
    return index


def _ancestors(rel: str) -> list[str]:
    parts = rel.split("/")[:-1]
    return ["/".join(parts[:i]) for i in range(len(parts), -1, -1)]


def _is_datasheet(name: str) -> bool:
    low = name.lower()
    return low in _CARD_EXACT or (low.startswith("datasheet") and low.endswith(_CARD_EXT))


def find_cards(rel: str, index: Mapping[str, list[str]], dvc_outs: Iterable[tuple[str, str]]) -> list[Card]:
    """Every card that documents the dataset ``rel``: datasheets in its folder or any ancestor, a
    README in its folder or an ancestor other than the root, a ``.dvc`` sidecar (of the file or of a
    folder above it), a dvc.yaml stage that outputs it. Nearest first."""
    cards: list[Card] = []
    folders = _ancestors(rel)
    for folder in folders:
        for name in sorted(index.get(folder, ())):
            if _is_datasheet(name):
                cards.append(Card(f"{folder}/{name}" if folder else name, "datasheet"))
    for folder in folders:
        if folder == "":
            continue
        for name in sorted(index.get(folder, ())):
            if name.lower() in _README:
                cards.append(Card(f"{folder}/{name}", "readme"))
    own = rel + ".dvc"
    folder, _, name = own.rpartition("/")
    if name in index.get(folder, ()):
        cards.append(Card(own, "dvc"))
    for anc in folders[:-1]:
        parent, _, dname = anc.rpartition("/")
        if f"{dname}.dvc" in index.get(parent, ()):
            cards.append(Card(f"{parent}/{dname}.dvc" if parent else f"{dname}.dvc", "dvc"))
    for out, dvc_file in dvc_outs:
        if rel == out or rel.startswith(out.rstrip("/") + "/"):
            cards.append(Card(dvc_file, "dvc.yaml"))
            break
    return cards[:MAX_CARDS]


_DECOR = re.compile(r"^[\s>]*(?:#{1,6}\s*|[-*+]\s+|\|\s*)?(?:\*\*|__|`)?\s*")
_SOURCE = re.compile(r"(?i)^(?:data(?:set)?[ _-]?)?(?:sources?|origin|provenance|collected[ _]from|"
                     r"collection(?:[ _]process)?|homepage|download(?:ed)?[ _]from|url)\b")
_LICENSE = re.compile(r"(?i)^(?:data(?:set)?[ _-]?)?licen[cs](?:e|es|ing)\b")
_AFTER = re.compile(r"^\s*(?:\*\*|__|`)?\s*(?::|\||=|$)")


def card_fields(text: str) -> set[str]:
    """Which of "source" and "license" a card names, as a heading or a key (``## Licence``,
    ``license: cc-by-4.0``, ``- **Source**: ...``, a table row ``| Source | ... |``)."""
    found: set[str] = set()
    for line in text.splitlines():
        body = _DECOR.sub("", line, count=1)
        for field, rx in (("source", _SOURCE), ("license", _LICENSE)):
            m = rx.match(body)
            if m and _AFTER.match(body[m.end():]):
                found.add(field)
        if len(found) == 2:
            break
    return found


def read_text(path: Path, cap: int = CARD_MAX_BYTES) -> str:
    try:
        with fsio.open_regular(path) as fh:  # a card or .dvc file named like a dataset's may be a FIFO
            return fh.read(cap).decode("utf-8", "replace")
    except OSError:
        return ""


# --------------------------------------------------------------------------- LFS / DVC


@dataclass(frozen=True)
class LfsRule:
    base: str  # folder of the .gitattributes file ("" for the root)
    pattern: str
    lfs: bool


@lru_cache(maxsize=1024)
def _spec(pattern: str) -> pathspec.PathSpec:
    return pathspec.GitIgnoreSpec.from_lines([pattern])


def parse_gitattributes(base: str, text: str) -> list[LfsRule]:
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        pattern, attrs = parts[0], parts[1:]
        if "filter=lfs" in attrs:
            rules.append(LfsRule(base, pattern, True))
        elif "-filter" in attrs or "!filter" in attrs or any(a.startswith("filter=") for a in attrs):
            rules.append(LfsRule(base, pattern, False))
    return rules


def lfs_tracked(rel: str, rules: Iterable[LfsRule]) -> bool:
    """Git LFS tracks ``rel`` when the last matching filter line says filter=lfs."""
    verdict = False
    for r in rules:  # root first, deeper files later: later lines win, as in git
        if r.base and not rel.startswith(r.base + "/"):
            continue
        sub = rel[len(r.base) + 1:] if r.base else rel
        if _spec(r.pattern).match_file(sub):
            verdict = r.lfs
    return verdict


def _outs_of(doc: Any) -> list[str]:
    outs: list[str] = []
    stages = doc.get("stages") if isinstance(doc, dict) else None
    if isinstance(stages, dict):
        for stage in stages.values():
            if not isinstance(stage, dict):
                continue
            wdir = str(stage.get("wdir") or "")
            for key in ("outs", "metrics", "plots"):
                for o in stage.get(key) or []:
                    name: Any = o
                    if isinstance(o, dict):  # dvc.yaml `- out: {cache: false}`, dvc.lock `- path: out`
                        name = o.get("path") if isinstance(o.get("path"), str) else next(iter(o), None)
                    if isinstance(name, str):
                        outs.append(str(PurePosixPath(wdir) / name) if wdir else name)
    if isinstance(doc, dict) and isinstance(doc.get("outs"), list):  # a .dvc file
        for o in doc["outs"]:
            if isinstance(o, dict) and isinstance(o.get("path"), str):
                outs.append(o["path"])
    return outs


def dvc_outputs(root: Path, paths: Iterable[str]) -> list[tuple[str, str]]:
    """(output path relative to the root, dvc.yaml path) for every dvc.yaml / dvc.lock output."""
    result: list[tuple[str, str]] = []
    for p in sorted(paths):
        name = p.rsplit("/", 1)[-1]
        if name not in ("dvc.yaml", "dvc.lock"):
            continue
        try:
            doc = yamlio.load(read_text(root / p, 1024 * 1024))
        except yaml.YAMLError:
            continue
        base = p.rpartition("/")[0]
        for out in _outs_of(doc):
            norm = str(PurePosixPath(base) / out) if base else str(PurePosixPath(out))
            result.append((norm, p))
    return result


def dvc_tracked(rel: str, index: Mapping[str, list[str]], outs: Iterable[tuple[str, str]]) -> str | None:
    """The .dvc sidecar or dvc.yaml that tracks ``rel``, or None."""
    for card in find_cards(rel, index, outs):
        if card.kind in ("dvc", "dvc.yaml"):
            return card.path
    return None


def is_lfs_pointer(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(len(LFS_POINTER)) == LFS_POINTER
    except OSError:
        return False


# --------------------------------------------------------------------------- notebook downloads

_DOWNLOAD = re.compile(r"^\s*(?:sudo\s+)?(wget|curl|gdown|aria2c)\b(?P<rest>.*)$")
_CHECKSUM = re.compile(r"\b(?:sha(?:1|224|256|384|512)sum|shasum|md5sum|b2sum|cksum|hashlib|"
                       r"file_hash|hash_prefix|checksum|--checksum|sha256)\b", re.IGNORECASE)


def shell_downloads(shell_lines: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str, str]]:
    """(cell, line, tool, command) of wget/curl/gdown/aria2c shell escapes that fetch a URL."""
    out = []
    for cell, line, cmd in shell_lines:
        for part in re.split(r"&&|;|\|\|", cmd):
            m = _DOWNLOAD.match(part)
            if m and re.search(r"(?i)\b(?:https?|ftp|s3|gs)://|\bdrive\.google\.com|\s--id\s", m.group("rest")):
                out.append((cell, line, m.group(1), cmd.strip()))
                break
    return out


def mentions_checksum(text: str) -> bool:
    return bool(_CHECKSUM.search(text))
