"""Git facts about the target, read so that nothing in the target's repository can run.

``git ls-files`` is called with fsmonitor and the untracked cache disabled on the command line
(which outranks the repository's own config), no pager and no prompts; ls-files runs no hooks or
filters. Commit and branch are read from ``.git`` files directly, with no git process at all.
"""

from __future__ import annotations

import os
import shutil
import subprocess  # noqa: S404 - git is called with a fixed argument list, never a shell
from pathlib import Path

GIT_TIMEOUT = 60


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({
        "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "PAGER": "cat", "GIT_OPTIONAL_LOCKS": "0",
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_ASKPASS": "/bin/false", "SSH_ASKPASS": "/bin/false",
    })
    return env


SAFE_FLAGS = ("-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false", "-c", "core.hooksPath=/dev/null",
              "-c", "core.pager=cat", "-c", "protocol.allow=never")


def ls_files(root: Path) -> list[str] | None:
    """Tracked plus untracked-not-ignored files under ``root`` (the top of a work tree), or None
    when git is unavailable or refuses (then the caller walks the tree itself)."""
    git = shutil.which("git")
    if git is None or not (root / ".git").exists():
        return None
    try:
        proc = subprocess.run(  # noqa: S603
            [git, *SAFE_FLAGS, "-C", str(root), "ls-files", "-z", "--cached", "--others",
             "--exclude-standard", "--full-name"],
            capture_output=True, env=_git_env(), timeout=GIT_TIMEOUT, stdin=subprocess.DEVNULL, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    names = [n for n in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if n]
    return sorted(set(names))


def _read_small(path: Path) -> str | None:
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > 64 * 1024:
            return None
        return path.read_text("utf-8", "replace")
    except OSError:
        return None


def head_info(root: Path) -> dict[str, object] | None:
    """Commit and branch of the work tree at ``root`` read from .git files, or None."""
    gitdir = root / ".git"
    if gitdir.is_file():  # worktree or submodule: "gitdir: <path>"
        text = _read_small(gitdir) or ""
        if text.startswith("gitdir:"):
            gitdir = (root / text.split(":", 1)[1].strip()).resolve()
    if not gitdir.is_dir():
        return None
    head = (_read_small(gitdir / "HEAD") or "").strip()
    branch: str | None = None
    commit: str | None = None
    if head.startswith("ref:"):
        ref = head[4:].strip()
        branch = ref.removeprefix("refs/heads/")
        commit = (_read_small(gitdir / ref) or "").strip() or None
        if commit is None:
            common = gitdir
            commondir = _read_small(gitdir / "commondir")
            if commondir:
                common = (gitdir / commondir.strip()).resolve()
                commit = (_read_small(common / ref) or "").strip() or None
            if commit is None:
                for line in (_read_small(common / "packed-refs") or "").splitlines():
                    parts = line.split()
                    if len(parts) == 2 and parts[1] == ref:
                        commit = parts[0]
    elif len(head) == 40:
        commit = head
    if commit is not None and not all(c in "0123456789abcdef" for c in commit.lower()):
        commit = None
    # dirty is left unknown: `git status` may run the repository's clean filters
    return {"commit": commit, "branch": branch, "dirty": None}
