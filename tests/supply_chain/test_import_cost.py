"""The rule catalog imports every analyzer module for its match_schema: the supply-chain modules keep
manifest parsing, the OSV database (urllib/ssl), pip, bandit, pip-audit and cyclonedx out of that path."""

from __future__ import annotations

import json
import subprocess
import sys

from helpers import REPO

LAZY = ("auditor.manifests", "auditor.vulndb", "auditor.licenses", "auditor.depresolve", "auditor.cvss",
        "packaging.requirements", "configparser", "pip_audit", "bandit", "cyclonedx", "requests", "pip")


def test_loading_the_catalog_does_not_import_supply_chain_internals() -> None:
    code = ("import json, sys\nimport auditor.rules\nauditor.rules.load_catalog()\n"
            "for name in ('auditor.analyzers.bandit_scan', 'auditor.analyzers.pip_audit_scan', "
            "'auditor.analyzers.dependencies', 'auditor.analyzers.sbom'):\n"
            "    assert name in sys.modules, name\n"
            f"print(json.dumps(sorted(m for m in {list(LAZY)!r} if m in sys.modules)))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True,
                          timeout=120)
    assert json.loads(proc.stdout) == []
