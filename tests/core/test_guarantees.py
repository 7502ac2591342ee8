"""The guarantees of DESIGN.md: read-only on the target, nothing from the target is executed or
imported, findings instead of crashes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import VULNDB, write_tree

from auditor.cli import main


def tree_state(root: Path) -> dict[str, tuple[int, str]]:
    """Every path with its mode and content hash (symlinks by their target)."""
    state: dict[str, tuple[int, str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            st = p.lstat()
            if p.is_symlink():
                state[rel] = (st.st_mode, "link:" + os.readlink(p))
            elif p.is_file():
                state[rel] = (st.st_mode, hashlib.sha256(p.read_bytes()).hexdigest())
            else:
                state[rel] = (st.st_mode, "dir")
    return state


def hostile_target(root: Path, canary_dir: Path) -> Path:
    canary = lambda name: str(canary_dir / name)  # noqa: E731
    code = lambda name: f"open({canary(name)!r}, 'w').write('pwned')\n"  # noqa: E731
    payload = f"cos\nsystem\n(S'touch {canary('pickle')}'\ntR.".encode()
    write_tree(root, {
        "conftest.py": code("conftest"), "setup.py": code("setup"), "sitecustomize.py": code("sitecustomize"),
        "json.py": code("json"), "yaml.py": code("yaml"), "click.py": code("click"), "rich.py": code("rich"),
        "evil.pth": f"import os; os.system('touch {canary('pth')}')\n",
        "model.pkl": payload, "weights.bin": payload, "noext": payload,
        "config.yaml": f"!!python/object/apply:os.system ['touch {canary('yaml')}']\n",
        "requirements.txt": "requests==2.19.0\n",
        "train.py": "import torch\nmodel = torch.load('model.pkl')\n",
    })
    return root


@pytest.mark.slow
def test_hostile_tree_is_inert_and_unchanged(tmp_path: Path) -> None:
    canaries = tmp_path / "canaries"
    canaries.mkdir()
    root = hostile_target(tmp_path / "target", canaries)
    before = tree_state(root)
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    # run from inside the target, as `python -m auditor` and as the console script: the cwd is on
    # sys.path for -m, so a hostile json.py there must still not be imported
    for cmd in ([sys.executable, "-m", "auditor"], [str(Path(sys.executable).parent / "auditor")]):
        proc = subprocess.run([*cmd, "scan", ".", "--vuln-db", str(VULNDB), "-o", str(out / "r.json")],
                              cwd=root, capture_output=True, text=True, env=env, timeout=300)
        assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
        assert "Traceback" not in proc.stderr
    assert list(canaries.iterdir()) == []
    assert tree_state(root) == before


def test_in_process_scan_leaves_tree_unchanged(tmp_path: Path) -> None:
    canaries = tmp_path / "canaries"
    canaries.mkdir()
    root = hostile_target(tmp_path / "target", canaries)
    before = tree_state(root)
    rc = main(["scan", str(root), "--vuln-db", str(VULNDB), "-o", str(tmp_path / "r.json")])
    assert rc == 1
    assert list(canaries.iterdir()) == []
    assert tree_state(root) == before
