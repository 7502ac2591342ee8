"""discover: one walk of the target into an inventory of classified assets.

Every file seen but not scanned is listed in ``skipped`` with its reason. Special files are never
opened, symlinks are never followed out of the root, and loops are harmless (directory symlinks are
not followed at all; file symlinks are resolved once and must stay inside the root).
"""

from __future__ import annotations

import os
import re
import stat
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec

from auditor.analyzers.textutil import mask_known_tokens
from auditor.config import Config
from auditor.discover import gitinfo, kinds, sniff, walk
from auditor.errors import InputError
from auditor.model import Asset, Skipped

# cheap prefilter for mask_known_tokens: a provider prefix or a JWT/URL-password shape in a name
_TOKENISH = re.compile(r"AKIA|ASIA|ABIA|ACCA|sk-|hf_|gh[pousr]_|github_pat_|glpat-|xox|_live_|AIza|pypi-|npm_|r8_|"
                       r"gsk_|SG\.|eyJ|@")

# always left out: version control internals and our own cache
ALWAYS_EXCLUDED = (".git/", ".hg/", ".svn/", ".auditor-cache/")


@dataclass(frozen=True)
class Inventory:
    root: Path
    assets: tuple[Asset, ...]
    skipped: tuple[Skipped, ...]
    all_paths: frozenset[str]
    mode: str = "full"
    git: dict[str, Any] | None = None
    excluded: int = 0
    listing: str = "walk"  # "git" when git ls-files listed the files
    ignored: int = 0  # walk only (no git): entries a .gitignore left out (an ignored folder counts once)
    extra: dict[str, Any] = field(default_factory=dict)

    def by_kind(self) -> dict[str, int]:
        return dict(sorted(Counter(a.kind for a in self.assets).items()))

    @property
    def bytes(self) -> int:
        return sum(a.size for a in self.assets)


def _special_reason(mode: int) -> str | None:
    if stat.S_ISFIFO(mode):
        return "special file (FIFO): never opened"
    if stat.S_ISSOCK(mode):
        return "special file (socket): never opened"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "special file (device): never opened"
    if stat.S_ISDIR(mode):
        return "directory"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    return None


def _safe_name(rel: str) -> str:
    """Paths are reported as text; undecodable bytes are kept as escapes, never raw, and a token-shaped
    part of a name (``ghp_...``, ``AKIA...``) is masked like a secret in a snippet: a file name is
    printed in every report."""
    name = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return mask_known_tokens(name) if _TOKENISH.search(name) else name


def _classify(root: Path, rel: str, config: Config) -> Asset | Skipped:
    abspath = root / rel
    name = _safe_name(rel)
    try:
        st = abspath.lstat()
    except OSError as exc:
        return Skipped(name, f"cannot stat: {exc.strerror}")
    if stat.S_ISLNK(st.st_mode):
        try:
            target = abspath.resolve(strict=True)
        except (OSError, RuntimeError):
            return Skipped(name, "symlink loop or dangling symlink: not followed")
        try:
            target.relative_to(root)
        except ValueError:
            return Skipped(name, "symlink leaves the scanned root: not followed")
        try:
            st = target.stat()
        except OSError as exc:
            return Skipped(name, f"cannot stat symlink target: {exc.strerror}")
        abspath = target
    reason = _special_reason(st.st_mode)
    if reason is not None:
        return Skipped(name, reason)
    if not os.access(abspath, os.R_OK):
        return Skipped(name, "unreadable: permission denied")
    kind, fmt = kinds.kind_by_name(name)
    limit = config.limit("max_file_size_by_kind").get(kind, config.limit("max_file_size"))
    if st.st_size > limit:
        return Skipped(name, f"too large for a {kind} file: {st.st_size} bytes > limit {limit} "
                             f"(raise limits.max_file_size_by_kind.{kind})")
    detail: dict[str, Any] = {}
    if kind not in ("python", "notebook") and st.st_size > 0:
        sn = sniff.sniff(abspath, name.lower(), st.st_size, config.limit("zip_max_members"))
        if "error" in sn.detail and sn.format is None:
            return Skipped(name, f"unreadable: {sn.detail['error']}")
        kind, fmt = kinds.refine(kind, fmt, sn.format)
        detail = sn.detail
        if kind == "model":
            mlimit = config.limit("max_file_size_by_kind").get("model", limit)
            if st.st_size > mlimit:
                return Skipped(name, f"too large for a model file: {st.st_size} bytes > limit {mlimit}")
    if kind == "config" and name.lower().endswith((".yaml", ".yml")):
        try:
            with abspath.open("rb") as fh:
                head = fh.read(65536).decode("utf-8", "replace")
        except OSError as exc:
            return Skipped(name, f"unreadable: {exc.strerror}")
        k8s = kinds.yaml_kind(head)
        if k8s is not None:
            kind, fmt = k8s
    return Asset(path=name, abspath=abspath, kind=kind, size=st.st_size, format=fmt, detail=detail)


def _exclude_spec(config: Config) -> pathspec.PathSpec:
    return pathspec.GitIgnoreSpec.from_lines([*ALWAYS_EXCLUDED, *(config.get("exclude") or [])])


def discover(root: Path, config: Config, files: Sequence[str] | None = None, mode: str = "full") -> Inventory:
    """Inventory of ``root``; with ``files``, only those (relative to root), as pre-commit passes them."""
    if not root.exists():
        raise InputError(f"{root}: path does not exist")
    if not root.is_dir():
        raise InputError(f"{root}: not a directory (pass files after a directory root, or a directory)")
    root = root.resolve()
    skipped: list[Skipped] = []
    listed = gitinfo.ls_files(root)
    listing = "git" if listed is not None else "walk"
    ignored = 0
    if listed is None:
        walked = walk.walk(root, int(config.limit("max_depth")))
        listed = walked.paths
        skipped.extend(walked.skipped)
        # without git, a .gitignore in the tree decides what is scanned: count what it hid
        ignored = walked.ignored
    all_paths = frozenset(_safe_name(p) for p in listed)
    candidates = listed
    if files is not None:
        candidates = []
        for f in files:
            p = Path(f)
            absf = (p if p.is_absolute() else Path.cwd() / p).absolute()
            try:
                rel = absf.relative_to(root).as_posix()
            except ValueError:
                raise InputError(f"{f}: file is outside the scanned root {root}") from None
            if not absf.exists() and not absf.is_symlink():
                skipped.append(Skipped(_safe_name(rel), "does not exist (deleted?)"))
                continue
            candidates.append(rel)
    excl = _exclude_spec(config)
    user_excl = pathspec.GitIgnoreSpec.from_lines(config.get("exclude") or [])
    assets: list[Asset] = []
    excluded = 0
    max_files = int(config.limit("max_files"))
    for rel in sorted(set(candidates)):
        if excl.match_file(rel):
            if user_excl.match_file(rel):
                excluded += 1
                skipped.append(Skipped(_safe_name(rel), "excluded by configuration"))
            continue
        item = _classify(root, rel, config)
        if isinstance(item, Skipped):
            if item.reason != "directory":
                skipped.append(item)
        elif len(assets) >= max_files:
            skipped.append(Skipped(item.path, f"over the limit of {max_files} files (limits.max_files)"))
        else:
            assets.append(item)
    return Inventory(
        root=root, assets=tuple(assets), skipped=tuple(sorted(skipped, key=lambda s: s.path)),
        all_paths=all_paths, mode=mode, git=gitinfo.head_info(root), excluded=excluded, listing=listing,
        ignored=ignored,
    )
