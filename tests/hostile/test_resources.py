"""Resources class: zip bombs, deep documents, alias bombs, giant lines and fields, absurd array
shapes. Each case is a builder in corpus.RESOURCES; every scan must end within its bound, without
an analyzer failure, and still report the payload planted beside the trap."""

from __future__ import annotations

import pytest

from hostile.conftest import Hostile
from hostile.corpus import RESOURCES, SLOW_RESOURCES


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_resource_trap_is_bounded(hostile: Hostile, name: str) -> None:
    expect = RESOURCES[name](hostile.root, hostile.canary)
    run = hostile.scan(expect=expect)
    hostile.check(run, expect)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SLOW_RESOURCES))
def test_slow_resource_trap_is_bounded(hostile: Hostile, name: str) -> None:
    expect = SLOW_RESOURCES[name](hostile.root, hostile.canary)
    run = hostile.scan(expect=expect)
    hostile.check(run, expect)
