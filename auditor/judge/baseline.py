"""Baselines: the fingerprints of known findings, so a gate fails only on new ones."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from auditor.errors import InputError
from auditor.model import Finding

FORMAT = "auditor-baseline/1"


def load(path: Path) -> frozenset[str]:
    try:
        doc = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: baseline file not found; create one with `auditor baseline RESULTS.json -o "
                         f"{path}`") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable baseline (JSON expected): {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("fingerprints"), list):
        raise InputError(f"{path}: field 'format' must be '{FORMAT}' with a 'fingerprints' list; "
                         f"recreate it with `auditor baseline`")
    return frozenset(str(x) for x in doc["fingerprints"])


def build(results: Mapping[str, Any]) -> bytes:
    fps = sorted({f["fingerprint"] for f in results.get("findings", [])
                  if f.get("status") in ("open", "baselined")})
    doc = {"format": FORMAT, "tool": results.get("tool", {}).get("version"),
           "created_from": results.get("finished_at"), "fingerprints": fps}
    return (json.dumps(doc, indent=2) + "\n").encode()


def apply(findings: Sequence[Finding], known: Iterable[str],
          reason: str = "present in the baseline") -> tuple[list[Finding], int]:
    known_set = frozenset(known)
    matched = 0
    out = []
    for f in findings:
        if f.status == "open" and f.fingerprint in known_set:
            matched += 1
            f = replace(f, status="baselined", status_reason=reason)
        out.append(f)
    return out, matched
