"""Real processes with the working directory INSIDE the hostile target, as a developer or a CI job runs
the tool: ``python -m auditor`` and the ``auditor`` console script. The target shadows every stdlib
module and every installed distribution's top-level package, and is big enough (>= 200 files) that
the engine starts its process pool (forkserver and resource tracker are new interpreters started in
the current directory). Nothing may be imported from the target."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import time

import pytest
from helpers import VULNDB

from hostile.conftest import Hostile, console_script, scan_env
from hostile.corpus import PICKLE_RULES, python_files_that_run_on_import_at_root, write


def _shadow_names() -> list[str]:
    names = set(sys.stdlib_module_names)
    for dist_names in importlib.metadata.packages_distributions().keys():
        names.add(dist_names)
    names -= {"__future__", "auditor"}  # -m auditor resolves the package from the cwd first: see below
    return sorted(n for n in names if n.isidentifier())


def _build(h: Hostile) -> list[str]:
    python_files_that_run_on_import_at_root(h.root, h.canary)
    (h.root / "auditor").rename(h.base / "auditor-pkg")  # only in the -P case below
    (h.root / "auditor.py").unlink()
    names = _shadow_names()
    for n in names:
        write(h.root, f"{n}.py", h.canary.python(f"mod_{n}"))
    for i in range(120):
        write(h.root, f"pkg/m{i}.py", "import os\nvalue = os.environ.get('X')\n")
    return names


@pytest.mark.slow
@pytest.mark.parametrize("entry", ["python -m auditor", "console script"])
def test_cwd_inside_target_imports_nothing_from_it(hostile: Hostile, entry: str) -> None:
    names = _build(hostile)
    assert len(names) > 300
    before_state = __import__("core.test_guarantees", fromlist=["tree_state"]).tree_state(hostile.root)
    cmd = [sys.executable, "-m", "auditor"] if entry.startswith("python") else [console_script()]
    out = hostile.out / "r.json"
    t0 = time.monotonic()
    proc = subprocess.run([*cmd, "scan", ".", "--no-cache", "--jobs", "2", "--vuln-db", str(VULNDB), "-o", str(out)],
                          cwd=hostile.root, capture_output=True, text=True, env=scan_env(), timeout=240,
                          check=False)
    assert time.monotonic() - t0 < 240
    assert os.listdir(hostile.canary.dir) == [], "imported from the target: " + ", ".join(
        sorted(os.listdir(hostile.canary.dir))[:20])
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    results = json.loads(out.read_text())
    assert {f["rule_id"] for f in results["findings"] if f["location"]["path"] == "model.pkl"} & PICKLE_RULES
    assert results["inventory"]["files"] >= 200  # the process pool ran
    assert __import__("core.test_guarantees", fromlist=["tree_state"]).tree_state(hostile.root) == before_state


def test_python_m_auditor_with_an_auditor_package_in_cwd_needs_safe_path(hostile: Hostile) -> None:
    """Documented limit (SECURITY.md): ``python -m auditor`` resolves ``auditor`` itself from the
    current directory first, before any of our code runs. ``python -P -m auditor`` (or the console
    script) does not; this test pins that the safe form stays safe."""
    write(hostile.root, "auditor/__init__.py", hostile.canary.python("auditor_pkg"))
    write(hostile.root, "auditor/__main__.py", hostile.canary.python("auditor_main"))
    write(hostile.root, "model.pkl", hostile.canary.pickle("p_model"))
    out = hostile.out / "r.json"
    for cmd in ([sys.executable, "-P", "-m", "auditor"], [console_script()]):
        proc = subprocess.run([*cmd, "scan", ".", "--no-cache", "--vuln-db", str(VULNDB), "-o", str(out)],
                              cwd=hostile.root, capture_output=True, text=True, env=scan_env(), timeout=120,
                              check=False)
        assert proc.returncode == 1, proc.stderr[-2000:]
        assert os.listdir(hostile.canary.dir) == []
