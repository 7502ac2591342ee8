"""Fixtures for the RATP tests: a catalog reduced to our own sources (ratp, metrics, judge) plus a fake
analyzer, so that other rule packs landing later cannot change what these tests judge."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from helpers import scan_json

from auditor.analyzers import registry
from auditor.cli import main

from .fakes import FAKE_PACK

OURS = frozenset({"ratp", "metrics", "judge", "ratpfake"})


@pytest.fixture
def ours(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Only our rules are enabled; returns the fake rule folder to pass as --rules."""
    monkeypatch.setitem(registry.ANALYZERS, "ratpfake", "ratp.fakes:RatpFakeAnalyzer")
    d = tmp_path / "fake-rules"
    d.mkdir()
    (d / "fake.yaml").write_text(FAKE_PACK)
    from auditor.rules import load_catalog as real_load

    def load(extra_dirs: Sequence[Path] = (), **kw: Any) -> Any:
        cat = real_load(extra_dirs, **kw)
        rules = {rid: (r if r.source in OURS else replace(r, enabled=False)) for rid, r in cat.rules.items()}
        return replace(cat, rules=rules)

    monkeypatch.setattr("auditor.cli.common.load_catalog", load)
    return d


RunFn = Callable[..., tuple[int, dict[str, Any] | None, str, str]]


@pytest.fixture
def scan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[RunFn]:
    out_dir = tmp_path / "out"

    def run(root: Path, *args: str) -> tuple[int, dict[str, Any] | None, str, str]:
        return scan_json(out_dir, capsys, root, "--no-cache", *args)

    yield run


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    def run(*args: str) -> tuple[int, str, str]:
        rc = main(list(args))
        cap = capsys.readouterr()
        return rc, cap.out, cap.err

    return run
