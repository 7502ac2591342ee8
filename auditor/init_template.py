"""What `auditor init` writes and prints: ``.auditor.yaml`` with every documented key (commented
defaults and examples), and the pre-commit and CI snippets. The configuration template is data, so
a test can uncomment every entry and validate it against the configuration schema."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    key: str
    doc: tuple[str, ...]
    yaml: tuple[str, ...]
    active: bool = False


ENTRIES: tuple[Entry, ...] = (
    Entry("fail_on", ("Lowest severity that fails the gate: critical | high | medium | low | info | none.",
                      "`--fail-on` overrides it (and every per-stage fail_on below)."),
          ("fail_on: high",), active=True),
    Entry("gate", ("The gate. stages: which lifecycle stages are gated (default: all eight); until: gate only",
                   "the stages up to and including this one (`--until`); require_treatment: an untreated risk",
                   "(findings, no treatment in ratp.yaml) or an expired acceptance fails the gate;",
                   "required_controls: rule ids that must pass (fail or error fails the gate)."),
          ("gate:",
           "  stages: [problem-definition, data-build, model-build, test, integrate-release, deploy, serve, monitor]",
           "  until: monitor",
           "  require_treatment: true",
           "  required_controls: [TEST-METRIC-001]")),
    Entry("stages", ("Per-stage overrides: fail_on (e.g. warn only while models are built, block at deploy)",
                     "and gated: false to report a stage without gating it."),
          ("stages:",
           "  model-build: {fail_on: none}",
           "  deploy: {fail_on: medium, gated: true}")),
    Entry("rules", ("Rule selection: extra rule pack folders (relative to this file), rules to enable or",
                    "disable by id, and severity overrides. `auditor rules list` shows the ids."),
          ("rules:",
           "  dirs: [.auditor/rules]",
           "  enable: []",
           "  disable: []",
           "  severity: {TEST-METRIC-004: medium}")),
    Entry("exclude", ("Paths never scanned (gitignore-style patterns; .gitignore is honoured too).",),
          ("exclude: [\".venv/**\", \"node_modules/**\", \"third_party/**\"]",)),
    Entry("limits", ("Bounds: sizes take KB/MB/GB (1024-based); files larger than the limit are listed as skipped.",),
          ("limits:",
           "  max_file_size: 50MB",
           "  max_file_size_by_kind: {model: 64GB, data: 16GB}",
           "  max_files: 200000",
           "  max_depth: 64",
           "  analyzer_timeout: 900",
           "  zip_max_members: 10000",
           "  zip_max_ratio: 200",
           "  zip_max_uncompressed: 8GB")),
    Entry("waivers", ("Waivers file (default .auditor-waivers.yaml): rule, path, reason, owner, expires, and",
                      "optionally the risk (and approval) of the ratp.yaml acceptance it implements."),
          ("waivers: .auditor-waivers.yaml",)),
    Entry("baseline", ("Baseline of known findings (`auditor baseline results.json -o FILE`): only new ones fail.",),
          ("baseline: .auditor-baseline.json",)),
    Entry("vuln_db", ("Local OSV vulnerability database (folder or zip) for offline dependency audits.",),
          ("vuln_db: /srv/osv/pypi.zip",)),
    Entry("offline", ("Never use the network.",), ("offline: false",)),
    Entry("resolve_deps", ("Let pip-audit resolve unpinned dependencies (runs pip).",), ("resolve_deps: false",)),
    Entry("ratp", ("The Risk Analysis and Treatment Plan, relative to the repository root",
                   "(default: ratp.yaml, ratp.yml, docs/ratp.yaml). `auditor ratp check` lists its gaps."),
          ("ratp: ratp.yaml",), active=True),
    Entry("metrics", ("Metric gates (test stage): evaluation outputs (json | yaml | csv) and thresholds",
                      "(>=, >, <=, <, ==, != and a number); dotted names reach into nested documents.",
                      "A missing file or metric, or a value past its threshold, fails the test stage."),
          ("metrics:",
           "  - file: reports/metrics.json",
           "    format: json",
           "    thresholds: {accuracy: \">= 0.90\", \"fairness.demographic_parity_difference\": \"<= 0.10\"}")),
    Entry("licenses", ("Licence policy for dependencies (SPDX ids).",),
          ("licenses:",
           "  allow: [MIT, BSD-3-Clause, Apache-2.0]",
           "  deny: [AGPL-3.0-only]")),
    Entry("data", ("Data checks: sampling bounds, label columns (imbalance), protected attributes (fairness).",),
          ("data:",
           "  sample_rows: 10000",
           "  sample_bytes: 16MB",
           "  label_columns: [label, target]",
           "  protected_attributes: [gender, age, ethnicity]",
           "  imbalance_ratio: 10")),
    Entry("analyzers", ("Per-analyzer options, by analyzer name.",),
          ("analyzers: {}",)),
    Entry("pre_commit", ("The `scan --pre-commit` fast path: analyzers left out there (default: bandit, pip-audit,",
                         "modelscan, cyclonedx; they run in CI)."),
          ("pre_commit:",
           "  skip_analyzers: [bandit, pip-audit, modelscan, cyclonedx]")),
    Entry("cache_dir", ("Result cache folder (default: the user cache folder; never inside the scanned tree).",),
          ("cache_dir: ~/.cache/auditor",)),
    Entry("jobs", ("Parallel analyzers (default: all cores).",), ("jobs: 4",)),
)


def render_config(commented: bool = True) -> str:
    """The .auditor.yaml text. ``commented=False`` activates every entry (used by the tests)."""
    out = ["# auditor configuration (written by `auditor init`). Every documented key is listed; remove the",
           "# leading '# ' of a setting to use it. Command-line options override this file.", ""]
    for e in ENTRIES:
        out.extend(f"# {line}" for line in e.doc)
        prefix = "" if (e.active or not commented) else "# "
        out.extend(f"{prefix}{line}" for line in e.yaml)
        out.append("")
    return "\n".join(out)


PRE_COMMIT = """\
# .pre-commit-config.yaml: scan the staged files on every commit (fast path)
repos:
  - repo: local
    hooks:
      - id: auditor
        name: auditor (AI/ML security audit)
        entry: auditor scan --pre-commit
        language: system
        pass_filenames: true
        require_serial: true
"""

GITHUB = """\
# .github/workflows/auditor.yml: gate every push and pull request, SARIF to code scanning
# (pin the actions to a commit SHA in your repository)
name: auditor
on: [push, pull_request]
permissions: {contents: read}
jobs:
  audit:
    runs-on: ubuntu-latest
    permissions: {contents: read, security-events: write}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with: {python-version: "3.11"}
      - run: pip install aiml-auditor
      - run: auditor scan . -o "$RUNNER_TEMP/auditor.json" -o "$RUNNER_TEMP/auditor.sarif"
      - uses: github/codeql-action/upload-sarif@v3
        if: always()
        with: {sarif_file: "${{ runner.temp }}/auditor.sarif"}
"""

GITLAB = """\
# .gitlab-ci.yml: the same gate in GitLab CI, JUnit to the merge request
auditor:
  image: python:3.11-slim
  script:
    - pip install aiml-auditor
    - auditor scan . --output-in-target -o auditor.json -o auditor-junit.xml
  artifacts:
    when: always
    paths: [auditor.json]
    reports: {junit: auditor-junit.xml}
"""


def snippets() -> str:
    return "\n".join([PRE_COMMIT, GITHUB, GITLAB])
