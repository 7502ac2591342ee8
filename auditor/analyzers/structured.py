"""structured: conditions over YAML / JSON / TOML documents (Kubernetes manifests, compose files,
GitHub Actions, GitLab CI, Jupyter/TorchServe JSON configs), reported at the line of the offending key.

Documents are *composed* (never constructed) with the bounded safe loader of ``auditor.yamlio``, so
every value keeps its line; scalars of the standard YAML tags are converted with PyYAML's
SafeConstructor, custom tags (``!Ref``, ``!reference``) stay raw strings, and ``!!python/...`` tags
are never constructed: they are reported by rules with ``match: {check: unsafe-yaml-tag}``.
Helm templates (``{{ }}``) are skipped with a note; an unparsable file is a note, not a crash.

Match language (``match_schema``)
---------------------------------
``files`` / ``exclude``
    gitignore-style globs on the repository-relative path (as the ``pattern`` analyzer).
``formats``
    asset formats to consider (``kubernetes``, ``compose``, ``github-actions``, ``ci``, ...).
``documents``
    a condition each document must satisfy to be checked (e.g. ``{where: {kind: [Deployment, Pod]}}``).
``for_each``
    a path (or list of paths) selecting the subjects inside each document; default: the document.
``condition``
    a condition on each subject; a finding per subject that satisfies it (``mode: each``, default).
``mode: require``
    repository-level: one finding (path ``.``) when *no* subject of *any* applicable document
    satisfies ``condition`` ("the pipeline runs security scanning").
``message``
    template with ``{doc}`` (e.g. ``Deployment/web``), ``{path}``, ``{key}``, ``{value}``.
``secret: true``
    the matched value is a secret: redacted (first 4 characters, then ``****``) in message and snippet.

Paths: dot-separated keys; ``[*]`` every list item, ``*`` every map value or list item, ``[0]`` an
index, ``["nvidia.com/gpu"]`` a key with dots, ``**`` any depth (including here). Macros:
``@pod`` the pod specs of a Kubernetes document (``spec`` of a Pod, ``spec.template.spec`` of
workloads, ``spec.jobTemplate.spec.template.spec`` of CronJobs); ``@containers`` their
``containers``, ``initContainers`` and ``ephemeralContainers`` items.

Conditions (a mapping; several operators in one mapping must all hold on the same node):
``path`` (relative to the subject; default the subject itself), then one or more of
``equals``, ``not_equals``, ``in``, ``not_in``, ``regex``, ``not_regex``, ``contains`` (string equal,
list item equal, or map key present), ``gt``/``ge``/``lt``/``le`` (numbers), ``type``
(string|number|bool|list|map|null), ``present: true``, ``absent: true`` (missing or null),
``some: C`` / ``every: C`` (a condition on each node the path selects), ``key_regex`` (the key the
subject sits under); and the combinators ``not: C``, ``any: [C...]``, ``all: [C...]``,
``where: {path: value-or-list, ...}`` (shorthand for ``all`` of ``equals``/``in``).
A path that selects several nodes holds when any of them satisfies the operators.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.analyzers import textutil
from auditor.analyzers.interface import AnalysisContext, AnalyzerOutput, BaseAnalyzer
from auditor.model import Asset, RawFinding, Rule

MAX_BYTES = 5 * 1024 * 1024
MAX_NODES = 200_000
STRUCTURED_EXT = (".yaml", ".yml", ".json", ".toml")
_HELM = re.compile(r"(?<![$\\])\{\{-?\s*(?:[.$]|include|template|if|range|with|end|toYaml|tpl|-)")

_PATHS: dict[str, Any] = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}


def _cond_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "path": {"type": "string"},
            "equals": {}, "not_equals": {}, "contains": {},
            "in": {"type": "array"}, "not_in": {"type": "array"},
            "regex": {"type": "string"}, "not_regex": {"type": "string"},
            "gt": {"type": "number"}, "ge": {"type": "number"}, "lt": {"type": "number"}, "le": {"type": "number"},
            "type": {"enum": ["string", "number", "bool", "list", "map", "null"]},
            "present": {"const": True}, "absent": {"const": True},
            "some": {"$ref": "#/$defs/condition"}, "every": {"$ref": "#/$defs/condition"},
            "not": {"$ref": "#/$defs/condition"},
            "any": {"type": "array", "items": {"$ref": "#/$defs/condition"}, "minItems": 1},
            "all": {"type": "array", "items": {"$ref": "#/$defs/condition"}, "minItems": 1},
            "where": {"type": "object", "minProperties": 1},
            "key_regex": {"type": "string"},
        },
    }


class StructuredAnalyzer(BaseAnalyzer):
    name = "structured"
    kinds = frozenset({"container", "iac", "pipeline", "config"})
    match_schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "check": {"enum": ["unsafe-yaml-tag"]},
            "files": {"type": "array", "items": {"type": "string"}},
            "exclude": {"type": "array", "items": {"type": "string"}},
            "formats": {"type": "array", "items": {"type": "string"}},
            "documents": {"$ref": "#/$defs/condition"},
            "for_each": _PATHS,
            "condition": {"$ref": "#/$defs/condition"},
            "mode": {"enum": ["each", "require"]},
            "message": {"type": "string"},
            "secret": {"type": "boolean"},
        },
        "$defs": {"condition": _cond_schema()},
    }

    def analyze(self, ctx: AnalysisContext, assets: Sequence[Asset], rules: Sequence[Rule]) -> AnalyzerOutput:
        for rule in rules:
            _validate_rule(rule)
        findings: list[RawFinding] = []
        notes: list[str] = []
        require_hits: dict[str, bool] = {r.id: False for r in rules if r.match.get("mode") == "require"}
        require_seen: dict[str, bool] = dict.fromkeys(require_hits, False)
        files = 0
        for asset in sorted(assets, key=lambda a: a.path):
            if not asset.path.lower().endswith(STRUCTURED_EXT):
                continue
            applicable = [r for r in rules if asset.kind in r.applies_to and _selects_file(r.match, asset)]
            if not applicable:
                continue
            parsed = parse_file(asset)
            files += 1
            if parsed.note:
                notes.append(f"{asset.path}: {parsed.note}")
            for rule in applicable:
                if rule.match.get("check") == "unsafe-yaml-tag":
                    findings.extend(_unsafe_tag_findings(rule, asset, parsed))
                    continue
                if rule.id in require_hits:
                    for doc in parsed.documents:
                        if _document_selected(rule.match, doc):
                            require_seen[rule.id] = True
                            if next(_matches(rule.match, doc), None) is not None:
                                require_hits[rule.id] = True
                    continue
                findings.extend(_rule_findings(rule, asset, parsed))
        for rule in rules:
            if rule.id in require_hits and require_seen[rule.id] and not require_hits[rule.id]:
                findings.append(RawFinding(
                    rule_id=rule.id, path=".", message=rule.match.get("message") or rule.title,
                    fingerprint_key=rule.id, kind=rule.applies_to[0]))
        return AnalyzerOutput(findings=_dedupe(findings), files=files, notes=notes)


# --------------------------------------------------------------------------------------------- nodes

@dataclass(eq=False)
class Node:
    """A value with its location: ``line`` is 1-based (of the key, for map entries)."""

    value: Any  # dict[str, Node] | list[Node] | scalar
    line: int
    where: str = ""
    key: str | int | None = None
    tag: str | None = None

    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    def is_list(self) -> bool:
        return isinstance(self.value, list)

    def is_scalar(self) -> bool:
        return not isinstance(self.value, (dict, list))

    def plain(self) -> Any:
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


@dataclass
class Parsed:
    documents: list[Node] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    unsafe_tags: list[tuple[int, str]] = field(default_factory=list)
    note: str | None = None
    skipped: bool = False


class _Budget(Exception):
    pass


def _child_where(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    if re.fullmatch(r"[A-Za-z0-9_\-/$]+", key):
        return f"{where}.{key}" if where else key
    return f'{where}["{key}"]'


class _YamlConverter:
    def __init__(self) -> None:
        import yaml

        self._yaml = yaml
        self._constructor = yaml.constructor.SafeConstructor()
        self.count = 0
        self.unsafe: list[tuple[int, str]] = []

    def convert(self, node: Any, where: str = "", key: str | int | None = None, line: int | None = None) -> Node:
        yaml = self._yaml
        self.count += 1
        if self.count > MAX_NODES:
            raise _Budget()
        ln = line if line is not None else node.start_mark.line + 1
        tag = node.tag or ""
        if tag.startswith("tag:yaml.org,2002:python/"):
            self.unsafe.append((node.start_mark.line + 1, tag.replace("tag:yaml.org,2002:", "!!")))
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Node] = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    kname = str(k.value)
                else:
                    kname = json.dumps(self.convert(k).plain(), default=str)
                if kname == "<<" and isinstance(v, (yaml.MappingNode, yaml.SequenceNode)):
                    merged = self.convert(v, where, key, ln)
                    for item in merged.value if isinstance(merged.value, list) else [merged]:
                        if isinstance(item.value, dict):
                            for mk, mv in item.value.items():
                                out.setdefault(mk, mv)
                    continue
                out[kname] = self.convert(v, _child_where(where, kname), kname, k.start_mark.line + 1)
            return Node(out, ln, where, key, tag)
        if isinstance(node, yaml.SequenceNode):
            items = [self.convert(v, _child_where(where, i), i) for i, v in enumerate(node.value)]
            return Node(items, ln, where, key, tag)
        return Node(self._scalar(node), ln, where, key, tag)

    def _scalar(self, node: Any) -> Any:
        tag = node.tag or ""
        if tag.startswith("tag:yaml.org,2002:") and not tag.startswith("tag:yaml.org,2002:python/"):
            try:
                value = self._constructor.construct_object(node)
            except Exception:  # noqa: BLE001 - a malformed scalar stays a string
                return str(node.value)
            if isinstance(value, (str, int, float, bool)) or value is None:
                return value
            return str(value)
        return str(node.value)


def _from_plain(value: Any, lines: list[str], where: str = "", key: str | int | None = None,
                line: int = 1) -> Node:
    """A Node tree from already-loaded data (TOML, or JSON YAML could not read): lines are found by
    searching for the key in the text."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            kl = _find_key_line(lines, str(k), line)
            out[str(k)] = _from_plain(v, lines, _child_where(where, str(k)), str(k), kl)
        return Node(out, line, where, key)
    if isinstance(value, list):
        return Node([_from_plain(v, lines, _child_where(where, i), i, line) for i, v in enumerate(value)],
                    line, where, key)
    if not isinstance(value, (str, int, float, bool)) and value is not None:
        value = str(value)
    return Node(value, line, where, key)


