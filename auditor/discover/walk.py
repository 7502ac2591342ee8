"""Listing the target's files without git: a bounded walk that honours the .gitignore files inside
the root (gitignore semantics from pathspec), never follows directory symlinks and never descends
past ``max_depth``."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from auditor.model import Skipped


@dataclass
class WalkResult:
    paths: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    ignored: int = 0  # entries left out by a .gitignore (an ignored folder counts once)


def _spec(dir_path: Path) -> pathspec.PathSpec | None:
    ignore = dir_path / ".gitignore"
    try:
        st = ignore.lstat()
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size > 1024 * 1024:
        return None
    try:
        lines = ignore.read_text("utf-8", "replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


def walk(root: Path, max_depth: int) -> WalkResult:
    out = WalkResult()
    # stack of (directory relative path, depth, ignore specs in force with their base dir)
    stack: list[tuple[str, int, list[tuple[str, pathspec.PathSpec]]]] = [("", 0, [])]
    while stack:
        rel_dir, depth, specs = stack.pop()
        abs_dir = root / rel_dir if rel_dir else root
        own = _spec(abs_dir)
        if own is not None:
            specs = [*specs, (rel_dir, own)]
        try:
            entries = sorted(os.scandir(abs_dir), key=lambda e: e.name)
        except OSError as exc:
            out.skipped.append(Skipped(rel_dir or ".", f"unreadable directory: {exc.strerror}"))
            continue
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if entry.name == ".git":
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if _ignored(rel, is_dir, specs):
                out.ignored += 1
                continue
            if is_dir:
                if depth + 1 >= max_depth:
                    out.skipped.append(Skipped(rel + "/", f"deeper than the limit of {max_depth} directories"))
                    continue
                stack.append((rel, depth + 1, specs))
            else:
                out.paths.append(rel)
    out.paths.sort()
    return out


def _ignored(rel: str, is_dir: bool, specs: list[tuple[str, pathspec.PathSpec]]) -> bool:
    result = False
    for base, spec in specs:
        sub = rel[len(base) + 1:] if base else rel
        probe = sub + "/" if is_dir else sub
        # later (deeper) specs override earlier ones, as in git
        verdict = spec.check_file(probe).include
        if verdict is not None:
            result = verdict
    return result
