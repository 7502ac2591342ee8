"""Change-aware CI: ``auditor scan --diff-base REF`` reports and gates only the findings that are new
since a git ref, with a baseline built on the fly.

The tree at REF is exported into a private temporary folder OUTSIDE the target and scanned with the
same configuration, rules and options; the fingerprints of its findings are then applied like
``--baseline`` (a finding present at REF becomes ``baselined``). Fingerprints name the rule, the
path and what was found, not the line, so moved code stays known.

The export reads blobs with ``git ls-tree`` and ``git cat-file --batch``, not ``git archive``: archive
converts each file to its work-tree form and so runs the repository's smudge filters (including
git-lfs, which fetches from the network) - a command from the repository's configuration. cat-file
without ``--filters`` returns the stored bytes and runs nothing; no hooks run (hooksPath is /dev/null),
no lazy fetch of a partial clone happens (protocol.allow=never, GIT_NO_LAZY_FETCH=1), and every git
call carries the same hardening flags and environment as discovery (discover/gitinfo.py).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess  # noqa: S404 - git with a fixed argument list, never a shell
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import IO, Any

from auditor.discover.gitinfo import GIT_TIMEOUT, SAFE_FLAGS, _git_env
from auditor.errors import AnalyzerError, UsageError
from auditor.pipeline import DiffBase, ScanRequest

# a ref as a user writes it: branch, tag, sha, origin/main, HEAD~3, main@{1}; never an option
_REF = re.compile(r"^[A-Za-z0-9_@][A-Za-z0-9_./@{}~^+-]{0,254}$")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class TreeEntry:
    path: str  # relative to the scanned root
    mode: str
    oid: str
    size: int


def _git_path() -> str:
    git = shutil.which("git")
    if git is None:
        raise UsageError("--diff-base needs git on PATH")
    return git


def _env() -> dict[str, str]:
    env = _git_env()
    env["GIT_NO_LAZY_FETCH"] = "1"  # a partial clone must not fetch missing blobs
    env["GIT_LFS_SKIP_SMUDGE"] = "1"
    return env


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(  # noqa: S603
            [_git_path(), *SAFE_FLAGS, "-C", str(root), *args], capture_output=True, env=_env(),
            timeout=GIT_TIMEOUT, stdin=subprocess.DEVNULL, check=False,
        )
    except subprocess.TimeoutExpired:
        raise AnalyzerError(f"--diff-base: git {args[0]} timed out after {GIT_TIMEOUT} s") from None
    except OSError as exc:
        raise UsageError(f"--diff-base: cannot run git: {exc}") from exc


def resolve(root: Path, ref: str) -> tuple[str, str]:
    """(commit id, path of ``root`` inside its repository with a trailing slash or "")."""
    if not _REF.match(ref):
        raise UsageError(f"--diff-base {ref!r}: not a git ref (a branch, tag or commit such as origin/main)")
    inside = _git(root, "rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0 or inside.stdout.strip() != b"true":
        why = inside.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"--diff-base: {root} is not inside a git work tree"
                         + (f" (git: {why[0][:200]})" if why else ""))
    proc = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    commit = proc.stdout.decode("ascii", "replace").strip()
    if proc.returncode != 0 or not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", commit):
        raise UsageError(
            f"--diff-base {ref}: no such commit in this repository. In CI fetch it first (GitHub: "
            f"actions/checkout with fetch-depth: 0; or `git fetch --depth=1 origin {ref}`)")
    prefix = _git(root, "rev-parse", "--show-prefix")
    if prefix.returncode != 0:
        raise UsageError(f"--diff-base: cannot locate {root} in its repository: "
                         f"{prefix.stderr.decode('utf-8', 'replace').strip()[:200]}")
    return commit, prefix.stdout.decode("utf-8", "surrogateescape").strip()


def list_tree(root: Path, commit: str, prefix: str) -> list[TreeEntry]:
    """Files (blobs and symlinks) of ``commit`` under ``prefix``, paths relative to ``prefix``."""
    args = ["ls-tree", "-r", "-z", "-l", "--full-tree", commit]
    if prefix:
        args += ["--", prefix.rstrip("/")]
    proc = _git(root, *args)
    if proc.returncode != 0:
        raise AnalyzerError(f"--diff-base: git ls-tree {commit[:12]} failed: "
                            f"{proc.stderr.decode('utf-8', 'replace').strip()[:200]}")
    out: list[TreeEntry] = []
    for rec in proc.stdout.split(b"\0"):
        if not rec:
            continue
        meta, _, raw_path = rec.partition(b"\t")
        parts = meta.split()
        if len(parts) != 4 or parts[1] != b"blob":
            continue  # submodules (commit) and anything unexpected
        path = raw_path.decode("utf-8", "surrogateescape")
        if prefix:
            if not path.startswith(prefix):
                continue
            path = path[len(prefix):]
        if not _safe_rel(path):
            continue
        size = int(parts[3]) if parts[3].isdigit() else 0
        out.append(TreeEntry(path=path, mode=parts[0].decode(), oid=parts[2].decode(), size=size))
    return out


def _safe_rel(path: str) -> bool:
    p = PurePosixPath(path)
    return bool(path) and not p.is_absolute() and "\0" not in path and all(
        part not in ("", ".", "..", ".git") for part in p.parts)


def _read_exact(stream: IO[bytes], n: int, sink: IO[bytes] | None) -> None:
    left = n
    while left:
        chunk = stream.read(min(left, _CHUNK))
        if not chunk:
            raise AnalyzerError("--diff-base: git cat-file ended early")
        if sink is not None:
            sink.write(chunk)
        left -= len(chunk)


def export(root: Path, commit: str, entries: Sequence[TreeEntry], dest: Path, max_size: int) -> list[str]:
    """Write the stored bytes of ``entries`` under ``dest``; returns the paths written. Regular files
    are written first (never through a symlink: O_NOFOLLOW, parents checked), symlinks last."""
    wanted = [e for e in entries if e.mode != "120000" and e.size <= max_size]
    links = [e for e in entries if e.mode == "120000"]
    written: list[str] = []
    proc = subprocess.Popen(  # noqa: S603
        [_git_path(), *SAFE_FLAGS, "-C", str(root), "cat-file", "--batch"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_env(),
    )
    assert proc.stdin is not None and proc.stdout is not None  # noqa: S101 - pipes requested above
    try:
        for e in [*wanted, *links]:
            proc.stdin.write(f"{e.oid}\n".encode())
            proc.stdin.flush()
            header = proc.stdout.readline().split()
            if len(header) != 3 or header[1] != b"blob":
                raise AnalyzerError(f"--diff-base: cannot read {e.path} at {commit[:12]} "
                                    f"({b' '.join(header).decode('utf-8', 'replace')[:80]})")
            size = int(header[2])
            target = dest.joinpath(*PurePosixPath(e.path).parts)
            if e.mode == "120000":
                buf = proc.stdout.read(size) if size <= 4096 else None
                if buf is None:
                    _read_exact(proc.stdout, size, None)
                proc.stdout.read(1)
                if buf is not None and _make_parents(dest, target):
                    try:
                        os.symlink(buf.decode("utf-8", "surrogateescape"), target)
                        written.append(e.path)
                    except OSError:
                        pass  # an unrepresentable link is simply absent, as discovery would skip it
                continue
            if not _make_parents(dest, target):
                _read_exact(proc.stdout, size + 1, None)
                continue
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(target, flags, 0o600)
            with os.fdopen(fd, "wb") as fh:
                _read_exact(proc.stdout, size, fh)
            proc.stdout.read(1)  # the newline after each object
            written.append(e.path)
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=GIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return written


def _make_parents(dest: Path, target: Path) -> bool:
    """Create the folders of ``target`` under ``dest``; False when a component is not a real folder."""
    cur = dest
    for part in target.relative_to(dest).parts[:-1]:
        cur = cur / part
        try:
            st = cur.lstat()
        except FileNotFoundError:
            cur.mkdir(mode=0o700)
            continue
        if not stat.S_ISDIR(st.st_mode):
            return False
    return True


@contextmanager
def _private_dir(root: Path) -> Iterator[Path]:
    tmp = Path(tempfile.mkdtemp(prefix="auditor-diffbase-")).resolve()
    try:
        if tmp.is_relative_to(root.resolve()):
            raise UsageError(f"--diff-base: the temporary folder {tmp} is inside the scanned tree; "
                             f"set TMPDIR to a folder outside {root}")
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _max_size(req: ScanRequest) -> int:
    by_kind: Mapping[str, int] = req.config.limit("max_file_size_by_kind")
    return int(max([req.config.limit("max_file_size"), *by_kind.values()]))


def _selected(req: ScanRequest, root: Path) -> set[str] | None:
    if req.files is None:
        return None
    out = set()
    for f in req.files:
        p = Path(f)
        absf = (p if p.is_absolute() else Path.cwd() / p).absolute()
        try:
            out.add(absf.relative_to(root).as_posix())
        except ValueError:
            continue
    return out


ScanFn = Callable[[ScanRequest], Mapping[str, Any]]


def build(req: ScanRequest, ref: str, scan: ScanFn | None = None) -> DiffBase:
    """Scan the tree at ``ref`` like ``req`` and return its findings' fingerprints."""
    if scan is None:
        from auditor.pipeline import scan as scan_fn
        scan = scan_fn
    root = req.root.resolve()
    commit, prefix = resolve(root, ref)
    entries = list_tree(root, commit, prefix)
    only = _selected(req, root)
    if only is not None:
        entries = [e for e in entries if e.path in only]
    with _private_dir(root) as tmp:
        paths = export(root, commit, entries, tmp, _max_size(req))
        base_req = replace(req, root=tmp, files=[str(tmp / p) for p in paths], baseline=None, diff_base=None,
                           outputs={})
        results = scan(base_req)
    fps = frozenset(f["fingerprint"] for f in results.get("findings", [])
                    if f.get("status") in ("open", "baselined"))
    incomplete = results.get("gate", {}).get("decision") == "incomplete"
    return DiffBase(ref=ref, commit=commit, fingerprints=fps, files=len(paths), base_incomplete=incomplete)