def _find_key_line(lines: list[str], key: str, start: int) -> int:
    pat = re.compile(r'^\s*(?:"' + re.escape(key) + r'"|' + re.escape(key) + r")\s*[:=]")
    for i in range(max(start - 1, 0), len(lines)):
        if pat.search(lines[i]):
            return i + 1
    return start


def parse_file(asset: Asset) -> Parsed:
    try:
        with asset.abspath.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        return Parsed(note=f"not checked: cannot read ({exc.strerror})", skipped=True)
    if len(raw) > MAX_BYTES:
        return Parsed(note=f"not checked: larger than {MAX_BYTES} bytes", skipped=True)
    text = raw.decode("utf-8", "replace")
    return parse_text(text, asset.path, asset.format)


def parse_text(text: str, path: str = "", fmt: str | None = None) -> Parsed:
    lines = text.splitlines()
    low = path.lower()
    if fmt == "helm-template" or (low.endswith((".yaml", ".yml")) and "/templates/" in f"/{low}"
                                  and _HELM.search(text)):
        return Parsed(lines=lines, skipped=True,
                      note="skipped: Helm template ({{ }} directives); render it with `helm template` "
                           "and scan the output")
    if low.endswith(".toml"):
        try:
            import tomllib
        except ModuleNotFoundError:  # pragma: no cover - python 3.10
            import tomli as tomllib  # type: ignore[no-redef,unused-ignore]
        try:
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, ValueError) as exc:
            return Parsed(lines=lines, note=f"not checked: not valid TOML ({exc})", skipped=True)
        return Parsed(documents=[_from_plain(data, lines)], lines=lines)
    return _parse_yaml(text, lines, is_json=low.endswith(".json"))


