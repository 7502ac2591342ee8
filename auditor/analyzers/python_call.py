"""``python-call``: calls to dotted names, found in the AST of Python files and notebook code cells.

Names are resolved through the file's imports (``import numpy as np`` makes ``np.load`` the call
``numpy.load``; ``from joblib import load as jl`` makes ``jl`` ``joblib.load``). A rule name starting
with ``.`` matches a method of that name on any receiver (``.load_local``); ``*`` stands for one or
more dotted segments (``openai.*.create``, ``subprocess.*``). Keyword conditions compare against
constants; ``args_from`` is a small intra-scope taint: an argument built from the result of one of
the named calls, directly or through variables assigned in the same function or module body.

The code is parsed, never imported or run. A file that does not parse gives a note, not a crash.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from auditor import notebooks
from auditor.analyzers import textutil
from auditor.analyzers.interface import AnalysisContext, AnalyzerOutput, BaseAnalyzer
from auditor.errors import RuleError
from auditor.model import Asset, RawFinding, Rule

_NAME = {"type": "string", "pattern": r"^\.?[A-Za-z_*][A-Za-z0-9_*]*(\.[A-Za-z_*][A-Za-z0-9_*]*)*$"}
_CONST = {"type": ["boolean", "number", "string", "null"]}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
UNRESOLVED = "?"  # receiver that is not a plain name: a call result, subscript, literal ...


def _name_body(pattern: str) -> str:
    suffix = pattern.startswith(".")
    parts = pattern.lstrip(".").split(".")
    rx = r"\.".join(r"[^.]+(?:\.[^.]+)*" if p == "*" else re.escape(p).replace(r"\*", r"[^.]*")
                    for p in parts)
    return (r"(?:.*\.)?" if suffix else "") + rx


@lru_cache(maxsize=1024)
def name_regex(pattern: str) -> re.Pattern[str]:
    """Regex for a rule call name: exact dotted name, ``.suffix`` for any receiver, ``*`` segments."""
    return re.compile(_name_body(pattern) + r"\Z")


@lru_cache(maxsize=256)
def names_regex(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for a list of rule call names."""
    return re.compile("(?:" + "|".join(_name_body(p) for p in patterns) + r")\Z")


def names_match(patterns: Sequence[str], dotted: str) -> bool:
    return names_regex(tuple(patterns)).match(dotted) is not None


