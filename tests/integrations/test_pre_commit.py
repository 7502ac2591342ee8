"""pre-commit: the real `pre-commit` tool runs the hook from the README on a staged secret and a staged
torch.load; the commit is blocked naming both rule ids, then allowed after the fix. Also: the hook
manifest and the README snippets are valid for pre-commit's own schema, and the fast path runs only
what the staged files need (controls of the rest are not applicable, never "pass")."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from helpers import REPO
from where_support import (
    AUDITOR,
    VENV_BIN,
    fake_github_token,
    git,
    git_env,
    init_repo,
    write,
    yaml_snippets,
)

from auditor import yamlio
from auditor.cli import main

pytestmark = pytest.mark.skipif(not (VENV_BIN / "pre-commit").exists() or shutil.which("git") is None,
                                reason="needs git and pre-commit (pip install pre-commit; in the test extra)")

HOOKS = REPO / ".pre-commit-hooks.yaml"


def test_hook_manifest_is_valid_for_pre_commit() -> None:
    from pre_commit.clientlib import load_manifest

    hooks = load_manifest(str(HOOKS))
    (hook,) = [h for h in hooks if h["id"] == "auditor"]
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is True and hook["require_serial"] is True
    assert hook["entry"].split() == ["auditor", "scan", "--pre-commit"]


def test_readme_snippets_are_valid_pre_commit_configs(tmp_path: Path) -> None:
    from pre_commit.clientlib import load_config

    docs = [d for d in yaml_snippets("pre-commit hook") if "repos" in d]
    assert len(docs) == 2
    hook_ids = {h["id"] for h in yamlio.load(HOOKS.read_text())}
    for i, doc in enumerate(docs):
        cfg = tmp_path / f"c{i}.yaml"
        cfg.write_text(json.dumps(doc))
        loaded = load_config(str(cfg))
        for repo in loaded["repos"]:
            for hook in repo["hooks"]:
                assert hook["id"] in hook_ids, f"README names hook {hook['id']!r}, not in .pre-commit-hooks.yaml"
    local = docs[1]["repos"][0]
    assert local["repo"] == "local"
    assert local["hooks"][0]["entry"] == "auditor scan --pre-commit"


def _commit(repo: Path, env: dict[str, str]) -> tuple[int, str]:
    proc = git(repo, env, "commit", "-m", "change", check=False)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.slow
def test_real_pre_commit_blocks_then_allows(tmp_path: Path) -> None:
    env = git_env(tmp_path / "home")
    repo = init_repo(tmp_path / "project", env)
    # the README's local-hook snippet, verbatim: `auditor` is found on PATH (this venv)
    local_snippet = [s for s in yaml_snippets("pre-commit hook") if s.get("repos", [{}])[0].get("repo") == "local"][0]
    (repo / ".pre-commit-config.yaml").write_text(json.dumps(local_snippet, indent=2))
    write(repo, {"README.md": "# project\n"})
    git(repo, env, "add", ".")
    git(repo, env, "commit", "-q", "-m", "initial", "--no-verify")

    proc = git(repo, env, "config", "--get", "core.hooksPath", check=False)
    assert proc.returncode == 1, "core.hooksPath must be unset for pre-commit install"
    inst = subprocess.run([str(VENV_BIN / "pre-commit"), "install"], cwd=repo, env=env,
                                        capture_output=True, text=True, timeout=120)
    assert inst.returncode == 0, inst.stdout + inst.stderr

    token = fake_github_token(11)
    write(repo, {
        "src/settings.py": f'API_TOKEN = "{token}"\n',
        "src/train.py": "import torch\n\n\ndef load(path):\n    return torch.load(path)\n",
    })
    git(repo, env, "add", "src")
    rc, out = _commit(repo, env)
    assert rc != 0, f"commit should be blocked:\n{out}"
    assert "src/settings.py:1 SECRET-GITHUB-001" in out, out
    assert "src/train.py:5 MLCODE-TORCH-001" in out, out
    assert token not in out and token[:4] + "****" in out, "the secret must be redacted"
    assert git(repo, env, "rev-list", "--count", "HEAD").stdout.strip() == "1"

    write(repo, {
        "src/settings.py": 'import os\n\nAPI_TOKEN = os.environ["API_TOKEN"]\n',
        "src/train.py": "import torch\n\n\ndef load(path):\n    return torch.load(path, weights_only=True)\n",
    })
    git(repo, env, "add", "src")
    rc, out = _commit(repo, env)
    assert rc == 0, f"commit should pass after the fix:\n{out}"
    assert git(repo, env, "rev-list", "--count", "HEAD").stdout.strip() == "2"


def _scan_pre_commit(repo: Path, files: list[str], tmp: Path, monkeypatch: pytest.MonkeyPatch,
                     capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str]:
    monkeypatch.chdir(repo)
    out = tmp / "out" / "r.json"
    rc = main(["scan", "--pre-commit", "--no-cache", "-o", str(out), *files])
    text = capsys.readouterr().out
    return rc, json.loads(out.read_text()), text


def test_pre_commit_runs_only_what_staged_files_need(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    env = git_env(tmp_path / "home")
    repo = init_repo(tmp_path / "p", env)
    write(repo, {"app.py": "import os\n\nprint(os.getcwd())\n", "requirements.txt": "requests==2.0.0\n",
                 "Dockerfile": "FROM python:3.12\n"})
    git(repo, env, "add", ".")
    rc, doc, text = _scan_pre_commit(repo, ["app.py"], tmp_path, monkeypatch, capsys)
    assert rc == 0, text
    assert doc["target"]["mode"] == "pre-commit"
    ran = {a["name"] for a in doc["analyzers"]}
    # nothing of a dependency, container or model kind is staged: their analyzers do not run, and the
    # wrapped tools stay off the fast path
    assert not ran & {"pip-audit", "dependencies", "dockerfile", "bandit", "modelscan", "cyclonedx"}, ran
    controls = {c["rule_id"]: c["status"] for s in doc["stages"] for c in s["controls"]}
    catalog_rules = {r for r in controls}
    dep_rules = [r for r in catalog_rules if r.startswith("DEP-VULN")]
    assert dep_rules and all(controls[r] == "not_applicable" for r in dep_rules)
    docker_rules = [r for r in catalog_rules if r.startswith("DOCKER-")]
    assert docker_rules and all(controls[r] == "not_applicable" for r in docker_rules)
    # python files are staged, but bandit is off the fast path: its controls did not pass, they did not run
    bandit_rules = [r for r in catalog_rules if r.startswith("BANDIT-")]
    assert bandit_rules and all(controls[r] == "not_applicable" for r in bandit_rules)
    # repository-level judge checks (expired/unused waivers) cannot be judged on a few files
    assert controls.get("AUDIT-WAIVER-002") == "not_applicable"
    assert controls.get("SECRET-GITHUB-001") == "pass"  # ran on the staged python file


def test_pre_commit_staged_requirements_run_dependency_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    env = git_env(tmp_path / "home")
    repo = init_repo(tmp_path / "p", env)
    write(repo, {"app.py": "print(1)\n", "requirements.txt": "requests>=2\n"})
    rc, doc, text = _scan_pre_commit(repo, ["requirements.txt"], tmp_path, monkeypatch, capsys)
    ran = {a["name"] for a in doc["analyzers"]}
    assert "dependencies" in ran, ran
    assert "pip-audit" not in ran  # network lookups stay in CI unless configured
    opened = {f["rule_id"] for f in doc["findings"] if f["status"] == "open"}
    assert any(r.startswith("DEP-") for r in opened), opened  # an unpinned requirement


def test_pre_commit_output_is_compact_path_line_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    env = git_env(tmp_path / "home")
    repo = init_repo(tmp_path / "p", env)
    write(repo, {"a.py": "import torch\nm = torch.load('m.pt')\n", "b.py": "x = 1\n"})
    rc, doc, text = _scan_pre_commit(repo, ["a.py", "b.py"], tmp_path, monkeypatch, capsys)
    assert rc == 1
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert lines[0].startswith("a.py:2 MLCODE-TORCH-001 torch.load") and lines[0].endswith(" [high]"), lines
    assert not any("┃" in ln or "━" in ln for ln in lines), "no table in pre-commit mode"
    assert lines[-2].startswith("gate: FAIL")


@pytest.mark.slow
def test_pre_commit_five_files_is_fast(tmp_path: Path) -> None:
    """Wall time of the console script on 5 staged files, interpreter start included (cold cache).
    The budget is generous for a shared CI machine; the measured number is in the report."""
    env = git_env(tmp_path / "home")
    repo = init_repo(tmp_path / "p", env)
    files = {f"pkg/mod{i}.py": "import os\n\n" + "".join(
        f"def f{j}(x):\n    return os.path.join(str(x), '{j}')\n\n" for j in range(40)) for i in range(5)}
    write(repo, files)
    git(repo, env, "add", ".")
    times = []
    for _ in range(3):
        t = time.perf_counter()
        proc = subprocess.run([str(AUDITOR), "scan", "--pre-commit", "--no-cache", *files],
                                            cwd=repo, env=env, capture_output=True, text=True, timeout=60)
        times.append(time.perf_counter() - t)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert min(times) < 3.0, times


def test_readme_skip_analyzers_snippet_brings_bandit_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    (cfg,) = [d for d in yaml_snippets("pre-commit hook") if "pre_commit" in d]
    env = git_env(tmp_path / "home")
    repo = init_repo(tmp_path / "p", env)
    write(repo, {".auditor.yaml": json.dumps(cfg), "app.py": "import subprocess\nsubprocess.call('ls', shell=True)\n"})
    rc, doc, text = _scan_pre_commit(repo, ["app.py"], tmp_path, monkeypatch, capsys)
    ran = {a["name"] for a in doc["analyzers"]}
    assert "bandit" in ran and "pip-audit" not in ran, ran
    assert any(f["analyzer"] == "bandit" for f in doc["findings"]), doc["findings"]
