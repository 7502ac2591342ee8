"""Shared pieces for the "where it runs" tests: README snippets, git repositories, fake secrets."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from helpers import REPO

from auditor import yamlio

README = REPO / "README.md"
VENV_BIN = Path(sys.executable).parent
AUDITOR = VENV_BIN / "auditor"
SECTION = "## Where it runs"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def readme_section() -> str:
    text = README.read_text("utf-8")
    start = text.index(SECTION)
    nxt = text.find("\n## ", start + len(SECTION))
    return text[start:] if nxt < 0 else text[start:nxt]


def snippets(heading: str, lang: str) -> list[str]:
    """Fenced blocks of ``lang`` under the ``### heading`` of the README's "Where it runs" section."""
    sec = readme_section()
    marker = f"### {heading}"
    start = sec.index(marker)
    nxt = sec.find("\n### ", start + len(marker))
    part = sec[start:] if nxt < 0 else sec[start:nxt]
    return [body for fence_lang, body in _FENCE.findall(part) if fence_lang == lang]


def yaml_snippets(heading: str) -> list[Any]:
    return [yamlio.load(s) for s in snippets(heading, "yaml")]


def fake_github_token(seed: int) -> str:
    """A syntactically valid, random-looking GitHub token, built at run time (never committed)."""
    rng = random.Random(seed)
    alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "gh" + "p_" + "".join(rng.choice(alphabet) for _ in range(36))


def git_env(home: Path) -> dict[str, str]:
    """An environment where git and pre-commit see only this test's configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    home.mkdir(parents=True, exist_ok=True)
    gitconfig = home / ".gitconfig"
    gitconfig.write_text("[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n")
    env.update({
        "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": str(gitconfig),
        "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.invalid",
        "GIT_TERMINAL_PROMPT": "0", "PRE_COMMIT_HOME": str(home / "pre-commit"),
        "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
        "NO_COLOR": "1", "TERM": "dumb",
    })
    return env


def git(repo: Path, env: Mapping[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["git", "-C", str(repo), *args], env=dict(env), capture_output=True, text=True,
                          timeout=120, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def init_repo(repo: Path, env: Mapping[str, str]) -> Path:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, env, "init", "-q", "-b", "main")
    return repo


def write(root: Path, files: Mapping[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, "utf-8")


def tree_snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root except .git internals, with its bytes."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if rel == ".git" or rel.startswith(".git/"):
            continue
        if p.is_file() and not p.is_symlink():
            out[rel] = p.read_bytes()
    return out
