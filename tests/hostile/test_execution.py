"""Execution class: payloads that run code if anything unpickles, imports or loads them. Each case is
a builder in corpus.EXECUTION named after what it reproduces (advisory id in the name)."""

from __future__ import annotations

import pytest

from hostile.conftest import Hostile
from hostile.corpus import EXECUTION


@pytest.mark.parametrize("name", sorted(EXECUTION))
def test_execution_payload_is_inert_and_reported(hostile: Hostile, name: str) -> None:
    expect = EXECUTION[name](hostile.root, hostile.canary)
    run = hostile.scan(expect=expect)
    hostile.check(run, expect)