class _Imports(ast.NodeVisitor):
    """Local name -> dotted target for every import in the module (any nesting)."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            if a.asname:
                self.aliases[a.asname] = a.name
            else:
                top = a.name.split(".")[0]
                self.aliases[top] = top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        for a in node.names:
            if a.name == "*":
                continue
            self.aliases[a.asname or a.name] = f"{base}.{a.name}" if base else a.name


def dotted_name(node: ast.expr, aliases: Mapping[str, str]) -> str:
    """``np.load`` -> ``numpy.load``; an unresolvable receiver becomes ``?`` (``?.chat.create``)."""
    parts: list[str] = []
    cur: ast.expr = node
    while isinstance(cur, ast.Attribute):
        parts.append(cur.attr)
        cur = cur.value
    if isinstance(cur, ast.Name):
        parts.append(aliases.get(cur.id, cur.id))
    else:
        parts.append(UNRESOLVED)
    return ".".join(reversed(parts))


_MISSING = object()


def _const(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        v = node.operand.value
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return -v
    return _MISSING


def _same(value: Any, expected: Any) -> bool:
    """Constant equality where True is not 1 and a non-constant never equals anything."""
    if value is _MISSING:
        return False
    if isinstance(value, bool) or isinstance(expected, bool):
        return type(value) is type(expected) and value == expected
    return bool(value == expected)


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    calls: tuple[str, ...]
    kwargs: Mapping[str, Any]
    kwargs_not: Mapping[str, Any]
    kwargs_absent: tuple[str, ...]
    args_from: tuple[str, ...]
    arg_regex: re.Pattern[str] | None
    calls_rx: re.Pattern[str]
    # literal strings one of which must occur in a file's text for the rule to possibly match
    needles: tuple[str, ...]

    def wants(self, asset: Asset) -> bool:
        return asset.kind in self.rule.applies_to

    def possible(self, text: str) -> bool:
        return not self.needles or any(n in text for n in self.needles)


def _needles(calls: Sequence[str], kwargs: Mapping[str, Any]) -> tuple[str, ...]:
    """The last name segment of each call (text that must appear for a call to match); when one
    is a wildcard, the required keyword names instead; else nothing (no prefilter)."""
    last = [c.rsplit(".", 1)[-1] for c in calls]
    if all(seg and "*" not in seg for seg in last):
        return tuple(sorted(set(last)))
    if kwargs:
        return tuple(sorted(kwargs))
    return ()


def _compile(rule: Rule) -> _Compiled:
    m = rule.match
    arg_rx = None
    if m.get("arg_regex"):
        try:
            arg_rx = re.compile(m["arg_regex"])
        except re.error as exc:
            raise RuleError(f"rule {rule.id}: field 'match.arg_regex': invalid regular expression: {exc}") from exc
    calls = tuple(m["calls"])
    kwargs = dict(m.get("kwargs") or {})
    return _Compiled(rule=rule, calls=calls, kwargs=kwargs,
                     kwargs_not=dict(m.get("kwargs_absent_or_not") or {}),
                     kwargs_absent=tuple(m.get("kwargs_absent") or ()),
                     args_from=tuple(m.get("args_from") or ()), arg_regex=arg_rx,
                     calls_rx=names_regex(calls), needles=_needles(calls, kwargs))


_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
# nodes that hold no call, assignment or import: never visited (names, constants, operators, contexts)
_LEAVES = (ast.Name, ast.Constant, ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop,
           ast.alias)


def scopes_and_imports(tree: ast.Module) -> tuple[list[list[ast.AST]], dict[str, str]]:
    """One pass over the tree: the nodes of each scope (module, then each function, class and
    lambda body; nested scopes are not part of their parent's) and the import aliases."""
    scopes: list[list[ast.AST]] = [[]]
    imports = _Imports()
    stack: list[tuple[ast.AST, int]] = [(n, 0) for n in reversed(tree.body)]
    while stack:
        node, sid = stack.pop()
        scopes[sid].append(node)
        if isinstance(node, ast.Import):
            imports.visit_Import(node)
        elif isinstance(node, ast.ImportFrom):
            imports.visit_ImportFrom(node)
        if isinstance(node, _NESTED):
            scopes.append([])
            sid = len(scopes) - 1
        children: list[ast.AST] = []
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                children.extend(v for v in value if isinstance(v, ast.AST) and not isinstance(v, _LEAVES))
            elif isinstance(value, ast.AST) and not isinstance(value, _LEAVES):
                children.append(value)
        children.reverse()
        stack.extend((c, sid) for c in children)
    return scopes, imports.aliases


def _target_names(target: ast.expr) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            yield from _target_names(elt)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)


class _Taint:
    """Names in one scope that hold (something built from) the result of a source call."""

    def __init__(self, nodes: Sequence[ast.AST], sources: tuple[str, ...], aliases: Mapping[str, str]) -> None:
        self.sources = sources
        self.aliases = aliases
        self.names: set[str] = set()
        assigns: list[tuple[list[str], ast.expr]] = []
        for node in nodes:
            if isinstance(node, ast.Assign):
                assigns.append(([n for t in node.targets for n in _target_names(t)], node.value))
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
                assigns.append((list(_target_names(node.target)), node.value))
            elif isinstance(node, ast.NamedExpr):
                assigns.append((list(_target_names(node.target)), node.value))
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                assigns.append((list(_target_names(node.target)), node.iter))
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        assigns.append((list(_target_names(item.optional_vars)), item.context_expr))
        changed = True
        rounds = 0
        while changed and rounds < 10:  # fixpoint over chains a = llm(); b = a.strip(); c = f"{b}"
            changed = False
            rounds += 1
            for targets, value in assigns:
                if self.tainted(value) and not set(targets) <= self.names:
                    self.names.update(targets)
                    changed = True

    def tainted(self, expr: ast.AST) -> bool:
        for node in ast.walk(expr):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in self.names:
                return True
            if isinstance(node, ast.Call) and names_match(self.sources, dotted_name(node.func, self.aliases)):
                return True
        return False


