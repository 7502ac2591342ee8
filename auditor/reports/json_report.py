"""The results document itself, as deterministic JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from auditor.reports.interface import Format, RenderContext


def dumps(results: Mapping[str, Any]) -> bytes:
    # ensure_ascii keeps control characters and lone surrogates from odd file names as \u escapes
    return (json.dumps(results, indent=2, ensure_ascii=True, default=str) + "\n").encode("ascii")


class JsonReporter:
    format = Format.JSON

    def render(self, results: Mapping[str, Any], ctx: RenderContext) -> bytes:
        return dumps(results)
