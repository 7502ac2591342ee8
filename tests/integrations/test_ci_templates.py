"""The GitHub Action and the GitLab CI template: structure (YAML parses, required keys, every input
used exists, every action pinned to a commit SHA), the README snippets against them, and their shell
steps executed here with a simulated runner environment (the `uses:` steps cannot run here)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO
from where_support import VENV_BIN, fake_github_token, git, git_env, init_repo, write, yaml_snippets

from auditor import yamlio

ACTION = REPO / "action.yml"
GITLAB = REPO / "ci" / "gitlab-auditor.yml"
SHA = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _action() -> dict[str, Any]:
    doc: dict[str, Any] = yamlio.load(ACTION.read_text("utf-8"))
    return doc


def _gitlab() -> dict[str, Any]:
    doc: dict[str, Any] = yamlio.load(GITLAB.read_text("utf-8"))
    return doc


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


# --- GitHub Action -----------------------------------------------------------------------------

def test_action_structure() -> None:
    doc = _action()
    for key in ("name", "description", "inputs", "outputs", "runs"):
        assert key in doc, f"action.yml: missing {key}"
    assert doc["runs"]["using"] == "composite"
    steps = doc["runs"]["steps"]
    ids = {s["id"] for s in steps if "id" in s}
    for i, step in enumerate(steps):
        assert "name" in step, f"step {i} has no name"
        assert ("run" in step) != ("uses" in step), f"step {step['name']}: exactly one of run/uses"
        if "run" in step:
            assert step.get("shell") == "bash", f"step {step['name']}: composite run steps need a shell"
    for name, inp in doc["inputs"].items():
        assert "description" in inp and "default" in inp, f"input {name}: description and default"
    for name, out in doc["outputs"].items():
        for ref in re.findall(r"steps\.([\w-]+)\.outputs", out["value"]):
            assert ref in ids, f"output {name} reads step {ref!r} which does not exist"
    for needed in ("path", "fail-on", "stage", "until", "config", "extra-args", "diff-base"):
        assert needed in doc["inputs"], f"input {needed} missing"


def test_action_every_input_used_exists_and_none_is_interpolated_into_shell() -> None:
    doc = _action()
    inputs = set(doc["inputs"])
    used = set()
    exprs = [e for s in _strings(doc["runs"]) for e in EXPR.findall(s)]
    exprs += [str(step["if"]) for step in doc["runs"]["steps"] if "if" in step]  # `if:` is an expression
    for expr in exprs:
        used.update(re.findall(r"inputs\.([\w-]+)", expr))
    assert used, "no input used at all?"
    assert used <= inputs, f"inputs used but not declared: {sorted(used - inputs)}"
    assert inputs - used <= set(), f"inputs declared but never used: {sorted(inputs - used)}"
    for step in doc["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], f"step {step['name']}: ${{{{ }}}} in a script allows injection"


def test_action_pins_every_action_by_sha_and_uploads_after_failure() -> None:
    doc = _action()
    uses = [s for s in doc["runs"]["steps"] if "uses" in s]
    names = {s["uses"].split("@")[0] for s in uses}
    assert {"github/codeql-action/upload-sarif", "actions/upload-artifact"} <= names
    for s in uses:
        assert SHA.match(s["uses"]), f"{s['uses']}: not pinned to a full commit SHA"
        assert str(s.get("if", "")).startswith("always()"), f"{s['uses']}: must run when the gate failed"
        assert s.get("continue-on-error") is True, f"{s['uses']}: an upload failure must not decide the job"
    # the version comment next to each pin, for reviewers
    for line in ACTION.read_text().splitlines():
        if "uses:" in line:
            assert re.search(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), line
    last = doc["runs"]["steps"][-1]
    assert last.get("if") == "always()" and "AUDITOR_EXIT" in last["run"], "the gate verdict comes last"
    # outputs go outside the workspace (scan refuses -o inside the target)
    scan = next(s for s in doc["runs"]["steps"] if s.get("id") == "scan")
    assert '$RUNNER_TEMP/auditor' in scan["run"] and "--output-in-target" not in scan["run"]
    assert "GITHUB_STEP_SUMMARY" in scan["run"]


def test_readme_workflow_uses_the_action_inputs() -> None:
    (wf,) = yaml_snippets("CI gate: GitHub Action")
    inputs = set(_action()["inputs"])
    steps = wf["jobs"]["audit"]["steps"]
    ours = [s for s in steps if s["uses"].split("@")[0].endswith("/auditor")]
    assert len(ours) == 1
    assert set(ours[0].get("with", {})) <= inputs, set(ours[0]["with"]) - inputs
    for s in steps:
        if s is not ours[0]:
            assert SHA.match(s["uses"]), f"README: {s['uses']} not pinned by SHA"
    assert wf["permissions"]["security-events"] == "write"
    assert steps[0]["with"]["fetch-depth"] == 0, "--diff-base needs the base commit"


def _run_step(step: dict[str, Any], inputs: dict[str, str], env: dict[str, str], cwd: Path) -> int:
    """Run a composite `run:` step with bash, ${{ inputs.x }} in its env resolved from ``inputs``."""
    step_env = dict(env)
    for k, v in (step.get("env") or {}).items():
        step_env[k] = EXPR.sub(lambda m: inputs[m.group(1).split(".", 1)[1]]
                               if m.group(1).startswith("inputs.") else "", str(v))
    proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=cwd, env=step_env, capture_output=True,
                          text=True, timeout=300)
    print(proc.stdout, proc.stderr)
    return proc.returncode


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None or shutil.which("realpath") is None, reason="needs git, realpath")
def test_action_scan_and_gate_steps_run(tmp_path: Path) -> None:
    env = git_env(tmp_path / "home")
    ws = init_repo(tmp_path / "ws", env)
    write(ws, {"svc/app.py": f'TOKEN = "{fake_github_token(3)}"\n', "README.md": "# x\n"})
    git(ws, env, "add", ".")
    rt = tmp_path / "runner-temp"
    (rt / "auditor").mkdir(parents=True)
    (rt / "auditor" / "venv").symlink_to(Path(sys.prefix))  # the install step's result
    gh_out, summary = tmp_path / "gh_output", tmp_path / "summary"
    env.update({"RUNNER_TEMP": str(rt), "GITHUB_OUTPUT": str(gh_out), "GITHUB_STEP_SUMMARY": str(summary),
                "GITHUB_WORKSPACE": str(ws), "GITHUB_ACTION_PATH": str(REPO), "RUNNER_OS": "Linux"})
    doc = _action()
    inputs = {k: str(v["default"]) for k, v in doc["inputs"].items()}
    inputs.update({"path": "svc", "stage": "model-build,deploy", "extra-args": "--no-cache --jobs 1"})
    steps = {s.get("id", s["name"]): s for s in doc["runs"]["steps"]}
    before = sorted(p.relative_to(ws).as_posix() for p in ws.rglob("*") if ".git" not in p.parts)
    assert _run_step(steps["scan"], inputs, env, ws) == 0, "the scan step defers the verdict"
    out = _outputs(gh_out)
    assert out["exit-code"] == "1"
    sarif = json.loads(Path(out["sarif"]).read_text())
    uris = [loc["physicalLocation"]["artifactLocation"]["uri"]
            for r in sarif["runs"][0]["results"] for loc in r["locations"]]
    assert "svc/app.py" in uris, uris  # relative to the repository, as code scanning needs
    assert "SECRET-GITHUB-001" in summary.read_text()
    assert json.loads(Path(out["results"]).read_text())["gate"]["exit_code"] == 1
    after = sorted(p.relative_to(ws).as_posix() for p in ws.rglob("*") if ".git" not in p.parts)
    assert before == after, "nothing written inside the workspace"
    gate_env = dict(env, AUDITOR_EXIT=out["exit-code"])
    assert subprocess.run(["bash", "-c", steps["Gate"]["run"]], env=gate_env, capture_output=True,
                          timeout=30).returncode == 1


# --- GitLab CI ---------------------------------------------------------------------------------

def test_gitlab_template_structure() -> None:
    doc = _gitlab()
    job = doc[".auditor"]
    assert doc["auditor"]["extends"] == ".auditor"
    for key in ("stage", "image", "script", "artifacts"):
        assert key in job, f".auditor: missing {key}"
    art = job["artifacts"]
    assert art["when"] == "always"
    assert art["reports"]["codequality"].startswith("auditor-report/")
    assert art["reports"]["codequality"].endswith("code-quality.json")
    assert "auditor-report/" in art["paths"]
    script = "\n".join(job["script"])
    assert "report.pdf" in script and "-o \"$out/gl-code-quality.json\"" in script
    defined = set(doc["variables"]) | set(job.get("variables", {}))
    used = set(re.findall(r"\$\{?(AUDITOR_[A-Z_]+)", script + "\n".join(job["before_script"])))
    assert used <= defined, f"variables used but not defined: {sorted(used - defined)}"
    assert set(doc["variables"]) <= used, f"variables defined but unused: {sorted(set(doc['variables']) - used)}"


def test_readme_gitlab_snippet_matches_the_template() -> None:
    (snippet,) = yaml_snippets("CI gate: GitLab CI")
    assert snippet["include"][0]["remote"].endswith("/ci/gitlab-auditor.yml")
    assert set(snippet["variables"]) <= set(_gitlab()["variables"])


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None or shutil.which("sh") is None, reason="needs git and sh")
def test_gitlab_script_runs_with_merge_request_diff_base(tmp_path: Path) -> None:
    env = git_env(tmp_path / "home")
    proj = init_repo(tmp_path / "proj", env)
    write(proj, {"old.py": f'OLD = "{fake_github_token(21)}"\n'})
    git(proj, env, "add", ".")
    git(proj, env, "commit", "-q", "-m", "base")
    base = git(proj, env, "rev-parse", "HEAD").stdout.strip()
    write(proj, {"new.py": f'NEW = "{fake_github_token(22)}"\n'})
    git(proj, env, "add", ".")
    git(proj, env, "commit", "-q", "-m", "feature")
    doc = _gitlab()
    script = "\n".join(doc[".auditor"]["script"]).replace("/opt/auditor/bin/", f"{VENV_BIN}/")
    run_env = dict(env, **{k: str(v) for k, v in doc["variables"].items()})
    run_env.update({"AUDITOR_EXTRA_ARGS": "--no-cache", "AUDITOR_FAIL_ON": "high",
                    "CI_MERGE_REQUEST_DIFF_BASE_SHA": base})
    proc = subprocess.run(["sh", "-e", "-c", script], cwd=proj, env=run_env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "auditor: exit 1" in proc.stdout, proc.stdout + proc.stderr
    cq = json.loads((proj / "auditor-report" / "gl-code-quality.json").read_text())
    paths = sorted(i["location"]["path"] for i in cq)
    assert paths == ["new.py"], paths  # the finding already at the merge base is not reported
    results = json.loads((proj / "auditor-report" / "results.json").read_text())
    assert results["audit"]["diff_base"]["commit"] == base
    assert (proj / "auditor-report" / "junit.xml").is_file()
    pdf = proj / "auditor-report" / "report.pdf"
    assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-", "the PDF report is kept as an artifact"