class PythonCallAnalyzer(BaseAnalyzer):
    name = "python-call"
    kinds = frozenset({"python", "notebook"})
    match_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["calls"],
        "properties": {
            "calls": {"type": "array", "minItems": 1, "items": _NAME,
                      "description": "dotted names through imports; '.attr' any receiver; '*' segments"},
            "kwargs": {"type": "object", "additionalProperties": _CONST,
                       "description": "every keyword present with this constant value"},
            "kwargs_absent_or_not": {"type": "object", "additionalProperties": _CONST,
                                     "description": "fires when a keyword is absent or not this constant"},
            "kwargs_absent": {"type": "array", "items": {"type": "string"},
                              "description": "fires only when none of these keywords is given"},
            "args_from": {"type": "array", "minItems": 1, "items": _NAME,
                          "description": "an argument comes from the result of one of these calls"},
            "arg_regex": {"type": "string", "minLength": 1,
                          "description": "a string-constant argument (or list element) must match this regex"},
        },
    }

    @classmethod
    def check_match(cls, match: Mapping[str, Any]) -> None:
        """What the JSON schema cannot check (regular expression syntax): raises ValueError naming
        the field. Meant to be called when a rule pack is loaded."""
        textutil.check_compiles(cls.name, match, _compile)

    def analyze(self, ctx: AnalysisContext, assets: Sequence[Asset], rules: Sequence[Rule]) -> AnalyzerOutput:
        compiled = [_compile(r) for r in rules if r.enabled]
        cap = int(ctx.setting(self.name, "max_bytes", DEFAULT_MAX_BYTES))
        findings: list[RawFinding] = []
        notes: list[str] = []
        files = 0
        for asset in sorted(assets, key=lambda a: a.path):
            wanted = [c for c in compiled if c.wants(asset)]
            if not wanted:
                continue
            try:
                data, cut = textutil.read_bytes(asset.abspath, cap if asset.kind == "python" else 8 * cap)
            except OSError as exc:
                notes.append(f"{asset.path}: unreadable ({exc.strerror})")
                continue
            if cut:
                notes.append(f"{asset.path}: larger than {cap} bytes, not parsed (raise analyzers.python-call.max_bytes)")
                continue
            files += 1
            text = textutil.decode(data)
            wanted = [c for c in wanted if c.possible(text)]
            if not wanted:
                continue  # no rule can match: not even parsed
            parsed = self._parse(asset, data, notes)
            if parsed is None:
                continue
            tree, lines, locate = parsed
            findings.extend(self._check(asset, tree, lines, locate, wanted))
        return AnalyzerOutput(findings=findings, files=files, notes=notes)

    @staticmethod
    def _parse(asset: Asset, data: bytes, notes: list[str]) -> tuple[ast.Module, list[str], Any] | None:
        if asset.kind == "notebook":
            try:
                nb = notebooks.code_source(data)
            except notebooks.NotebookError as exc:
                notes.append(f"{asset.path}: not parsed: {exc}")
                return None
            raw_lines = _notebook_raw_lines(data)
            tree = _parse_notebook(nb, asset.path, notes)
            if tree is None:
                return None

            def locate(line: int) -> tuple[int | None, int]:
                cell, in_cell = nb.locate(line)
                return cell, in_cell

            lines = [raw_lines.get(nb.locate(i + 1), "") for i in range(len(nb.line_map))]
            return tree, lines, locate
        text = textutil.decode(data)
        try:
            tree = ast.parse(text, filename=asset.path)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            where = f" line {exc.lineno}" if isinstance(exc, SyntaxError) and exc.lineno else ""
            notes.append(f"{asset.path}: not parsed (syntax error{where}); python-call rules not checked")
            return None
        return tree, text.splitlines(), lambda line: (None, line)

    def _check(self, asset: Asset, tree: ast.Module, lines: list[str], locate: Any,
               rules: Sequence[_Compiled]) -> Iterator[RawFinding]:
        scopes, aliases = scopes_and_imports(tree)
        for nodes in scopes:
            taints: dict[str, _Taint] = {}
            for node in nodes:
                if not isinstance(node, ast.Call):
                    continue
                dotted = dotted_name(node.func, aliases)
                for c in rules:
                    if c.calls_rx.match(dotted) is None:
                        continue
                    if c.args_from and c.rule.id not in taints:
                        taints[c.rule.id] = _Taint(nodes, c.args_from, aliases)
                    if self._conditions(c, node, taints):
                        yield self._finding(asset, c, node, dotted, lines, locate)

    @staticmethod
    def _conditions(c: _Compiled, call: ast.Call, taints: Mapping[str, _Taint]) -> bool:
        given = {k.arg: k.value for k in call.keywords if k.arg is not None}
        for key, expected in c.kwargs.items():
            if key not in given or not _same(_const(given[key]), expected):
                return False
        if c.kwargs_not:
            safe = all(k in given and _same(_const(given[k]), v) for k, v in c.kwargs_not.items())
            if safe:
                return False
        if c.kwargs_absent and any(k in given for k in c.kwargs_absent):
            return False
        args = [*call.args, *given.values()]
        if c.arg_regex is not None:
            consts = _string_constants(args)
            if not any(c.arg_regex.search(s) for s in consts):
                return False
        if c.args_from:
            taint = taints[c.rule.id]
            if not any(taint.tainted(a) for a in args):
                return False
        return True

    def _finding(self, asset: Asset, c: _Compiled, call: ast.Call, dotted: str, lines: list[str],
                 locate: Any) -> RawFinding:
        cell, line = locate(call.lineno)
        end = call.end_lineno or call.lineno
        end_cell, end_line = locate(end)
        src = lines[call.lineno - 1] if 0 < call.lineno <= len(lines) else ""
        try:
            text = ast.unparse(call)
        except Exception:  # unparse of odd trees; the dotted name is enough then
            text = dotted
        key = textutil.mask_known_tokens(" ".join(text.split())[:300])
        shown = dotted.replace(UNRESOLVED + ".", "")
        return RawFinding(
            rule_id=c.rule.id, path=asset.path, message=f"{c.rule.title}: call to {shown}",
            start_line=line, end_line=end_line if end_cell == cell else line,
            snippet=textutil.mask_known_tokens(textutil.clip(src, 0, 0)), kind=asset.kind, fingerprint_key=key,
            cell=cell, properties={"call": shown},
        )


