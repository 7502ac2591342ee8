"""Fixtures for core tests: a fake analyzer registered under a test name, and a CLI runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from helpers import scan_json

from auditor.analyzers import registry
from auditor.analyzers.interface import AnalysisContext, BaseAnalyzer
from auditor.model import Asset, RawFinding, Rule

FAKE_PACK = """
- id: FAKE-LINE-001
  title: Line contains the word BAD
  stage: {default: model-build, container: deploy}
  severity: high
  risks: [R-INSECURE-CODE]
  applies_to: [python, container, config, other, doc]
  source: fake
  weakness: CWE-000
  description: A test rule that reports every line containing BAD.
  remediation: Remove the word BAD from the line.
  references: [CWE-000]
- id: FAKE-LOW-001
  title: Line contains the word MEH
  stage: deploy
  severity: low
  risks: [R-INSECURE-CODE]
  applies_to: [python]
  source: fake
  description: A test rule that reports every line containing MEH.
  remediation: Remove the word MEH from the line.
  references: [CWE-000]
- id: FAKE-SAME-001
  title: Same weakness as FAKE-LINE-001 from a wrapped tool
  stage: model-build
  severity: critical
  risks: [R-INSECURE-CODE]
  applies_to: [python]
  source: fake2
  weakness: CWE-000
  description: Reports BAD lines again, as a wrapped tool would.
  remediation: Remove the word BAD from the line.
  references: [CWE-000]
"""


class FakeAnalyzer(BaseAnalyzer):
    """Reports lines containing BAD (FAKE-LINE-001) or MEH (FAKE-LOW-001)."""

    name = "fake"
    kinds = frozenset({"python", "container", "config", "other", "doc"})
    words = {"BAD": "FAKE-LINE-001", "MEH": "FAKE-LOW-001"}

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


class Fake2Analyzer(FakeAnalyzer):
    name = "fake2"
    kinds = frozenset({"python"})
    words = {"BAD": "FAKE-SAME-001"}


class CrashingAnalyzer(BaseAnalyzer):
    name = "fake"
    kinds = frozenset({"python"})

    def analyze(self, ctx: AnalysisContext, assets: Sequence[Asset], rules: Sequence[Rule]) -> list[RawFinding]:
        raise RuntimeError("boom in the fake analyzer")


@pytest.fixture
def fake_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setitem(registry.ANALYZERS, "fake", "core.conftest:FakeAnalyzer")
    monkeypatch.setitem(registry.ANALYZERS, "fake2", "core.conftest:Fake2Analyzer")
    d = tmp_path / "fake-rules"
    d.mkdir()
    (d / "fake.yaml").write_text(FAKE_PACK)
    return d


@pytest.fixture
def only_fake(tmp_path: Path, fake_rules: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Disable every shipped analyzer so that core tests judge only the fake rules."""
    from auditor.rules import load_catalog as real_load

    def load(extra_dirs: Sequence[Path] = (), **kw: Any) -> Any:
        cat = real_load(extra_dirs, **kw)
        from dataclasses import replace

        rules = {rid: (r if r.source in ("fake", "fake2", "judge") else replace(r, enabled=False))
                 for rid, r in cat.rules.items()}
        return replace(cat, rules=rules)

    monkeypatch.setattr("auditor.cli.common.load_catalog", load)
    # fake2 plays a wrapped third-party tool: on a shared weakness the fake (own) rule is kept
    monkeypatch.setattr("auditor.judge.findings.WRAPPED", {"fake2"})
    return fake_rules


RunFn = Callable[..., tuple[int, dict[str, Any] | None, str, str]]


@pytest.fixture
def run_scan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[RunFn]:
    out_dir = tmp_path / "out"

    def run(root: Path, *args: str) -> tuple[int, dict[str, Any] | None, str, str]:
        return scan_json(out_dir, capsys, root, *args)

    yield run
