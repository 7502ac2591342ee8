"""A real git repository whose configuration runs commands: core.fsmonitor, hooks of every kind,
smudge/clean/process filters, a pager, an external diff, an ssh command and a credential helper, all
set to create canaries. auditor calls git only with those disabled (discover/gitinfo.py, and
``git ls-tree``/``cat-file`` for --diff-base in diffbase.py). The canaries are first proven live:
plain ``git status`` in the same repository does trigger them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from core.test_guarantees import tree_state

from hostile.conftest import Hostile
from hostile.corpus import PICKLE_RULES, Canary, write

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

HOOKS = ("pre-commit", "post-checkout", "post-index-change", "reference-transaction", "pre-auto-gc",
         "fsmonitor-watchman", "post-merge", "pre-push", "post-rewrite", "push-to-checkout")


def _git(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root.parent), "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b",
            "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@b", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False,
                          env={**base, **(env or {})}, timeout=60)


def hostile_git_repo(root: Path, canary: Canary) -> None:
    write(root, "model.pkl", canary.pickle("git_model_v1"))
    write(root, "train.py", "import os\n")
    write(root, ".gitattributes", "* filter=evil diff=evil\n")
    _git(root, "init", "-q", ".")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "v1")
    cfg = {
        "core.fsmonitor": f"{canary.shell('fsmonitor')}; echo", "core.pager": f"{canary.shell('pager')}; cat",
        "core.sshCommand": canary.shell("ssh"), "core.editor": canary.shell("editor"),
        "filter.evil.smudge": f"{canary.shell('smudge')}; cat", "filter.evil.clean": f"{canary.shell('clean')}; cat",
        "filter.evil.process": canary.shell("process"), "filter.evil.required": "true",
        "diff.evil.textconv": canary.shell("textconv"), "diff.external": canary.shell("diffext"),
        "credential.helper": f"!{canary.shell('credential')}", "core.askPass": canary.shell("askpass"),
        "gc.auto": "1", "uploadpack.packObjectsHook": canary.shell("packhook"),
    }
    for k, v in cfg.items():
        _git(root, "config", k, v)
    hooks = root / ".git" / "hooks"
    for h in HOOKS:
        (hooks / h).write_text(f"#!/bin/sh\n{canary.shell('hook-' + h)}\n")
        (hooks / h).chmod(0o755)
    write(root, "model.pkl", canary.pickle("git_model_v2") + b"")  # a modified tracked file
    write(root, "new.pkl", canary.pickle("git_new"))  # untracked


def test_canaries_are_live_when_git_runs_normally(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    canary = Canary(tmp_path / "canaries")
    canary.dir.mkdir()
    hostile_git_repo(root, canary)
    _git(root, "status")
    assert {"fsmonitor", "hook-post-index-change"} & set(os.listdir(canary.dir)), os.listdir(canary.dir)


def test_scan_of_a_hostile_git_repository_runs_none_of_its_commands(hostile: Hostile) -> None:
    hostile_git_repo(hostile.root, hostile.canary)
    run = hostile.scan()
    assert run.results is not None and run.results["inventory"]["listing"] == "git"
    assert run.rc == 1
    assert run.rules_on("model.pkl") & PICKLE_RULES and run.rules_on("new.pkl") & PICKLE_RULES


def test_diff_base_on_a_hostile_git_repository_runs_none_of_its_commands(hostile: Hostile) -> None:
    """--diff-base exports the tree at REF with ls-tree/cat-file (never archive or checkout, which
    would run the smudge filter): the canary is untouched and new.pkl is the only new finding."""
    hostile_git_repo(hostile.root, hostile.canary)
    run = hostile.scan("--diff-base", "HEAD")
    assert run.results is not None
    open_paths = {f["location"]["path"] for f in run.open_findings()}
    assert "new.pkl" in open_paths
    assert run.rc == 1
    assert run.results["audit"]["diff_base"]["files"] >= 2


def test_gitdir_file_pointing_outside_runs_none_of_its_commands(hostile: Hostile) -> None:
    """A work tree whose .git is a file (``gitdir: <path>``, as worktrees and submodules have) pointing
    to a repository outside the target with the same hostile configuration."""
    hostile_git_repo(hostile.root, hostile.canary)
    outside = hostile.base / "elsewhere.git"
    (hostile.root / ".git").rename(outside)
    (hostile.root / ".git").write_text(f"gitdir: {outside}\n")
    before = tree_state(outside)
    run = hostile.scan()
    assert tree_state(outside) == before, "the scan changed the repository's git directory"
    assert run.rc == 1
    assert run.rules_on("model.pkl") & PICKLE_RULES
