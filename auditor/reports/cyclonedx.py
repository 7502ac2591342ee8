"""CycloneDX reporter: the SBOM document the ``cyclonedx`` analyzer put in the results (``sbom.document``),
as JSON. A pure function of the results document."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from auditor.reports.interface import Format, RenderContext, ReportError


class CycloneDxReporter:
    format = Format.CYCLONEDX

    def render(self, results: Mapping[str, Any], ctx: RenderContext) -> bytes:
        sbom = results.get("sbom")
        document = sbom.get("document") if isinstance(sbom, Mapping) else None
        if not isinstance(document, Mapping):
            raise ReportError(
                "the results hold no SBOM: the cyclonedx analyzer did not run (or its rule SBOM-PRESENT-001 "
                "is disabled); scan with the analyzer enabled, or run 'auditor sbom PATH -o bom.cdx.json'")
        return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
