"""A fake analyzer for the RATP tests: lines with BAD or LEAK become findings linked to risks."""

from __future__ import annotations

from collections.abc import Sequence

from auditor.analyzers.interface import AnalysisContext, BaseAnalyzer
from auditor.model import Asset, RawFinding, Rule

FAKE_PACK = """
- id: FAKERATP-BAD-001
  title: Line contains the word BAD
  stage: model-build
  severity: high
  risks: [R-INSECURE-CODE]
  applies_to: [python]
  source: ratpfake
  description: A test rule that reports every line containing BAD.
  remediation: Remove the word BAD from the line.
  references: [CWE-000]
- id: FAKERATP-LEAK-001
  title: Line contains the word LEAK
  stage: deploy
  severity: medium
  risks: [R-SECRET-LEAKAGE, R-INSECURE-CODE]
  applies_to: [python]
  source: ratpfake
  description: A test rule that reports every line containing LEAK.
  remediation: Remove the word LEAK from the line.
  references: [CWE-000]
"""


class RatpFakeAnalyzer(BaseAnalyzer):
    name = "ratpfake"
    kinds = frozenset({"python"})
    words = {"BAD": "FAKERATP-BAD-001", "LEAK": "FAKERATP-LEAK-001"}

    def analyze(self, ctx: AnalysisContext, assets: Sequence[Asset], rules: Sequence[Rule]) -> list[RawFinding]:
        wanted = {r.id for r in rules}
        out = []
        for a in assets:
            for i, line in enumerate(a.abspath.read_text("utf-8", "replace").splitlines(), start=1):
                for word, rid in self.words.items():
                    if word in line and rid in wanted:
                        out.append(RawFinding(rule_id=rid, path=a.path, message=f"{word} found", start_line=i,
                                              snippet=line.strip(), kind=a.kind))
        return out