def _parse_yaml(text: str, lines: list[str], is_json: bool) -> Parsed:
    import yaml

    from auditor import yamlio

    conv = _YamlConverter()
    try:
        docs = [conv.convert(n) for n in yamlio.compose_all(text)
                if n is not None]
    except _Budget:
        return Parsed(lines=lines, note=f"not checked: more than {MAX_NODES} values (alias expansion?)",
                      skipped=True)
    except yaml.YAMLError as exc:
        if is_json:
            try:
                return Parsed(documents=[_from_plain(json.loads(text), lines)], lines=lines)
            except (ValueError, RecursionError):
                pass
        if _HELM.search(text):
            return Parsed(lines=lines, skipped=True,
                          note="skipped: template ({{ }} directives) is not plain YAML; render it and "
                               "scan the output")
        return Parsed(lines=lines, skipped=True,
                      note=f"not checked: not valid {'JSON' if is_json else 'YAML'} at "
                           f"{yamlio.error_location(exc)}")
    except RecursionError:
        return Parsed(lines=lines, note="not checked: nested too deeply", skipped=True)
    return Parsed(documents=docs, lines=lines, unsafe_tags=conv.unsafe)


# --------------------------------------------------------------------------------------------- paths

_SEG = re.compile(r"""\.?(?:(\*\*|\*|@?[A-Za-z0-9_\-/$]+)|\[(\*|\d+|"[^"]*"|'[^']*')\])""")


