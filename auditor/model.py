"""The data types every part shares: stages, severities, assets, rules, findings.

Analyzers produce ``RawFinding``s; the judge turns them into ``Finding``s with a stage, a fingerprint
and a status. Everything is frozen so that results cannot change after they were judged.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class Stage(str, enum.Enum):
    PROBLEM_DEFINITION = "problem-definition"
    DATA_BUILD = "data-build"
    MODEL_BUILD = "model-build"
    TEST = "test"
    INTEGRATE_RELEASE = "integrate-release"
    DEPLOY = "deploy"
    SERVE = "serve"
    MONITOR = "monitor"

    @property
    def order(self) -> int:
        return STAGE_ORDER.index(self.value)


STAGE_ORDER: tuple[str, ...] = tuple(s.value for s in Stage)


class Severity(str, enum.Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: critical=4 ... info=0."""
        return SEVERITY_RANK[self.value]


SEVERITY_RANK: dict[str, int] = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")


def severity_at_least(severity: str, threshold: str) -> bool:
    """True when ``severity`` is at or above ``threshold``; threshold ``none`` never matches."""
    if threshold == "none":
        return False
    return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold]


ASSET_KINDS: tuple[str, ...] = (
    "python", "notebook", "dependency", "container", "iac", "pipeline",
    "config", "model", "data", "doc", "other",
)

# "repo" is a pseudo-kind for rules about the repository as a whole (presence checks, RATP).
RULE_KINDS: tuple[str, ...] = ASSET_KINDS + ("repo",)


@dataclass(frozen=True)
class Asset:
    """One file of the target, classified. ``path`` is relative to the root, with forward slashes."""

    path: str
    abspath: Path
    kind: str
    size: int
    # finer format from content sniffing: pickle, pytorch-zip, keras-v3, npz, zip, hdf5, npy,
    # safetensors, gguf, onnx, tflite, requirements, dockerfile, compose, kubernetes, ...
    format: str | None = None
    # protocol / container detail from sniffing (e.g. {"pickle_protocol": 4})
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True)
class StageSpec:
    """A rule's stage: one stage, or one per asset kind with a default."""

    default: str
    by_kind: Mapping[str, str] = field(default_factory=dict)

    def for_kind(self, kind: str | None) -> str:
        if kind is not None and kind in self.by_kind:
            return self.by_kind[kind]
        return self.default

    def all(self) -> tuple[str, ...]:
        return tuple(sorted({self.default, *self.by_kind.values()}, key=STAGE_ORDER.index))


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    stage: StageSpec
    severity: str
    risks: tuple[str, ...]
    applies_to: tuple[str, ...]
    source: str
    match: Mapping[str, Any]
    description: str
    remediation: str
    references: tuple[str, ...]
    # file: judged per file (runs in pre-commit on staged files); repo: about the repository
    scope: str = "file"
    confidence: str = "high"
    # two findings on the same path and line with the same weakness are one finding (own rule wins)
    weakness: str | None = None
    enabled: bool = True
    pack: str = ""

    @property
    def default_stage(self) -> str:
        return self.stage.default


@dataclass(frozen=True)
class RawFinding:
    """What an analyzer reports: a rule matched somewhere. The judge adds stage, status, fingerprint."""

    rule_id: str
    path: str  # relative to root, forward slashes; "." for repository-level findings
    message: str
    start_line: int | None = None
    end_line: int | None = None
    snippet: str | None = None  # must already be redacted when it may hold a secret
    severity: str | None = None  # overrides the rule's severity (e.g. CVSS of an advisory)
    confidence: str | None = None
    kind: str | None = None  # asset kind where found, for rules whose stage depends on it
    # text that identifies the issue within the file independent of line numbers (advisory id,
    # normalised code line, pickle global); defaults to the snippet
    fingerprint_key: str | None = None
    cell: int | None = None  # notebook cell number (1-based) when path is a notebook
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    fingerprint: str
    rule_id: str
    title: str
    severity: str
    stage: str
    risks: tuple[str, ...]
    analyzer: str
    path: str
    message: str
    start_line: int | None = None
    end_line: int | None = None
    snippet: str | None = None
    cell: int | None = None
    confidence: str | None = None
    remediation: str | None = None
    references: tuple[str, ...] = ()
    status: str = "open"  # open | suppressed | waived | baselined
    status_reason: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)

    def sort_key(self) -> tuple[Any, ...]:
        return (
            STAGE_ORDER.index(self.stage), -SEVERITY_RANK[self.severity], self.path,
            self.cell or 0, self.start_line or 0, self.rule_id, self.fingerprint,
        )

    def to_dict(self) -> dict[str, Any]:
        location: dict[str, Any] = {
            "path": self.path, "start_line": self.start_line, "end_line": self.end_line,
            "snippet": self.snippet,
        }
        if self.cell is not None:
            location["cell"] = self.cell
        out: dict[str, Any] = {
            "fingerprint": self.fingerprint, "rule_id": self.rule_id, "title": self.title,
            "severity": self.severity, "stage": self.stage, "risks": list(self.risks),
            "analyzer": self.analyzer, "location": location, "message": self.message,
            "remediation": self.remediation, "references": list(self.references),
            "status": self.status, "status_reason": self.status_reason,
        }
        if self.confidence:
            out["confidence"] = self.confidence
        if self.properties:
            out["properties"] = dict(self.properties)
        return out
