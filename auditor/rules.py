"""Rule packs, the stage descriptions and the risk catalog: loaded from YAML and validated, with
errors that name the file, the rule id and the field (exit 2)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from auditor import resources, yamlio
from auditor.analyzers import registry
from auditor.errors import RuleError
from auditor.model import STAGE_ORDER, Rule, StageSpec

SPECIAL_FILES = ("stages.yaml", "risks.yaml")


@dataclass(frozen=True)
class StageInfo:
    id: str
    title: str
    purpose: str
    tasks: tuple[str, ...]
    outputs: tuple[str, ...]
    security_considerations: tuple[str, ...]


@dataclass(frozen=True)
class RiskInfo:
    id: str
    title: str
    description: str
    likelihood: int
    impact: int
    stages: tuple[str, ...]
    references: tuple[str, ...]
    applies_to: tuple[str, ...] = ()
    treatment_hint: str = ""


@dataclass(frozen=True)
class Catalog:
    rules: Mapping[str, Rule]
    stages: Sequence[StageInfo]
    risks: Mapping[str, RiskInfo]
    digest: str
    packs: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)

    def enabled(self) -> list[Rule]:
        return [r for r in self.rules.values() if r.enabled]

    def stage(self, stage_id: str) -> StageInfo:
        for s in self.stages:
            if s.id == stage_id:
                return s
        raise KeyError(stage_id)


@lru_cache(maxsize=8)
def _schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(resources.schema_path(name).read_text())
    return loaded


def _field_path(err: jsonschema.ValidationError) -> str:
    parts = [str(p) for p in list(err.absolute_path)[1:]]
    return ".".join(parts) if parts else "(rule)"


def _read_yaml(path: Path) -> Any:
    try:
        return yamlio.load(path.read_bytes())
    except yaml.YAMLError as exc:
        raise RuleError(f"{path}: not valid YAML at {yamlio.error_location(exc)}: fix the syntax") from exc
    except OSError as exc:
        raise RuleError(f"{path}: cannot read: {exc.strerror}") from exc


def _validate(doc: Any, schema_name: str, path: Path, what: str) -> None:
    validator = jsonschema.Draft202012Validator(_schema(schema_name))
    errors = sorted(validator.iter_errors(doc), key=lambda e: [(0, x, "") if type(x) is int else (1, 0, str(x)) for x in e.absolute_path])
    if not errors:
        return
    err = errors[0]
    where = ""
    if err.absolute_path and isinstance(doc, list):
        idx = err.absolute_path[0]
        item = doc[idx] if isinstance(idx, int) and idx < len(doc) else None
        ident = item.get("id") if isinstance(item, dict) else None
        where = f" {what} {ident or f'#{idx + 1}'}:"
        where += f" field '{_field_path(err)}':"
    raise RuleError(f"{path}:{where} {err.message}")


def _stage_spec(value: Any) -> StageSpec:
    if isinstance(value, str):
        return StageSpec(default=value)
    by_kind = {k: v for k, v in value.items() if k != "default"}
    return StageSpec(default=value["default"], by_kind=by_kind)


def _rule_from(item: Mapping[str, Any], pack: Path) -> Rule:
    applies = tuple(item["applies_to"])
    default_scope = "repo" if applies == ("repo",) else "file"
    return Rule(
        id=item["id"], title=item["title"], stage=_stage_spec(item["stage"]),
        severity=item["severity"], risks=tuple(item["risks"]), applies_to=applies,
        source=item["source"], match=item.get("match") or {}, description=item["description"].strip(),
        remediation=item["remediation"].strip(), references=tuple(item["references"]),
        scope=item.get("scope", default_scope), confidence=item.get("confidence", "high"),
        weakness=item.get("weakness"), enabled=item.get("enabled", True), pack=str(pack),
    )


def _match_checker(source: str) -> Any:
    """The analyzer's optional ``check_match(match)`` classmethod: checks a schema cannot express."""
    target = registry.ANALYZERS.get(source)
    if target is None or registry.match_schema(source) is None:
        return None
    module_name, _, attr = target.partition(":")
    import importlib

    return getattr(getattr(importlib.import_module(module_name), attr), "check_match", None)


def load_pack(path: Path) -> list[Rule]:
    """Load and validate one rule pack file (a YAML list of rules)."""
    doc = _read_yaml(path)
    if doc is None:
        return []
    if not isinstance(doc, list):
        raise RuleError(f"{path}: a rule pack must be a YAML list of rules, found {type(doc).__name__}")
    _validate(doc, "rule-pack.schema.json", path, "rule")
    rules = []
    sources = registry.known_sources()
    for item in doc:
        if item["source"] not in sources:
            raise RuleError(
                f"{path}: rule {item['id']}: field 'source': unknown analyzer '{item['source']}' "
                f"(known: {', '.join(sorted(sources))})"
            )
        schema = registry.match_schema(item["source"])
        if schema is not None:
            errs = sorted(jsonschema.Draft202012Validator(schema).iter_errors(item.get("match") or {}),
                          key=lambda e: [(0, x, "") if type(x) is int else (1, 0, str(x)) for x in e.absolute_path])
            if errs:
                sub = ".".join(str(p) for p in errs[0].absolute_path)
                raise RuleError(f"{path}: rule {item['id']}: field 'match{'.' + sub if sub else ''}': "
                                f"{errs[0].message}")
        checker = _match_checker(item["source"])
        if checker is not None:
            try:
                checker(item.get("match") or {})
            except ValueError as exc:  # e.g. a regular expression that does not compile
                raise RuleError(f"{path}: rule {item['id']}: {exc}") from exc
        rules.append(_rule_from(item, path))
    return rules


