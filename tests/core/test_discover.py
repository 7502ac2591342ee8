"""discover: classification by name and content, limits, symlinks, special files, gitignore."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import zipfile
from pathlib import Path

import pytest
from helpers import write_tree

from auditor.config import Config
from auditor.discover import discover

PICKLE4 = b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x01."
PROTO0_GLOBAL = b"cos\nsystem\n(S'true'\ntR."


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _kinds(root: Path, config: Config | None = None) -> dict[str, tuple[str, str | None]]:
    inv = discover(root, config or Config())
    return {a.path: (a.kind, a.format) for a in inv.assets}


def test_classifies_by_name_and_content(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "train.py": "import torch\n",
        "nb.ipynb": '{"cells": []}',
        "requirements.txt": "torch==2.0.0\n",
        "requirements/dev.txt": "pytest\n",
        "pyproject.toml": "[project]\nname='x'\n",
        "Dockerfile": "FROM python:3.11\n",
        "docker-compose.yml": "services: {}\n",
        ".github/workflows/ci.yml": "on: push\n",
        "infra/main.tf": "resource \"x\" \"y\" {}\n",
        "k8s/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\n",
        "config/app.yaml": "debug: true\n",
        "data/train.csv": "a,b\n1,2\n",
        "README.md": "# x\n",
        "weights.bin": PICKLE4,
        "notes.txt": PROTO0_GLOBAL,
        "noext": PICKLE4,
        "model.pt": _zip({"archive/data.pkl": PICKLE4, "archive/version": b"3\n"}),
        "model.keras": _zip({"config.json": b"{}", "model.weights.h5": b"x", "metadata.json": b"{}"}),
        "arrays.npz": _zip({"a.npy": b"\x93NUMPY", "b.npy": b"\x93NUMPY"}),
        "w.h5": b"\x89HDF\r\n\x1a\n" + b"\0" * 16,
        "x.npy": b"\x93NUMPY\x01\x00" + b"\0" * 16,
        "m.safetensors": (10).to_bytes(8, "little") + b'{"a": 1} ' + b"\0" * 4,
        "m.gguf": b"GGUF\x03\x00\x00\x00" + b"\0" * 16,
        "plain.txt": "just words\n",
    })
    k = _kinds(tmp_path)
    assert k["train.py"][0] == "python"
    assert k["nb.ipynb"][0] == "notebook"
    assert k["requirements.txt"] == ("dependency", "requirements")
    assert k["requirements/dev.txt"][0] == "dependency"
    assert k["pyproject.toml"][0] == "dependency"
    assert k["Dockerfile"] == ("container", "dockerfile")
    assert k["docker-compose.yml"] == ("container", "compose")
    assert k[".github/workflows/ci.yml"][0] == "pipeline"
    assert k["infra/main.tf"] == ("iac", "terraform")
    assert k["k8s/deploy.yaml"] == ("iac", "kubernetes")
    assert k["config/app.yaml"][0] == "config"
    assert k["data/train.csv"][0] == "data"
    assert k["README.md"][0] == "doc"
    # a pickle is a model whatever its name says
    assert k["weights.bin"] == ("model", "pickle")
    assert k["notes.txt"] == ("model", "pickle")
    assert k["noext"] == ("model", "pickle")
    assert k["model.pt"] == ("model", "pytorch-zip")
    assert k["model.keras"] == ("model", "keras-v3")
    assert k["arrays.npz"][1] == "npz"
    assert k["w.h5"] == ("model", "hdf5")
    assert k["x.npy"][1] == "npy"
    assert k["m.safetensors"] == ("model", "safetensors")
    assert k["m.gguf"] == ("model", "gguf")
    assert k["plain.txt"] == ("doc", None)


def test_special_files_and_symlinks_are_skipped_with_reasons(tmp_path: Path) -> None:
    root = tmp_path / "root"
    write_tree(root, {"a.py": "x = 1\n", "sub/b.py": "y = 2\n"})
    os.mkfifo(root / "model.pkl")
    (root / "leak").symlink_to("/etc/passwd")
    (root / "zero.bin").symlink_to("/dev/zero")
    (root / "loop1").symlink_to(root / "loop2")
    (root / "loop2").symlink_to(root / "loop1")
    (root / "dirloop").symlink_to(root)
    (root / "inside.py").symlink_to(root / "a.py")
    sock = socket.socket(socket.AF_UNIX)
    sock_path = root / "s.sock"
    try:
        sock.bind(str(sock_path))
        inv = discover(root, Config())
    finally:
        sock.close()
    skipped = {s.path: s.reason for s in inv.skipped}
    paths = {a.path for a in inv.assets}
    assert paths == {"a.py", "sub/b.py", "inside.py"}
    assert "FIFO" in skipped["model.pkl"]
    assert "leaves the scanned root" in skipped["leak"]
    assert "leaves the scanned root" in skipped["zero.bin"]
    assert "loop" in skipped["loop1"]
    assert "socket" in skipped["s.sock"]


def test_walk_honours_gitignore_and_config_excludes(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        ".gitignore": "*.log\nbuild/\n!keep.log\n",
        "a.log": "x", "keep.log": "x", "build/out.py": "x = 1\n", "src/app.py": "x = 1\n",
        "src/.gitignore": "generated.py\n", "src/generated.py": "x = 1\n", "vendor/lib.py": "x = 1\n",
    })
    inv = discover(tmp_path, Config(data={"exclude": ["vendor/**"]}))
    paths = {a.path for a in inv.assets}
    assert "a.log" not in paths and "build/out.py" not in paths and "src/generated.py" not in paths
    assert {"keep.log", "src/app.py"} <= paths
    assert inv.excluded == 1
    assert {"path": "vendor/lib.py", "reason": "excluded by configuration"} in [
        {"path": s.path, "reason": s.reason} for s in inv.skipped]


def _git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e"}
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def test_git_mode_scans_tracked_files_even_if_ignored(tmp_path: Path) -> None:
    write_tree(tmp_path, {"tracked.pkl": PICKLE4, "app.py": "x = 1\n"})
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "tracked.pkl", "app.py")
    _git(tmp_path, "commit", "-qm", "init")
    write_tree(tmp_path, {".gitignore": "*.pkl\nignored.py\n", "ignored.py": "x = 1\n", "new.py": "x = 1\n",
                          "other.pkl": PICKLE4})
    inv = discover(tmp_path, Config())
    paths = {a.path for a in inv.assets}
    assert inv.listing == "git"
    assert {"tracked.pkl", "app.py", "new.py", ".gitignore"} <= paths
    assert "ignored.py" not in paths and "other.pkl" not in paths
    assert inv.git is not None and inv.git["branch"] in ("main", "master") and len(inv.git["commit"]) == 40


def test_size_and_count_limits(tmp_path: Path) -> None:
    write_tree(tmp_path, {"big.py": "x = 1\n" * 1000, "a.py": "x = 1\n", "b.py": "y = 1\n"})
    cfg = Config(data={"limits": {"max_file_size_by_kind": {"python": "1KB"}, "max_files": 1}})
    inv = discover(tmp_path, cfg)
    reasons = {s.path: s.reason for s in inv.skipped}
    assert "too large" in reasons["big.py"]
    assert len(inv.assets) == 1
    assert any("limits.max_files" in r for r in reasons.values())


def test_odd_file_names_are_reported_as_text(tmp_path: Path) -> None:
    odd = os.fsencode(str(tmp_path)) + b"/bad\xff\r::stop-commands::.py"
    with open(odd, "wb") as fh:
        fh.write(b"x = 1\n")
    inv = discover(tmp_path, Config())
    [asset] = inv.assets
    assert "\\xff" in asset.path and asset.kind == "python"
    asset.path.encode("utf-8")  # always encodable


def test_deep_trees_are_bounded(tmp_path: Path) -> None:
    p = tmp_path
    for i in range(12):
        p = p / f"d{i}"
    p.mkdir(parents=True)
    (p / "deep.py").write_text("x = 1\n")
    inv = discover(tmp_path, Config(data={"limits": {"max_depth": 5}}))
    assert not inv.assets
    assert any("deeper than the limit" in s.reason for s in inv.skipped)


@pytest.mark.parametrize("missing", ["nope"])
def test_missing_root_is_a_usage_error(tmp_path: Path, missing: str) -> None:
    from auditor.errors import InputError

    with pytest.raises(InputError, match="does not exist"):
        discover(tmp_path / missing, Config())
