from __future__ import annotations

import copy
from typing import Any

import pytest

from auditor.reports.interface import RenderContext
from reports.sample import sample_results

_SAMPLE = sample_results()


@pytest.fixture
def sample() -> dict[str, Any]:
    return copy.deepcopy(_SAMPLE)


@pytest.fixture
def ctx() -> RenderContext:
    return RenderContext()