def pack_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise RuleError(f"{directory}: rule directory does not exist")
    files = sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    return [p for p in files if p.name not in SPECIAL_FILES]


def _load_stages(path: Path) -> list[StageInfo]:
    doc = _read_yaml(path)
    _validate(doc, "stages.schema.json", path, "stage")
    stages = [StageInfo(id=s["id"], title=s["title"], purpose=s["purpose"].strip(), tasks=tuple(s["tasks"]),
                        outputs=tuple(s["outputs"]), security_considerations=tuple(s["security_considerations"]))
              for s in doc]
    if [s.id for s in stages] != list(STAGE_ORDER):
        raise RuleError(f"{path}: the eight stages must be listed once each, in lifecycle order")
    return stages


def _load_risks(path: Path) -> dict[str, RiskInfo]:
    doc = _read_yaml(path)
    _validate(doc, "risks.schema.json", path, "risk")
    out: dict[str, RiskInfo] = {}
    for r in doc:
        if r["id"] in out:
            raise RuleError(f"{path}: risk {r['id']}: duplicate id")
        out[r["id"]] = RiskInfo(
            id=r["id"], title=r["title"], description=r["description"].strip(), likelihood=r["likelihood"],
            impact=r["impact"], stages=tuple(r["stages"]), references=tuple(r["references"]),
            applies_to=tuple(r.get("applies_to", ())), treatment_hint=r.get("treatment_hint", ""),
        )
    return out


def _digest(files: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def load_catalog(
    extra_dirs: Sequence[Path] = (),
    *,
    disable: Iterable[str] = (),
    enable: Iterable[str] = (),
    severity_overrides: Mapping[str, str] | None = None,
) -> Catalog:
    """The shipped packs plus user packs. A user rule may not reuse a shipped id."""
    base = resources.rules_dir()
    stages = _load_stages(base / "stages.yaml")
    risks = _load_risks(base / "risks.yaml")
    files = pack_files(base)
    user_files: list[Path] = []
    for d in extra_dirs:
        user_files.extend(pack_files(Path(d)))
        extra_risks = Path(d) / "risks.yaml"
        if extra_risks.is_file():
            for rid, risk in _load_risks(extra_risks).items():
                risks.setdefault(rid, risk)
    rules: dict[str, Rule] = {}
    for f in [*files, *user_files]:
        for rule in load_pack(f):
            if rule.id in rules:
                raise RuleError(f"{f}: rule {rule.id}: field 'id': duplicate of a rule in {rules[rule.id].pack}")
            for rid in rule.risks:
                if rid not in risks:
                    raise RuleError(f"{f}: rule {rule.id}: field 'risks': unknown risk '{rid}' "
                                    f"(add it to a risks.yaml or use a catalog id)")
            rules[rule.id] = rule
    for rid in disable:
        if rid not in rules:
            raise RuleError(f"configuration: rules.disable: unknown rule '{rid}'")
        rules[rid] = replace(rules[rid], enabled=False)
    for rid in enable:
        if rid not in rules:
            raise RuleError(f"configuration: rules.enable: unknown rule '{rid}'")
        rules[rid] = replace(rules[rid], enabled=True)
    for rid, sev in (severity_overrides or {}).items():
        if rid not in rules:
            raise RuleError(f"configuration: rules.severity: unknown rule '{rid}'")
        rules[rid] = replace(rules[rid], severity=sev)
    all_files = [base / "stages.yaml", base / "risks.yaml", *files, *user_files]
    ordered = dict(sorted(rules.items()))
    return Catalog(rules=ordered, stages=stages, risks=risks, digest=_digest(all_files),
                   packs=tuple(str(f) for f in all_files))


def validate_dir(directory: Path) -> list[Rule]:
    """Validate a user rule directory on its own (``auditor rules validate DIR``)."""
    base = resources.rules_dir()
    risks = _load_risks(base / "risks.yaml")
    extra_risks = directory / "risks.yaml"
    if extra_risks.is_file():
        risks.update(_load_risks(extra_risks))
    out: list[Rule] = []
    seen: dict[str, str] = {}
    for f in pack_files(directory):
        for rule in load_pack(f):
            if rule.id in seen:
                raise RuleError(f"{f}: rule {rule.id}: field 'id': duplicate of a rule in {seen[rule.id]}")
            seen[rule.id] = str(f)
            for rid in rule.risks:
                if rid not in risks:
                    raise RuleError(f"{f}: rule {rule.id}: field 'risks': unknown risk '{rid}'")
            out.append(rule)
    return out
