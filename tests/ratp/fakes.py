"""A fake analyzer for the RATP tests: lines with BAD or LEAK become findings linked to risks."""

from __future__ import annotations

from core.conftest import FakeAnalyzer

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


class RatpFakeAnalyzer(FakeAnalyzer):
    """The core fake (reports lines containing a word) with the RATP tests' words and rules."""

    name = "ratpfake"
    kinds = frozenset({"python"})
    words = {"BAD": "FAKERATP-BAD-001", "LEAK": "FAKERATP-LEAK-001"}