def parse_path(path: str) -> list[str | int]:
    """Split a path into segments: keys (str), indexes (int), ``*``, ``[*]`` and ``**``."""
    out: list[str | int] = []
    pos = 0
    while pos < len(path):
        m = _SEG.match(path, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"bad path {path!r} at position {pos}")
        name, bracket = m.group(1), m.group(2)
        if name is not None:
            out.append(name)
        elif bracket == "*":
            out.append("[*]")
        elif bracket.isdigit():
            out.append(int(bracket))
        else:
            out.append(bracket[1:-1])
        pos = m.end()
    return out


def _descendants(node: Node) -> Iterator[Node]:
    stack = [node]
    seen = 0
    while stack:
        n = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            return
        yield n
        if isinstance(n.value, dict):
            stack.extend(reversed(list(n.value.values())))
        elif isinstance(n.value, list):
            stack.extend(reversed(n.value))


def _pod_specs(node: Node) -> list[Node]:
    out = []
    spec = _get(node, "spec")
    if spec is not None and _get(spec, "containers") is not None:
        out.append(spec)
    for p in (("spec", "template", "spec"), ("spec", "jobTemplate", "spec", "template", "spec")):
        n: Node | None = node
        for k in p:
            n = _get(n, k) if n is not None else None
        if n is not None and n.is_map():
            out.append(n)
    return out


def _get(node: Node, key: str) -> Node | None:
    if isinstance(node.value, dict):
        return node.value.get(key)
    return None


def resolve(node: Node, path: str | list[str | int]) -> list[Node]:
    segs = parse_path(path) if isinstance(path, str) else path
    current = [node]
    for seg in segs:
        nxt: list[Node] = []
        for n in current:
            if seg == "@pod":
                nxt.extend(_pod_specs(n))
            elif seg == "@containers":
                for pod in _pod_specs(n):
                    for key in ("initContainers", "containers", "ephemeralContainers"):
                        c = _get(pod, key)
                        if c is not None and c.is_list():
                            nxt.extend(c.value)
            elif seg == "**":
                nxt.extend(_descendants(n))
            elif seg == "*":
                if isinstance(n.value, dict):
                    nxt.extend(n.value.values())
                elif isinstance(n.value, list):
                    nxt.extend(n.value)
            elif seg == "[*]":
                if isinstance(n.value, list):
                    nxt.extend(n.value)
            elif isinstance(seg, int):
                if isinstance(n.value, list) and -len(n.value) <= seg < len(n.value):
                    nxt.append(n.value[seg])
            else:
                child = _get(n, seg)
                if child is not None:
                    nxt.append(child)
        current = nxt
        if not current:
            break
    return current


# ---------------------------------------------------------------------------------------- conditions

