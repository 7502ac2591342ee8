"""A realistic results document for the reporter tests (valid against the contract, with every
additive field the scan writes), plus a generator of large documents for the timing tests."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

STAGES = ["problem-definition", "data-build", "model-build", "test", "integrate-release", "deploy", "serve",
          "monitor"]
STAGE_INFO = [
    {"id": "problem-definition", "title": "Problem Definition",
     "purpose": "Decide what the system is for, who owns it and which risks it carries before any data is collected.",
     "tasks": ["State the intended use and out-of-scope uses", "Write the Risk Analysis and Treatment Plan (RATP)"],
     "outputs": ["ratp.yaml", "Model card draft", "SECURITY.md"],
     "security_considerations": ["Every risk has an owner and a treatment", "Acceptances are approved and expire"]},
    {"id": "data-build", "title": "Data Build",
     "purpose": "Collect, label and prepare data whose origin, licence and content are known and fit for use.",
     "tasks": ["Collect and label data", "Screen for personal data"], "outputs": ["Datasets with datasheets"],
     "security_considerations": ["No personal data without a legal basis"]},
    {"id": "model-build", "title": "Model Train & Build",
     "purpose": "Write training code and build model artifacts from trusted code, dependencies and base models.",
     "tasks": ["Write training and feature code"], "outputs": ["Model artifacts in safe formats"],
     "security_considerations": ["Safe model formats and loading", "No secrets in code"]},
    {"id": "test", "title": "Test",
     "purpose": "Show that the model meets its declared accuracy, fairness and robustness thresholds before release.",
     "tasks": ["Fairness evaluation"], "outputs": ["Metrics report"],
     "security_considerations": ["Thresholds declared and enforced"]},
    {"id": "integrate-release", "title": "Integrate & Release",
     "purpose": "Package a reproducible, verifiable release with a bill of materials and licence clearance.",
     "tasks": ["Pin and hash dependencies", "Produce the SBOM"], "outputs": ["CycloneDX SBOM with models and datasets"],
     "security_considerations": ["Artifacts verify against their manifests"]},
    {"id": "deploy", "title": "Deploy",
     "purpose": "Ship the model into hardened infrastructure through a pipeline that cannot be hijacked.",
     "tasks": ["Build container images"], "outputs": ["Dockerfiles", "Terraform"],
     "security_considerations": ["Non-root pinned images", "Pipelines pinned and injection-free"]},
    {"id": "serve", "title": "Operate / Model Serving",
     "purpose": "Serve predictions through authenticated, bounded endpoints that never execute model output.",
     "tasks": ["Expose inference endpoints"], "outputs": ["Serving code"],
     "security_considerations": ["Authentication on every endpoint and control plane", "No debug modes"]},
    {"id": "monitor", "title": "Monitoring",
     "purpose": "Watch the model in production for drift, abuse and failure, without logging personal data.",
     "tasks": ["Monitor drift and performance"], "outputs": ["Drift monitoring configuration"],
     "security_considerations": ["No personal data or raw requests in logs"]},
]
TITLES = {s["id"]: s["title"] for s in STAGE_INFO}

# rule id -> (stage, severity, title, risks, source, references)
RULES: dict[str, tuple[str, str, str, list[str], str, list[str]]] = {
    "GOV-RATP-002": ("problem-definition", "high", "RATP risk without an owner", ["R-GOVERNANCE-GAP"], "ratp",
                     ["ISO-42001-6.1.3", "NIST-AI-RMF-GV-1.5"]),
    "GOV-CARD-001": ("problem-definition", "medium", "No model card", ["R-GOVERNANCE-GAP"], "presence",
                     ["ISO-42001-A.6.2.3"]),
    "AUDIT-WAIVER-001": ("problem-definition", "medium", "Expired waiver", ["R-GOVERNANCE-GAP"], "judge",
                         ["ISO-42001-6.1.3"]),
    "DATA-PII-001": ("data-build", "high", "Personal data (e-mail addresses) in a dataset", ["R-PII-IN-DATA"], "data",
                     ["CWE-359", "OWASP-ML03"]),
    "DATA-CRED-001": ("data-build", "critical", "Credentials in a data-source configuration", ["R-SECRET-LEAKAGE"],
                      "pattern", ["CWE-798"]),
    "MODEL-LOAD-001": ("model-build", "high", "torch.load without weights_only=True", ["R-UNSAFE-DESERIALIZATION"],
                       "python-call", ["CWE-502", "OWASP-ML06", "AML.T0010"]),
    "MODEL-PICKLE-001": ("model-build", "critical", "Pickle model imports a dangerous global",
                         ["R-MALICIOUS-MODEL", "R-UNSAFE-DESERIALIZATION"], "pickle", ["CWE-502", "AML.T0011.000"]),
    "CODE-BANDIT-B307": ("model-build", "medium", "Use of eval()", ["R-INSECURE-CODE"], "bandit", ["CWE-78"]),
    "DEP-VULN-001": ("model-build", "high", "Dependency with a known vulnerability", ["R-COMPROMISED-DEPENDENCY"],
                     "pip-audit", ["CWE-1395", "OWASP-LLM03-2025"]),
    "SECRET-AWS-001": ("model-build", "critical", "AWS access key in source", ["R-SECRET-LEAKAGE"], "pattern",
                       ["CWE-798"]),
    "TEST-FAIR-001": ("test", "low", "Fairness metric below the declared threshold", ["R-BIAS"], "metrics",
                      ["NIST-AI-RMF-MS-2.11"]),
    "REL-PIN-001": ("integrate-release", "medium", "Dependency not pinned to an exact version",
                    ["R-SUPPLY-CHAIN-PROVENANCE"], "dependencies", ["SLSA", "CWE-1357"]),
    "REL-HASH-001": ("integrate-release", "high", "Artifact does not match its hash manifest", ["R-ARTIFACT-TAMPERING"],
                     "integrity", ["CWE-494"]),
    "DOCKER-USER-001": ("deploy", "medium", "Container runs as root", ["R-INFRA-MISCONFIG"], "dockerfile",
                        ["CWE-250", "CIS-Docker-4.1"]),
    "CI-PIN-001": ("deploy", "medium", "GitHub Action not pinned to a commit SHA", ["R-CICD-COMPROMISE"], "structured",
                   ["CWE-829"]),
    "IAC-S3-001": ("deploy", "high", "S3 bucket allows public read", ["R-PUBLIC-STORAGE"], "terraform", ["CWE-284"]),
    "SERVE-DEBUG-001": ("serve", "high", "Flask app runs with debug=True", ["R-EXPOSED-ML-CONTROL-PLANE"],
                        "python-call", ["CWE-489"]),
    "SERVE-LLM-001": ("serve", "critical", "LLM output passed to exec()", ["R-LLM-OUTPUT-EXECUTION"], "python-call",
                      ["CWE-94", "OWASP-LLM05-2025"]),
    "MON-LOG-001": ("monitor", "medium", "Request body with personal data logged", ["R-PII-IN-DATA"], "pattern",
                    ["CWE-532"]),
    "MON-DRIFT-001": ("monitor", "low", "No drift monitoring configured", ["R-DRIFT", "R-INSUFFICIENT-MONITORING"],
                      "presence", ["NIST-AI-RMF-MS-2.4"]),
}
# extra controls with no findings (pass / not applicable)
QUIET = {
    "problem-definition": [("GOV-RATP-001", "No RATP plan", "high", "pass")],
    "data-build": [("DATA-NPLOAD-001", "np.load with allow_pickle=True", "high", "pass")],
    "model-build": [("MODEL-HUB-001", "Hub download without a pinned revision", "medium", "pass")],
    "test": [("TEST-EXIST-001", "No tests", "medium", "pass"), ("TEST-ROBUST-001", "No robustness testing evidence",
                                                                "low", "not_applicable")],
    "integrate-release": [("REL-SBOM-001", "No SBOM", "medium", "pass")],
    "deploy": [("K8S-PRIV-001", "Privileged pod", "high", "not_applicable")],
    "serve": [("SERVE-CORS-001", "CORS allows every origin", "medium", "error")],
    "monitor": [],
}


def _fp(*parts: Any) -> str:
    return hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()[:32]


def _finding(rule: str, path: str, line: int | None, message: str, *, snippet: str | None = None,
             status: str = "open", reason: str | None = None, cell: int | None = None,
             properties: dict[str, Any] | None = None, severity: str | None = None) -> dict[str, Any]:
    stage, sev, title, risks, source, refs = RULES[rule]
    loc: dict[str, Any] = {"path": path, "start_line": line, "end_line": line, "snippet": snippet}
    if cell is not None:
        loc["cell"] = cell
    f: dict[str, Any] = {
        "fingerprint": _fp(rule, path, line, cell, message), "rule_id": rule, "title": title,
        "severity": severity or sev, "confidence": "high", "stage": stage, "risks": risks, "analyzer": source,
        "location": loc, "message": message, "remediation": f"Fix {title.lower()}.", "references": refs,
        "status": status, "status_reason": reason,
    }
    if properties:
        f["properties"] = properties
    return f


def _findings() -> list[dict[str, Any]]:
    return [
        _finding("GOV-RATP-002", "ratp.yaml", 14, "Risk R-PII-IN-DATA has treatment 'mitigate' but no owner."),
        _finding("GOV-CARD-001", ".", None, "No MODEL_CARD.md or model card section in README.md."),
        _finding("AUDIT-WAIVER-001", ".auditor-waivers.yaml", 3,
                 "Waiver for DOCKER-USER-001 on Dockerfile expired on 2024-01-31; its findings are open again."),
        _finding("DATA-PII-001", "data/customers.csv", 1, "Column 'email' holds e-mail addresses in 97% of 500 rows.",
                 snippet="customer_id,email,age,zip\n1,j****@example.com,34,10115",
                 properties={"column": "email", "rows_sampled": 500, "match_ratio": 0.97}),
        _finding("DATA-CRED-001", "config/datasource.yaml", 7, "Database password in a data-source configuration.",
                 snippet="password: hunt****"),
        _finding("MODEL-LOAD-001", "src/train.py", 42, "torch.load() called without weights_only=True.",
                 snippet="model = torch.load(path)  # loads pickled code"),
        _finding("MODEL-LOAD-001", "src/serve_model.py", 18, "torch.load() called without weights_only=True.",
                 snippet="net = torch.load(args.ckpt, map_location='cpu')", status="waived",
                 reason="waiver: checkpoints are produced by our own signed pipeline (owner: ml-platform, expires 2099-12-31)"),
        _finding("MODEL-LOAD-001", "notebooks/explore.ipynb", 2, "torch.load() called without weights_only=True.",
                 snippet="m = torch.load('model.pt')", cell=3),
        _finding("CODE-BANDIT-B307", "notebooks/explore.ipynb", 5, "Use of possibly insecure function - consider "
                 "using safer ast.literal_eval.", snippet="cfg = eval(open('cfg.txt').read())", cell=4,
                 properties={"bandit_test_id": "B307", "bandit_confidence": "HIGH"}),
        _finding("CODE-BANDIT-B307", "src/features.py", 77, "Use of possibly insecure function - consider using safer "
                 "ast.literal_eval.", snippet="if len(x) < 3 and eval(expr):", status="suppressed",
                 reason="inline: expression comes from a constant table (src/features.py:76)"),
        _finding("MODEL-PICKLE-001", "models/classifier.pkl", None,
                 "Pickle imports posix.system: loading this file runs a shell command.",
                 snippet="GLOBAL 'posix system'", properties={"globals": ["posix.system"], "protocol": 4}),
        _finding("DEP-VULN-001", "requirements.txt", 3, "torch 1.13.0 has a known vulnerability (PYSEC-2024-259).",
                 snippet="torch==1.13.0",
                 properties={"package": "torch", "version": "1.13.0", "advisory": "PYSEC-2024-259",
                             "aliases": ["CVE-2024-5480", "GHSA-pg7h-5qx3-wjr3"], "fixed_versions": ["2.2.2"]}),
        _finding("DEP-VULN-001", "requirements.txt", 7, "requests 2.28.1 has a known vulnerability (PYSEC-2023-74).",
                 snippet="requests==2.28.1", status="waived",
                 reason="risk R-COMPROMISED-DEPENDENCY accepted in ratp.yaml (approved by Dana Reviewer (CISO) on "
                        "2025-01-10) until 2099-01-10: Pinned versions are rebuilt monthly.",
                 properties={"package": "requests", "advisory": "PYSEC-2023-74",
                             "acceptance": {"risk": "R-COMPROMISED-DEPENDENCY", "via": "ratp", "plan": "ratp.yaml",
                                            "until": "2099-01-10",
                                            "approval": {"by": "Dana Reviewer", "role": "CISO", "date": "2025-01-10",
                                                         "expires": "2099-01-10"}}}),
        _finding("DEP-VULN-001", "requirements.txt", 5, "pillow 9.0.0 has a known vulnerability (PYSEC-2022-168).",
                 snippet="pillow==9.0.0", status="baselined", reason="baseline: .auditor-baseline.json",
                 properties={"package": "pillow", "advisory": "PYSEC-2022-168", "fixed_versions": ["9.0.1"]}),
        _finding("SECRET-AWS-001", "src/config.py", 9, "AWS access key id in source code.",
                 snippet='AWS_ACCESS_KEY_ID = "AKIA****"'),
        _finding("TEST-FAIR-001", "metrics/eval.json", None,
                 "Demographic parity difference 0.14 exceeds the declared threshold 0.10.",
                 properties={"metric": "demographic_parity_difference", "value": 0.14, "threshold": 0.1}),
        _finding("REL-PIN-001", "requirements.txt", 8, "scikit-learn>=1.0 is not pinned (use == and --hash).",
                 snippet="scikit-learn>=1.0"),
        _finding("REL-HASH-001", "SHA256SUMS", 2, "models/classifier.pkl does not match its recorded SHA-256.",
                 snippet="e3b0c442…  models/classifier.pkl"),
        _finding("DOCKER-USER-001", "Dockerfile", 1, "No USER instruction: the container runs as root.",
                 snippet="FROM python:3.11-slim"),
        _finding("CI-PIN-001", ".github/workflows/ci.yml", 21, "actions/checkout@v4 is not pinned to a commit SHA.",
                 snippet="- uses: actions/checkout@v4"),
        _finding("IAC-S3-001", "infra/main.tf", 12, "aws_s3_bucket_acl grants public-read.",
                 snippet='acl = "public-read"', status="baselined", reason="baseline: .auditor-baseline.json"),
        _finding("SERVE-DEBUG-001", "serve/app.py", 40, "app.run(debug=True) exposes the Werkzeug debugger.",
                 snippet="app.run(host='0.0.0.0', debug=True)"),
        _finding("SERVE-LLM-001", "serve/agent.py", 61, "Text generated by the LLM is passed to exec().",
                 snippet="exec(response.choices[0].message.content)"),
        _finding("MON-LOG-001", "serve/app.py", 33, "Request JSON logged verbatim (may hold personal data).",
                 snippet='logger.info("request %s", request.json)'),
        _finding("MON-DRIFT-001", ".", None, "No drift monitoring configuration found (evidently, whylogs, alibi-detect)."),
    ]


def _stages(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    status_of = {"problem-definition": "fail", "data-build": "fail", "model-build": "fail", "test": "pass",
                 "integrate-release": "fail", "deploy": "fail", "serve": "fail", "monitor": "not_gated"}
    out = []
    for sid in STAGES:
        controls = []
        for rid, (stage, sev, title, *_rest) in RULES.items():
            if stage != sid:
                continue
            mine = [f for f in findings if f["rule_id"] == rid]
            open_n = sum(1 for f in mine if f["status"] == "open")
            status = "fail" if open_n else ("waived" if any(f["status"] == "waived" for f in mine) else "pass")
            controls.append({"rule_id": rid, "title": title, "severity": sev, "status": status, "findings": open_n})
        for rid, title, sev, status in QUIET[sid]:
            controls.append({"rule_id": rid, "title": title, "severity": sev, "status": status, "findings": 0})
        counts: dict[str, int] = {}
        for f in findings:
            if f["stage"] == sid and f["status"] == "open":
                counts[f["severity"]] = counts.get(f["severity"], 0) + 1
        out.append({"id": sid, "title": TITLES[sid], "status": status_of[sid], "controls": controls, "counts": counts})
    return out


def _risks(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def refs(rid: str) -> list[str]:
        return [f["fingerprint"] for f in findings if rid in f["risks"]]

    def n(rid: str, status: str) -> int:
        return sum(1 for f in findings if rid in f["risks"] and f["status"] == status)

    specs = [
        ("R-UNSAFE-DESERIALIZATION", "Code execution through unsafe deserialization", "mitigate", "ml-platform",
         "open", 4, 5, 2, 5, "2025-09-30", None),
        ("R-MALICIOUS-MODEL", "Malicious or trojaned model artifact", "mitigate", "ml-platform", "open", 3, 5, 1, 5,
         "2025-08-31", None),
        ("R-SECRET-LEAKAGE", "Leaked credentials", "mitigate", "security-team", "open", 4, 4, 1, 4, "2025-07-15", None),
        ("R-COMPROMISED-DEPENDENCY", "Vulnerable or compromised software dependency", "accept", "ml-platform",
         "accepted", 4, 4, 4, 4, None,
         {"by": "Dana Reviewer", "role": "CISO", "date": "2025-01-10", "expires": "2099-01-10",
          "rationale": "Pinned versions are rebuilt monthly; the vulnerable code paths are unused."}),
        ("R-PUBLIC-STORAGE", "Publicly readable storage", "accept", "infra", "expired", 3, 4, 3, 4, None,
         {"by": "Sam Lead", "role": "Head of Infrastructure", "date": "2023-06-01", "expires": "2024-06-01",
          "rationale": "Bucket holds only public demo data."}),
        ("R-PII-IN-DATA", "Personal data in training data or logs", "untreated", None, "untreated", 4, 4, None, None,
         None, None),
        ("R-CICD-COMPROMISE", "CI/CD pipeline compromise", "mitigate", "devops", "open", 3, 5, 2, 3, "2025-10-01", None),
        ("R-BIAS", "Biased or unfair model behaviour", "mitigate", "data-science", "mitigated", 3, 3, 1, 3, None, None),
        ("R-MODEL-THEFT", "Model extraction or theft", "transfer", "legal", "not_applicable", 2, 3, None, None, None,
         None),
        ("R-DRIFT", "Undetected drift", "mitigate", "data-science", "open", 4, 3, 2, 2, "2025-12-01", None),
        ("R-GOVERNANCE-GAP", "Governance gap", "mitigate", "ai-governance", "open", 3, 3, 1, 3, "2025-06-30", None),
    ]
    out = []
    for rid, title, treatment, owner, status, li, im, rli, rim, due, approval in specs:
        r: dict[str, Any] = {
            "id": rid, "title": title, "treatment": treatment, "owner": owner, "status": status,
            "findings": len(refs(rid)),
            "stages": sorted({f["stage"] for f in findings if rid in f["risks"]}, key=STAGES.index),
            "likelihood": li, "impact": im, "score": li * im, "residual_likelihood": rli, "residual_impact": rim,
            "residual_score": rli * rim if rli and rim else None, "due": due, "approval": approval,
            "findings_open": n(rid, "open"), "findings_waived": n(rid, "waived"), "finding_refs": refs(rid),
        }
        open_stages = sorted({f["stage"] for f in findings if rid in f["risks"] and f["status"] == "open"},
                             key=STAGES.index)
        r["open_stages"] = open_stages
        r["status_reason"] = {
            "open": f"treatment {treatment} (owner {owner}); {r['findings_open']} open finding(s) remain",
            "accepted": f"accepted, approved by {(approval or {}).get('by')} until {(approval or {}).get('expires')}",
            "expired": f"acceptance expired on {(approval or {}).get('expires')}; {r['findings_open']} finding(s) "
                       "open again",
            "untreated": f"{r['findings_open']} open finding(s) and ratp.yaml gives no treatment",
            "mitigated": f"treatment {treatment}; no open finding",
            "not_applicable": "no asset of its kinds and no finding",
        }[status]
        r["waived"] = [
            {"fingerprint": f["fingerprint"], "rule_id": f["rule_id"], "path": f["location"]["path"],
             "line": f["location"]["start_line"], "via": f["properties"]["acceptance"]["via"],
             "approved_by": f["properties"]["acceptance"]["approval"]["by"],
             "role": f["properties"]["acceptance"]["approval"]["role"],
             "until": f["properties"]["acceptance"]["until"], "reason": f["status_reason"]}
            for f in findings if f["status"] == "waived" and rid in f["risks"]
            and (f.get("properties") or {}).get("acceptance", {}).get("risk") == rid]
        out.append(r)
    return out


def _rules() -> dict[str, Any]:
    out = {}
    for rid, (stage, sev, title, risks, source, refs) in RULES.items():
        out[rid] = {"title": title, "description": f"{title}: the control checks this in every applicable file.",
                    "remediation": f"Fix {title.lower()}; see the references.", "references": refs, "stage": stage,
                    "severity": sev, "risks": risks, "source": source}
    return out


def sample_results() -> dict[str, Any]:
    findings = _findings()
    return {
        "schema_version": "1.1",
        "tool": {"name": "auditor", "version": "0.1.0", "rules_digest": "9f2c" + "a1" * 30},
        "target": {"root": "fixtures/demo-repo", "project": "fraud-detector", "mode": "full",
                   "git": {"commit": "3f9d2c4b8e7a6150c2d1e0f9a8b7c6d5e4f3a2b1", "branch": "release/1.4", "dirty": False}},
        "started_at": "2025-05-02T09:14:03Z", "finished_at": "2025-05-02T09:14:11Z",
        "config": {"path": ".auditor.yaml", "sha256": "c0ffee" + "00" * 29},
        "inventory": {"files": 57, "bytes": 1843211,
                      "by_kind": {"python": 14, "notebook": 2, "dependency": 2, "container": 1, "iac": 2, "pipeline": 1,
                                  "config": 6, "model": 3, "data": 4, "doc": 5, "other": 17},
                      "skipped": [{"path": "data/raw/huge.parquet", "reason": "too large (2.1 GB > 512 MB limit)"},
                                  {"path": "link-to-etc", "reason": "symlink leaves the scanned root"}],
                      "excluded": 4, "listing": "git"},
        "analyzers": [
            {"name": "bandit", "version": "1.8.3", "status": "ok", "reason": None, "files": 16, "duration_s": 1.42},
            {"name": "pip-audit", "version": "2.9.0", "status": "ok", "reason": None, "files": 2, "duration_s": 0.87},
            {"name": "pickle", "version": "0.1.0", "status": "ok", "reason": None, "files": 3, "duration_s": 0.05,
             "notes": ["1 pickle stream(s) read by opcode, none loaded"], "cached_files": 1},
            {"name": "metrics", "version": "0.1.0", "status": "ok", "reason": None, "files": 1, "duration_s": 0.01,
             "cached_files": 0},
            {"name": "modelscan", "version": None, "status": "skipped",
             "reason": "modelscan is not installed: pip install 'aiml-auditor[modelscan]'", "files": 0, "duration_s": 0},
            {"name": "terraform", "version": "0.1.0", "status": "ok", "reason": None, "files": 2, "duration_s": 0.2},
        ],
        "findings": findings, "stages": _stages(findings), "risks": _risks(findings),
        "gate": {"decision": "fail", "exit_code": 1, "fail_on": "high",
                 "reasons": ["9 open findings at or above 'high' in gated stages",
                             "risk R-PUBLIC-STORAGE: acceptance expired on 2024-06-01",
                             "risk R-PII-IN-DATA is untreated"]},
        "rules": _rules(), "stage_info": copy.deepcopy(STAGE_INFO),
        "audit": {
            "suppressions": [
                {"path": "src/features.py", "line": 76, "rules": ["CODE-BANDIT-B307"],
                 "reason": "expression comes from a constant table", "used": True},
                {"path": "src/util.py", "line": 10, "rules": ["MODEL-LOAD-001"], "reason": "legacy", "used": False}],
            "waivers": [
                {"rule": "MODEL-LOAD-001", "path": "src/serve_model.py", "reason": "checkpoints are produced by our own "
                 "signed pipeline", "owner": "ml-platform", "expires": "2099-12-31", "status": "active", "findings": 1,
                 "risk": "R-UNSAFE-DESERIALIZATION"},
                {"rule": "DOCKER-USER-001", "path": "Dockerfile", "reason": "base image drops privileges",
                 "owner": "infra", "expires": "2024-01-31", "status": "expired", "findings": 1, "risk": None},
                {"rule": "CI-PIN-001", "path": ".github/workflows/old.yml", "reason": "workflow retired",
                 "owner": "devops", "expires": "2099-01-01", "status": "unused", "findings": 0, "risk": None}],
            "baseline": {"path": ".auditor-baseline.json", "fingerprints": 12, "matched": 2},
            "excluded_files": 4,
            "diff_base": {"ref": "origin/main", "commit": "8c1d0e2f3a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9", "files": 55,
                          "fingerprints": 21, "matched": 2, "base_incomplete": False},
        },
        "metrics": [
            {"file": "metrics/eval.json", "format": "json", "status": "ok", "metrics": [
                {"name": "accuracy", "threshold": ">= 0.90", "value": 0.93, "status": "pass"},
                {"name": "fairness.demographic_parity_difference", "threshold": "<= 0.10", "value": 0.14,
                 "status": "fail"},
                {"name": "robustness.auc_drop", "threshold": "<= 0.05", "value": None, "status": "missing"}]},
            {"file": "metrics/missing.csv", "format": "csv", "status": "error: does not exist", "metrics": []},
        ],
        "data_audit": {
            "sample_rows": 2000, "sample_bytes": 8388608,
            "datasets": {
                "data/customers.csv": {
                    "format": "csv", "size": 19742, "bytes_read": 19742, "rows_sampled": 500, "complete": True,
                    "columns": ["customer_id", "email", "age", "zip"], "stopped": None,
                    "sampled": "all 500 rows (19.3 KB)",
                    "pii": [{"column": "email", "type": "email", "hits": 485, "rows": 500, "ratio": 0.97,
                             "example": "j***@e***.com"}]},
                "data/raw/events.jsonl": {
                    "format": "jsonl", "size": 73400320, "bytes_read": 8388608, "rows_sampled": 2000,
                    "complete": False, "columns": ["ts", "path", "status"], "stopped": None,
                    "sampled": "first 2,000 rows (first 8.0 MB of 70.0 MB)"},
            },
            "fairness_evidence": {"found": True, "where": "config metrics[0]",
                                  "what": "fairness threshold 'fairness.demographic_parity_difference'"},
        },
        "sbom": {
            "spec_version": "1.6", "components": 6, "document": "out/bom.cdx.json",
            "summary": [
                {"name": "torch", "type": "library", "version": "1.13.0", "purl": "pkg:pypi/torch@1.13.0",
                 "licenses": ["BSD-3-Clause"], "sha256": None, "path": "requirements.txt"},
                {"name": "pillow", "type": "library", "version": "9.0.0", "purl": "pkg:pypi/pillow@9.0.0",
                 "licenses": ["HPND"], "sha256": None, "path": "requirements.txt"},
                {"name": "scikit-learn", "type": "library", "version": None, "purl": "pkg:pypi/scikit-learn",
                 "licenses": ["BSD-3-Clause"], "sha256": None, "path": "requirements.txt"},
                {"name": "flask", "type": "library", "version": "3.0.3", "purl": "pkg:pypi/flask@3.0.3",
                 "licenses": ["BSD-3-Clause"], "sha256": None, "path": "requirements.txt"},
                {"name": "classifier.pkl", "type": "machine-learning-model", "version": None, "purl": None,
                 "licenses": [], "sha256": "5d41402abc4b2a76b9719d911017c592" * 2, "path": "models/classifier.pkl"},
                {"name": "customers.csv", "type": "data", "version": None, "purl": None, "licenses": ["CC-BY-4.0"],
                 "sha256": "7d793037a0760186574b0282f2f435e7" * 2, "path": "data/customers.csv"},
            ],
        },
    }


def large_results(n: int = 5000) -> dict[str, Any]:
    """``n`` findings over many rules and files: the shape of a big monorepo scan."""
    doc = sample_results()
    rules = list(RULES)
    findings = []
    for i in range(n):
        rid = rules[i % len(rules)]
        path = f"pkg{i % 37}/module_{i % 211}.py"
        status = "open" if i % 9 else "baselined"
        findings.append(_finding(rid, path, 1 + i % 400, f"Finding number {i} of {rid} <b>not bold</b>",
                                 snippet=f"line_{i} = call(x) & y < z", status=status,
                                 reason="baseline" if status != "open" else None))
    doc["findings"] = findings
    doc["stages"] = _stages(findings)
    doc["risks"] = _risks(findings)
    return doc
