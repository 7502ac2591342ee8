"""Suppression abuse: a committed config or ignore file that hides everything. The exclusion is a
finding (AUDIT-EXCLUDE-001 when some files are left, AUDIT-EXCLUDE-002, which fails the gate, when
nothing is left), so its count shows in every output format; tracked files are scanned even when a
.gitignore lists them."""

from __future__ import annotations

import re
import subprocess

import pytest

from hostile.conftest import Hostile
from hostile.corpus import PICKLE_RULES, write
from hostile.outputs import ALL_OUTPUTS, texts


def _git(root: object, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                   env={"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root), "GIT_AUTHOR_NAME": "a",
                        "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@b",
                        "PATH": "/usr/bin:/bin"})


@pytest.mark.slow
def test_config_excluding_everything_is_reported_in_every_format(hostile: Hostile) -> None:
    write(hostile.root, ".auditor.yaml", 'exclude: ["**"]\n')
    write(hostile.root, "model.pkl", hostile.canary.pickle("excluded"))
    write(hostile.root, "src/app.py", "import os\n")
    run = hostile.scan(outputs=ALL_OUTPUTS, seconds=60)
    assert run.rc == 1
    assert run.rules_on(".") >= {"AUDIT-EXCLUDE-002"}
    assert run.results is not None and run.results["inventory"]["excluded"] == 3
    for name, text in texts(run.outputs, run.stdout).items():
        if name == "bom.cdx.json":
            continue  # the SBOM lists components, not findings
        flat = re.sub(r"\s+", " ", text).replace("\\", "")  # Markdown escapes ( and )
        assert "3 file(s) excluded" in flat, f"{name} does not show the excluded count"


def test_gitignore_ignoring_everything_outside_git_fails_the_gate(hostile: Hostile) -> None:
    write(hostile.root, ".gitignore", "*\n")
    write(hostile.root, "model.pkl", hostile.canary.pickle("ignored"))
    run = hostile.scan()
    assert run.rc == 1
    assert "AUDIT-EXCLUDE-002" in run.rules_on(".")
    assert run.results is not None and run.results["inventory"]["ignored"] == 2
    assert run.results["inventory"]["listing"] == "walk"


def test_partial_exclusion_is_an_info_finding_and_no_exclusion_none(hostile: Hostile) -> None:
    write(hostile.root, ".auditor.yaml", 'exclude: ["vendor/**"]\n')
    write(hostile.root, "vendor/lib.py", "x = 1\n")
    write(hostile.root, "model.pkl", hostile.canary.pickle("partial"))
    run = hostile.scan()
    assert "AUDIT-EXCLUDE-001" in run.rules_on(".") and "AUDIT-EXCLUDE-002" not in run.rules_on(".")
    assert run.rules_on("model.pkl") & PICKLE_RULES
    (hostile.root / ".auditor.yaml").unlink()
    run = hostile.scan()
    assert not {"AUDIT-EXCLUDE-001", "AUDIT-EXCLUDE-002"} & run.rules_on(".")


def test_tracked_files_are_scanned_although_gitignore_lists_them(hostile: Hostile) -> None:
    root = hostile.root
    write(root, "model.pkl", hostile.canary.pickle("tracked"))
    write(root, "deep/weights.bin", hostile.canary.pickle("tracked2"))
    _git(root, "init", "-q", ".")
    _git(root, "add", "model.pkl", "deep/weights.bin")
    _git(root, "commit", "-qm", "models")
    write(root, ".gitignore", "*\n*.pkl\ndeep/\n")
    write(root, "deep/.gitignore", "*\n")
    run = hostile.scan()
    assert run.results is not None and run.results["inventory"]["listing"] == "git"
    assert run.rules_on("model.pkl") & PICKLE_RULES
    assert run.rules_on("deep/weights.bin") & PICKLE_RULES
    assert run.rc == 1