_VALUE_OPS = ("equals", "not_equals", "in", "not_in", "regex", "not_regex", "contains", "gt", "ge", "lt",
              "le", "type")


def _norm(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower()
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str) and re.fullmatch(r"-?\d+", v.strip()):
        return float(v.strip())
    return v


def _eq(a: Any, b: Any) -> bool:
    return bool(_norm(a) == _norm(b))


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return ""
    return str(v)


def _num(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            return None
    return None


def _type_of(n: Node) -> str:
    v = n.value
    if isinstance(v, dict):
        return "map"
    if isinstance(v, list):
        return "list"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if v is None:
        return "null"
    return "string"


def _value_ok(n: Node, op: str, arg: Any) -> bool:
    v = n.value
    if op == "type":
        return _type_of(n) == arg
    if op == "contains":
        if isinstance(v, dict):
            return str(arg) in v
        if isinstance(v, list):
            return any(i.is_scalar() and _eq(i.value, arg) for i in v)
        return v is not None and _eq(v, arg)
    if not n.is_scalar():
        return op in ("not_equals", "not_in", "not_regex")
    if op == "equals":
        return _eq(v, arg)
    if op == "not_equals":
        return not _eq(v, arg)
    if op == "in":
        return any(_eq(v, a) for a in arg)
    if op == "not_in":
        return not any(_eq(v, a) for a in arg)
    if op == "regex":
        return v is not None and re.search(arg, _text(v)) is not None
    if op == "not_regex":
        return v is None or re.search(arg, _text(v)) is None
    num = _num(v)
    if num is None:
        return False
    return {"gt": num > arg, "ge": num >= arg, "lt": num < arg, "le": num <= arg}[op]


Witnesses = list[Node]


def evaluate(cond: Mapping[str, Any], subject: Node) -> Witnesses | None:
    """Witness nodes (possibly empty) when ``cond`` holds on ``subject``, else None."""
    if "not" in cond:
        if evaluate(cond["not"], subject) is not None:
            return None
    if "any" in cond:
        for c in cond["any"]:
            w = evaluate(c, subject)
            if w is not None:
                return _merge(cond, subject, w)
        return None
    if "all" in cond:
        acc: Witnesses = []
        for c in cond["all"]:
            w = evaluate(c, subject)
            if w is None:
                return None
            acc.extend(w)
        return _merge(cond, subject, acc)
    if "where" in cond:
        acc = []
        for p, want in cond["where"].items():
            nodes = resolve(subject, p)
            wants = want if isinstance(want, list) else [want]
            hit = [n for n in nodes if n.is_scalar() and any(_eq(n.value, w) for w in wants)]
            if not hit:
                return None
            acc.extend(hit[:1])
        return _merge(cond, subject, acc)
    return _merge(cond, subject, [])


def _merge(cond: Mapping[str, Any], subject: Node, acc: Witnesses) -> Witnesses | None:
    """Apply the node-level operators of ``cond`` (path, value ops, some/every, key_regex)."""
    if "key_regex" in cond:
        if not isinstance(subject.key, str) or re.search(cond["key_regex"], subject.key) is None:
            return None
    ops = [op for op in _VALUE_OPS if op in cond]
    node_ops = ops or [op for op in ("present", "absent", "some", "every") if op in cond]
    if "path" not in cond and not node_ops:
        return acc
    nodes = resolve(subject, cond["path"]) if "path" in cond else [subject]
    if cond.get("absent"):
        if any(n.value is not None for n in nodes):
            return None
        return acc
    if cond.get("present") and not any(n.value is not None for n in nodes):
        return None
    if "every" in cond:
        if not nodes:
            return None
        inner: Witnesses = []
        for n in nodes:
            w = evaluate(cond["every"], n)
            if w is None:
                return None
            inner.extend(w or [n])
        return acc + inner
    if "some" in cond:
        for n in nodes:
            w = evaluate(cond["some"], n)
            if w is not None:
                return acc + (w or [n])
        return None
    if ops:
        hits = [n for n in nodes if all(_value_ok(n, op, cond[op]) for op in ops)]
        if not hits:
            return None
        return acc + hits[:1]
    if cond.get("present"):
        return acc + [n for n in nodes if n.value is not None][:1]
    if "path" in cond and not nodes:
        return None
    return acc + nodes[:1]


# ------------------------------------------------------------------------------------------- rules

def _validate_rule(rule: Rule) -> None:
    m = rule.match
    paths = m.get("for_each") or []
    for p in [paths] if isinstance(paths, str) else paths:
        parse_path(p)


def _selects_file(match: Mapping[str, Any], asset: Asset) -> bool:
    fmts = match.get("formats")
    if fmts and asset.format not in fmts:
        return False
    files = match.get("files")
    if files and not textutil.glob_match(files, asset.path):
        return False
    exclude = match.get("exclude")
    return not (exclude and textutil.glob_match(exclude, asset.path))


def _document_selected(match: Mapping[str, Any], doc: Node) -> bool:
    cond = match.get("documents")
    return cond is None or evaluate(cond, doc) is not None


def _matches(match: Mapping[str, Any], doc: Node) -> Iterator[tuple[Node, Witnesses]]:
    fe = match.get("for_each")
    subjects: list[Node] = []
    if fe is None:
        subjects = [doc]
    else:
        for p in [fe] if isinstance(fe, str) else fe:
            subjects.extend(resolve(doc, p))
    cond = match.get("condition") or {}
    seen: set[int] = set()
    for s in subjects:
        if id(s) in seen:
            continue
        seen.add(id(s))
        w = evaluate(cond, s)
        if w is not None:
            yield s, w


def redact(value: str) -> str:
    return value[:4] + "****"


def _doc_name(doc: Node) -> str:
    kind = _get(doc, "kind")
    meta = _get(doc, "metadata")
    name = _get(meta, "name") if meta is not None else None
    if kind is not None and kind.is_scalar():
        return f"{kind.value}/{name.value if name is not None and name.is_scalar() else '?'}"
    return ""


def _rule_findings(rule: Rule, asset: Asset, parsed: Parsed) -> Iterator[RawFinding]:
    m = rule.match
    secret = bool(m.get("secret"))
    for doc in parsed.documents:
        if not _document_selected(m, doc):
            continue
        dname = _doc_name(doc)
        for subject, witnesses in _matches(m, doc):
            at = witnesses[0] if witnesses else subject
            value = _text(at.value) if at.is_scalar() else ""
            shown = redact(value) if secret and value else value
            line_text = parsed.lines[at.line - 1].strip() if 0 < at.line <= len(parsed.lines) else None
            if secret and line_text and value:
                line_text = line_text.replace(value, redact(value))
            where = at.where or subject.where or "(document)"
            fields = {"doc": dname, "path": where, "key": "" if at.key is None else str(at.key),
                      "value": shown[:120]}
            template = m.get("message")
            if template:
                message = template.format_map(_SafeDict(fields))
            else:
                message = f"{rule.title}: {f'{dname}: ' if dname else ''}{where}"
                if shown and not isinstance(at.value, bool):
                    message += f" = {shown[:80]}"
            yield RawFinding(
                rule_id=rule.id, path=asset.path, message=message, start_line=at.line,
                snippet=line_text[:300] if line_text else None, kind=asset.kind,
                fingerprint_key=f"{dname}:{where}" if dname else where,
            )


class _SafeDict(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _unsafe_tag_findings(rule: Rule, asset: Asset, parsed: Parsed) -> Iterator[RawFinding]:
    for line, tag in parsed.unsafe_tags:
        snippet = parsed.lines[line - 1].strip()[:300] if 0 < line <= len(parsed.lines) else None
        yield RawFinding(
            rule_id=rule.id, path=asset.path, start_line=line, snippet=snippet, kind=asset.kind,
            message=f"YAML tag {tag} would construct a Python object when loaded unsafely; safe "
                    f"loaders reject it (not constructed by the auditor)",
            fingerprint_key=tag,
        )


def _dedupe(findings: list[RawFinding]) -> list[RawFinding]:
    seen: set[tuple[str, str, int | None, str | None]] = set()
    out = []
    for f in findings:
        k = (f.rule_id, f.path, f.start_line, f.fingerprint_key)
        if k in seen:
            continue
        seen.add(k)
        out.append(f)
    return out