def _string_constants(args: Sequence[ast.expr]) -> list[str]:
    """String constants among the arguments and the elements of list/tuple/set arguments."""
    out: list[str] = []
    for a in args:
        elts = a.elts if isinstance(a, (ast.List, ast.Tuple, ast.Set)) else [a]
        out.extend(e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str))
    return out


def _notebook_raw_lines(data: bytes) -> dict[tuple[int, int], str]:
    """(cell, line) -> original source line, for snippets (magics shown as written)."""
    out: dict[tuple[int, int], str] = {}
    for number, cell in enumerate(notebooks.cells(notebooks.load_json(data)), start=1):
        if cell.get("cell_type") == "code":
            for i, line in enumerate(notebooks.cell_text(cell).splitlines(), start=1):
                out[(number, i)] = line
    return out


def _parse_notebook(nb: notebooks.NotebookSource, path: str, notes: list[str]) -> ast.Module | None:
    """The notebook's code as one module; when a cell does not parse, the other cells still count."""
    try:
        return ast.parse(nb.code, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    code_lines = nb.code.split("\n")
    body: list[ast.stmt] = []
    bad: list[int] = []
    start = 0
    while start < len(nb.line_map):
        cell = nb.line_map[start][0]
        end = start
        while end < len(nb.line_map) and nb.line_map[end][0] == cell:
            end += 1
        chunk = "\n".join(code_lines[start:end]) + "\n"
        try:
            sub = ast.parse(chunk, filename=path)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            bad.append(cell)
        else:
            ast.increment_lineno(sub, start)
            body.extend(sub.body)
        start = end
    notes.append(f"{path}: cell(s) {', '.join(map(str, bad))} not parsed (syntax error); other cells checked")
    return ast.Module(body=body, type_ignores=[])
