"""The gate policy: from the configuration, overridden by command-line options."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from auditor.config import Config
from auditor.model import STAGE_ORDER


@dataclass(frozen=True)
class Policy:
    fail_on: str = "high"
    stage_fail_on: Mapping[str, str] = field(default_factory=dict)
    gated: frozenset[str] = frozenset(STAGE_ORDER)
    required_controls: tuple[str, ...] = ()
    require_treatment: bool = False
    allow_incomplete: bool = False

    def threshold(self, stage: str) -> str:
        return self.stage_fail_on.get(stage, self.fail_on)


def from_config(
    config: Config,
    *,
    fail_on: str | None = None,
    stages: Sequence[str] = (),
    until: str | None = None,
    allow_incomplete: bool = False,
) -> Policy:
    """Which stages are gated: the configuration's ``gate.stages`` (default: all) without those with
    ``stages.<id>.gated: false``, cut after ``gate.until``. On the command line ``--stage`` replaces
    that selection (and the configured ``until``) and ``--until`` replaces the configured cut: the
    command line overrides the file."""
    gate = config.get("gate") or {}
    gated = set(gate.get("stages") or STAGE_ORDER)
    per_stage = config.get("stages") or {}
    stage_fail_on: dict[str, str] = {}
    for sid, opts in per_stage.items():
        if opts.get("gated") is False:
            gated.discard(sid)
        if "fail_on" in opts:
            stage_fail_on[sid] = opts["fail_on"]
    if stages:
        gated = set(stages)
    cut = until or (None if stages else gate.get("until"))
    if cut:
        gated &= set(STAGE_ORDER[: STAGE_ORDER.index(cut) + 1])
    return Policy(
        fail_on=fail_on or config.get("fail_on", "high"),
        # a --fail-on on the command line overrides per-stage thresholds too: it is the user's word now
        stage_fail_on={} if fail_on else stage_fail_on,
        gated=frozenset(gated), required_controls=tuple(gate.get("required_controls") or ()),
        require_treatment=bool(gate.get("require_treatment", False)), allow_incomplete=allow_incomplete,
    )
