"""`auditor scan --diff-base REF`: findings present at REF are baselined, new ones gate; the tree at
REF is read without running hooks or filters, into a private folder outside the target that is
removed afterwards; the target is not modified. The README's command is the one exercised."""

from __future__ import annotations

import json
import shlex
import shutil
import tempfile
from pathlib import Path

import pytest
from where_support import fake_github_token, git, git_env, init_repo, snippets, tree_snapshot, write

from auditor import diffbase
from auditor.cli import main

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

OLD = f'OLD_TOKEN = "{fake_github_token(101)}"\n'
NEW = f'NEW_TOKEN = "{fake_github_token(102)}"\n'


def _readme_command() -> list[str]:
    (block,) = snippets("Change-aware CI: only what is new", "sh")
    argv = shlex.split(block.strip())
    assert argv[:2] == ["auditor", "scan"] and "--diff-base" in argv
    return argv[1:]


@pytest.fixture()
def clone(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A clone whose origin/main has old.py with a secret; the work tree is on a feature branch."""
    env = git_env(tmp_path / "home")
    upstream = init_repo(tmp_path / "upstream", env)
    write(upstream, {"src/old.py": "import os\n\n" + OLD, "README.md": "# p\n"})
    git(upstream, env, "add", ".")
    git(upstream, env, "commit", "-q", "-m", "base")
    work = tmp_path / "work"
    git(tmp_path, env, "clone", "-q", str(upstream), str(work))
    git(work, env, "checkout", "-q", "-b", "feature")
    return work, env


def _scan(work: Path, argv: list[str], monkeypatch: pytest.MonkeyPatch, tmp: Path) -> tuple[int, dict]:
    """Run the README command from the repository, writing outside it (as the README's ../out does)."""
    monkeypatch.chdir(work)
    out_arg = argv.index("-o") + 1
    out = tmp / "out" / Path(argv[out_arg]).name
    argv = [*argv[:out_arg], str(out), *argv[out_arg + 1:], "--no-cache"]
    rc = main(argv)
    return rc, json.loads(out.read_text())


def _status(doc: dict, path: str) -> set[tuple[str, str]]:
    return {(f["rule_id"], f["status"]) for f in doc["findings"] if f["location"]["path"] == path}


def test_finding_present_at_base_does_not_fail(clone: tuple[Path, dict[str, str]], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    work, env = clone
    # the change moves the old secret down and touches another file: nothing new
    write(work, {"src/old.py": "import os\n\n\n# moved\n" + OLD, "README.md": "# p\n\nmore\n"})
    git(work, env, "commit", "-q", "-am", "move")
    plain, _ = _scan(work, ["scan", ".", "-o", "x.json"], monkeypatch, tmp_path / "a")
    assert plain == 1, "without --diff-base the old secret fails the gate"
    rc, doc = _scan(work, _readme_command(), monkeypatch, tmp_path / "b")
    assert rc == 0, [f for f in doc["findings"] if f["status"] == "open"]
    assert ("SECRET-GITHUB-001", "baselined") in _status(doc, "src/old.py")
    f = next(f for f in doc["findings"] if f["location"]["path"] == "src/old.py")
    assert "origin/main" in f["status_reason"]
    db = doc["audit"]["diff_base"]
    assert db["ref"] == "origin/main" and len(db["commit"]) == 40 and db["matched"] >= 1


def test_new_finding_fails(clone: tuple[Path, dict[str, str]], tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    work, env = clone
    write(work, {"src/new.py": NEW})
    git(work, env, "add", ".")
    git(work, env, "commit", "-q", "-m", "new secret")
    rc, doc = _scan(work, _readme_command(), monkeypatch, tmp_path)
    assert rc == 1
    assert ("SECRET-GITHUB-001", "open") in _status(doc, "src/new.py")
    assert ("SECRET-GITHUB-001", "baselined") in _status(doc, "src/old.py")
    assert any("SECRET-GITHUB-001" in r for r in doc["gate"]["reasons"])


def test_uncommitted_new_finding_fails_too(clone: tuple[Path, dict[str, str]], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    work, _ = clone
    write(work, {"src/old.py": "import os\n\n" + OLD + NEW})  # a second secret in a known file
    rc, doc = _scan(work, _readme_command(), monkeypatch, tmp_path)
    assert rc == 1
    assert _status(doc, "src/old.py") == {("SECRET-GITHUB-001", "baselined"), ("SECRET-GITHUB-001", "open")}


def test_no_hooks_or_filters_run_and_target_untouched(clone: tuple[Path, dict[str, str]], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    work, env = clone
    marker = tmp_path / "RAN"
    # a smudge filter (git archive and checkout would run it), and hooks for every event
    write(work, {".gitattributes": "* filter=evil\n"})
    git(work, env, "add", ".gitattributes")
    git(work, env, "commit", "-q", "-m", "attrs")
    base = git(work, env, "rev-parse", "HEAD").stdout.strip()
    write(work, {"src/new.py": NEW})
    before = tree_snapshot(work)
    status_before = git(work, env, "status", "--porcelain").stdout
    for key in ("smudge", "clean", "process"):
        git(work, env, "config", f"filter.evil.{key}", f"sh -c 'touch {marker}; cat'")
    hooks = work / ".git" / "hooks"
    for hook in ("post-checkout", "pre-commit", "post-merge", "reference-transaction", "pre-auto-gc",
                 "fsmonitor-watchman"):
        (hooks / hook).write_text(f"#!/bin/sh\ntouch {marker}\n")
        (hooks / hook).chmod(0o755)
    private_tmp = tmp_path / "private-tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    rc, doc = _scan(work, ["scan", ".", "--diff-base", base, "-o", "r.json"], monkeypatch, tmp_path)
    assert rc == 1 and ("SECRET-GITHUB-001", "open") in _status(doc, "src/new.py")
    assert not marker.exists(), "a git hook or filter ran"
    assert tree_snapshot(work) == before
    git(work, env, "config", "--remove-section", "filter.evil")
    assert git(work, env, "status", "--porcelain").stdout == status_before
    assert list(private_tmp.iterdir()) == [], "the exported tree must be removed"


def test_temporary_folder_inside_target_is_refused(clone: tuple[Path, dict[str, str]], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    work, _ = clone
    inside = work / "tmp-inside"
    inside.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(inside))
    monkeypatch.chdir(work)
    assert main(["scan", ".", "--diff-base", "origin/main", "--no-cache"]) == 2
    assert "outside" in capsys.readouterr().err
    assert list(inside.iterdir()) == []


@pytest.mark.parametrize("ref, message", [
    ("no-such-branch", "no such commit"),
    ("--upload-pack=touch", "not a git ref"),
    ("-x", "not a git ref"),
    ("main\nx", "not a git ref"),
])
def test_bad_refs_are_usage_errors(clone: tuple[Path, dict[str, str]], ref: str, message: str,
                                   monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    work, _ = clone
    monkeypatch.chdir(work)
    assert main(["scan", ".", "--diff-base", ref, "--no-cache"]) == 2
    assert message in capsys.readouterr().err


def test_not_a_git_work_tree_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "plain"
    write(plain, {"a.py": "x = 1\n"})
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert main(["scan", str(plain), "--diff-base", "main", "--no-cache"]) == 2
    assert "not inside a git work tree" in capsys.readouterr().err


def test_subdirectory_target_uses_the_same_subtree_at_base(clone: tuple[Path, dict[str, str]], tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    work, env = clone
    write(work, {"src/new.py": NEW})
    out = tmp_path / "o" / "r.json"
    monkeypatch.chdir(tmp_path)
    rc = main(["scan", str(work / "src"), "--diff-base", "origin/main", "--no-cache", "-o", str(out)])
    doc = json.loads(out.read_text())
    assert rc == 1
    assert ("SECRET-GITHUB-001", "baselined") in _status(doc, "old.py")
    assert ("SECRET-GITHUB-001", "open") in _status(doc, "new.py")


def test_export_writes_stored_bytes_and_skips_unsafe_entries(clone: tuple[Path, dict[str, str]],
                                                            tmp_path: Path) -> None:
    work, env = clone
    (work / "link").symlink_to("/etc/passwd")
    (work / "src" / "exec.sh").write_text("#!/bin/sh\necho hi\r\n")
    git(work, env, "add", ".")
    git(work, env, "commit", "-q", "-m", "links")
    commit, prefix = diffbase.resolve(work, "HEAD")
    assert prefix == ""
    entries = diffbase.list_tree(work, commit, prefix)
    dest = tmp_path / "dest"
    dest.mkdir()
    written = diffbase.export(work, commit, entries, dest, max_size=1 << 20)
    assert sorted(written) == ["README.md", "link", "src/exec.sh", "src/old.py"]
    assert (dest / "src" / "exec.sh").read_bytes() == b"#!/bin/sh\necho hi\r\n"  # no eol conversion
    assert (dest / "link").is_symlink()  # recreated as a link; discovery refuses links leaving the root
    (tmp_path / "d2").mkdir()
    small = diffbase.export(work, commit, entries, tmp_path / "d2", max_size=10)
    assert "src/old.py" not in small  # over the size limit: not exported (discovery would skip it too)


def test_files_mode_compares_the_same_files(clone: tuple[Path, dict[str, str]], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    work, _ = clone
    write(work, {"src/old.py": "import os\n\n" + OLD + NEW, "src/other.py": NEW})
    out = tmp_path / "o" / "r.json"
    monkeypatch.chdir(work)
    rc = main(["scan", "--diff-base", "origin/main", "--no-cache", "-o", str(out), "src/old.py"])
    doc = json.loads(out.read_text())
    assert rc == 1 and doc["target"]["mode"] == "files"
    assert _status(doc, "src/old.py") == {("SECRET-GITHUB-001", "baselined"), ("SECRET-GITHUB-001", "open")}
    assert not _status(doc, "src/other.py")  # not given, not scanned
    assert doc["audit"]["diff_base"]["files"] == 1  # only the given file was exported from the base
