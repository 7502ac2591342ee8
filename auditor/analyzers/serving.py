"""serving: model-serving and monitoring semantics that a single call pattern cannot express.

Python files are parsed (never imported). Each rule selects one check with ``match: {check: ...}``:

``route-no-auth``        a FastAPI/Flask inference route (path matching ``paths``, default
                         ``/predict``, ``/generate``, ``/invocations``, ``/infer``, ``/completions``,
                         ``/chat``, ``/score``, ``/classify``, ``/embed``) with no authentication: no
                         ``Depends``/``Security`` parameter, no ``dependencies=`` on the route, its
                         router or app, no auth middleware, no auth decorator (``login_required``,
                         ``jwt_required``, ``*auth*``, ...), no ``before_request`` hook, no check of an
                         ``Authorization``/API-key header in the handler
``route-returns-proba``  a route returns a whole ``predict_proba``/``decision_function`` result or
                         logits (a single class or score is fine)
``gradio-no-auth``       ``.launch()`` of a Gradio app without ``auth=``/``auth_dependency=``
``system-prompt-injection``  request data (route parameters, ``request.*``, ``input()``, parameters
                         named like user input) formatted into a *system* prompt
``system-prompt-secret`` a system prompt holding a credential (redacted in the finding)
``no-drift-monitoring``  repository level: no drift-detection library or managed drift monitor
                         (evidently, whylogs, alibi-detect, NannyML, deepchecks, frouros, SageMaker
                         Model Monitor, Vertex AI model monitoring, Azure ML monitoring) in code,
                         dependencies or infrastructure code
``no-telemetry``         repository level: serving code exists but no inference telemetry or alerting
                         library (prometheus_client, OpenTelemetry, statsd, Datadog, Sentry, ...)
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditor import notebooks
from auditor.analyzers import textutil
from auditor.analyzers.interface import AnalysisContext, AnalyzerOutput, BaseAnalyzer
from auditor.model import Asset, RawFinding, Rule

MAX_BYTES = 2 * 1024 * 1024
CHECKS = ("route-no-auth", "route-returns-proba", "gradio-no-auth", "system-prompt-injection",
          "system-prompt-secret", "no-drift-monitoring", "no-telemetry")
REPO_CHECKS = ("no-drift-monitoring", "no-telemetry")
DEFAULT_PATHS = r"(?i)/(?:v\d+/)?(?:predict\w*|prediction|generate|generation|invocations|infer|inference|" \
                r"completions?|chat|score|classify|embed\w*)\b"
# a file is parsed for a check only when one of these words occurs in its text (the AST walks cost
# far more than a substring test, and most files of a repository serve nothing)
_CHECK_WORDS: dict[str, tuple[str, ...]] = {
    "route-no-auth": ("route", ".get(", ".post(", ".put(", ".patch(", ".delete(", "websocket"),
    "route-returns-proba": ("predict_proba", "predict_log_proba", "decision_function", "logits", "softmax"),
    "gradio-no-auth": ("gradio",),
    "system-prompt-injection": ("system", "System", "instructions"),
    "system-prompt-secret": ("system", "System", "instructions"),
}
_ROUTE_METHODS = {"get", "post", "put", "patch", "delete", "route", "api_route", "websocket"}
_AUTH_DECORATOR = re.compile(r"(?i)login_required|auth|jwt|token_required|api_?key|requires?_|permission|"
                             r"protected|verify|roles_required|limiter\.exempt^")
_AUTH_MIDDLEWARE = re.compile(r"(?i)auth|jwt|token|api_?key|session|oauth|oidc")
_AUTH_STRING = re.compile(r"(?i)^(authorization|x-api-key|api[-_]key|bearer)$")
_PROBA = {"predict_proba", "predict_log_proba", "decision_function"}
_PASS_THROUGH_FUNCS = {"list", "dict", "JSONResponse", "ORJSONResponse", "jsonify", "jsonable_encoder",
                       "make_response", "tuple"}
_PASS_THROUGH_METHODS = {"tolist", "numpy", "cpu", "detach", "squeeze", "flatten", "ravel", "to_dict"}
_USER_PARAM = re.compile(r"(?i)user|query|question|input|message|prompt|text|request|body|payload|req\b")
_SECRET_IN_TEXT = re.compile(
    r"(?i)\b(?:password|passwd|api[_ -]?key|secret|token|credential)s?\b[^.\n]{0,20}?(?:\bis\b|:|=)\s*['\"]?"
    r"(?P<secret>[A-Za-z0-9_\-./+]{6,})"
    r"|(?P<secret2>sk-[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|hf_[A-Za-z0-9]{30,}"
    r"|xox[baprs]-[A-Za-z0-9-]{10,})")
_DRIFT = re.compile(
    r"(?im)^\s*(?:from|import)\s+(?:evidently|whylogs|alibi_detect|nannyml|deepchecks|frouros|torchdrift|"
    r"river\.drift|sagemaker\.model_monitor|azureml\.monitoring|google\.cloud\.aiplatform\.model_monitoring)\b"
    r"|\b(?:DefaultModelMonitor|ModelQualityMonitor|ModelBiasMonitor|ModelDeploymentMonitoringJob|"
    r"aws_sagemaker_monitoring_schedule|aws_sagemaker_data_quality_job_definition|"
    r"aws_sagemaker_model_quality_job_definition|model_deployment_monitoring_job|MonitorDefinition)\b")
_DRIFT_DEP = re.compile(r"(?im)^\s*[\"']?(?:evidently|whylogs|alibi-detect|alibi_detect|nannyml|deepchecks|"
                        r"frouros|torchdrift)\b")
_TELEMETRY = re.compile(
    r"(?im)^\s*(?:from|import)\s+(?:prometheus_client|prometheus_fastapi_instrumentator|starlette_exporter|"
    r"prometheus_flask_exporter|opentelemetry|statsd|datadog|ddtrace|sentry_sdk|newrelic|elasticapm|"
    r"aws_xray_sdk|azure\.monitor|opencensus|bentoml\.metrics|logfire)\b"
    r"|^\s*kind:\s*(?:ServiceMonitor|PodMonitor|PrometheusRule)\b")
_TELEMETRY_DEP = re.compile(
    r"(?im)^\s*[\"']?(?:prometheus[-_]client|prometheus-fastapi-instrumentator|starlette-exporter|"
    r"prometheus-flask-exporter|opentelemetry-[\w-]+|statsd|datadog|ddtrace|sentry-sdk|newrelic|"
    r"elastic-apm|aws-xray-sdk|azure-monitor-opentelemetry|logfire)\b")
_SERVING = re.compile(
    r"(?im)^\s*(?:from|import)\s+(?:fastapi|flask|gradio|streamlit|bentoml|litserve|ray\.serve|ray\s+import\s+serve|"
    r"ts\.torch_handler|starlette|aiohttp\.web|sanic|vllm|tritonclient|kserve|seldon_core)\b")


@dataclass(frozen=True)
class _Route:
    func: ast.FunctionDef | ast.AsyncFunctionDef
    path: str
    receiver: str
    decorator: ast.Call


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        parts.append(_dotted(node.func) + "()")
    else:
        parts.append("?")
    return ".".join(reversed(parts))


def _const_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _routes(tree: ast.Module) -> list[_Route]:
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for dec in node.decorator_list:
            if not (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute)
                    and dec.func.attr in _ROUTE_METHODS):
                continue
            path = _const_str(dec.args[0]) if dec.args else None
            for kw in dec.keywords:
                if kw.arg in ("path", "rule"):
                    path = _const_str(kw.value) or path
            if path is not None:
                out.append(_Route(node, path, _dotted(dec.func.value), dec))
    return out


def _is_depends(node: ast.AST | None) -> bool:
    if node is None:
        return False
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and _dotted(sub.func).rsplit(".", 1)[-1] in ("Depends", "Security"):
            return True
    return False


class _Module:
    """Facts about one parsed module that the checks share."""

    def __init__(self, tree: ast.Module, lines: list[str]) -> None:
        self.tree = tree
        self.lines = lines
        self.routes = _routes(tree)
        self.protected_receivers: set[str] = set()
        self.global_auth = False
        self.imports: set[str] = set()
        self.constants: dict[str, ast.AST] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                self.imports.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                self.imports.add(node.module.split(".")[0])
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                if any(k.arg == "dependencies" for k in node.value.keywords):
                    for t in node.targets:
                        self.protected_receivers.add(_dotted(t))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr == "add_middleware" and node.args and \
                        _AUTH_MIDDLEWARE.search(_dotted(node.args[0])):
                    self.global_auth = True
                if node.func.attr == "include_router" and any(k.arg == "dependencies" for k in node.keywords):
                    if node.args:
                        self.protected_receivers.add(_dotted(node.args[0]))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for dec in node.decorator_list:
                    name = _dotted(dec.func if isinstance(dec, ast.Call) else dec)
                    if name.endswith(("before_request", ".middleware()")) or name.endswith("middleware"):
                        self.global_auth = True
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign):
                for t in stmt.targets:
                    if isinstance(t, ast.Name):
                        self.constants[t.id] = stmt.value
        self._prompts: list[tuple[ast.AST, ast.AST]] | None = None

    def system_prompts(self) -> list[tuple[ast.AST, ast.AST]]:
        if self._prompts is None:
            self._prompts = list(_system_prompts(self.tree))
        return self._prompts


def _route_has_auth(mod: _Module, r: _Route) -> bool:
    if mod.global_auth or r.receiver in mod.protected_receivers:
        return True
    if any(k.arg == "dependencies" for k in r.decorator.keywords):
        return True
    args = r.func.args
    defaults = [*args.defaults, *args.kw_defaults]
    if any(_is_depends(d) for d in defaults):
        return True
    if any(_is_depends(a.annotation) for a in [*args.args, *args.kwonlyargs]):
        return True
    for dec in r.func.decorator_list:
        if dec is r.decorator:
            continue
        name = _dotted(dec.func if isinstance(dec, ast.Call) else dec)
        if _AUTH_DECORATOR.search(name):
            return True
    for sub in ast.walk(r.func):
        s = _const_str(sub)
        if s is not None and _AUTH_STRING.match(s.strip()):
            return True
    return False


# ---------------------------------------------------------------------------------- proba / logits

def _proba_names(func: ast.AST) -> set[str]:
    names: set[str] = set()
    assigns = [n for n in ast.walk(func) if isinstance(n, (ast.Assign, ast.AnnAssign))]
    for _ in range(5):
        before = len(names)
        for a in assigns:
            value = a.value
            if value is None:
                continue
            if _exposes(value, names):
                targets = a.targets if isinstance(a, ast.Assign) else [a.target]
                for t in targets:
                    if isinstance(t, ast.Name):
                        names.add(t.id)
        if len(names) == before:
            break
    return names


def _exposes(expr: ast.AST, names: set[str]) -> bool:
    """Does ``expr`` carry a whole probability vector / logits?"""
    if isinstance(expr, ast.Await):
        return _exposes(expr.value, names)
    if isinstance(expr, ast.Name):
        return expr.id in names or expr.id == "logits"
    if isinstance(expr, ast.Attribute):
        return expr.attr == "logits" or (expr.attr in ("T",) and _exposes(expr.value, names))
    if isinstance(expr, ast.Call):
        f = expr.func
        if isinstance(f, ast.Attribute):
            if f.attr in _PROBA:
                return True
            if f.attr in _PASS_THROUGH_METHODS:
                return _exposes(f.value, names)
            if f.attr == "softmax" or f.attr == "sigmoid":
                return any(_exposes(a, names) for a in expr.args) or _exposes(f.value, names)
        fname = _dotted(f).rsplit(".", 1)[-1]
        if fname in _PASS_THROUGH_FUNCS or fname in ("softmax", "sigmoid"):
            return any(_exposes(a, names) for a in [*expr.args, *(k.value for k in expr.keywords)])
        return False
    if isinstance(expr, ast.Subscript):
        if isinstance(expr.value, ast.Subscript) or isinstance(expr.slice, ast.Tuple):
            return False
        return _exposes(expr.value, names)
    if isinstance(expr, ast.Dict):
        return any(v is not None and _exposes(v, names) for v in expr.values)
    if isinstance(expr, (ast.List, ast.Tuple)):
        return any(_exposes(e, names) for e in expr.elts)
    if isinstance(expr, (ast.ListComp, ast.GeneratorExp)):
        return _exposes(expr.elt, names) or any(_exposes(g.iter, names) for g in expr.generators) \
            and isinstance(expr.elt, ast.Name)
    return False


# --------------------------------------------------------------------------------- system prompts

def _system_prompts(tree: ast.Module) -> Iterator[tuple[ast.AST, ast.AST]]:
    """(anchor node for the line, prompt expression) of every system prompt construction."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys = {(_const_str(k) or ""): v for k, v in zip(node.keys, node.values, strict=False) if k is not None}
            if _const_str(keys.get("role")) == "system" and "content" in keys:
                yield node, keys["content"]
        elif isinstance(node, ast.Tuple) and len(node.elts) == 2 and _const_str(node.elts[0]) == "system":
            yield node, node.elts[1]
        elif isinstance(node, ast.Call):
            name = _dotted(node.func).rsplit(".", 1)[-1]
            if name in ("SystemMessage", "SystemMessagePromptTemplate", "from_template") and \
                    ("System" in _dotted(node.func) or name == "SystemMessage"):
                if node.args:
                    yield node, node.args[0]
                for k in node.keywords:
                    if k.arg in ("content", "template"):
                        yield node, k.value
            for k in node.keywords:
                if k.arg in ("system", "system_instruction", "system_prompt", "instructions"):
                    yield node, k.value
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name) and re.search(r"(?i)system_?(prompt|message|instruction)", t.id):
                    yield node, node.value


def _request_tainted(func: ast.FunctionDef | ast.AsyncFunctionDef, is_route: bool) -> set[str]:
    names: set[str] = set()
    for a in [*func.args.args, *func.args.kwonlyargs]:
        if a.arg in ("self", "cls"):
            continue
        if is_route or _USER_PARAM.search(a.arg):
            names.add(a.arg)
    assigns = [n for n in ast.walk(func) if isinstance(n, ast.Assign)]
    for _ in range(5):
        before = len(names)
        for asg in assigns:
            if _uses_request(asg.value, names):
                names.update(t.id for t in asg.targets if isinstance(t, ast.Name))
        if len(names) == before:
            break
    return names


def _uses_request(expr: ast.AST, names: set[str]) -> bool:
    for sub in ast.walk(expr):
        if isinstance(sub, ast.Name) and sub.id in names:
            return True
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == "request" \
                and sub.attr in ("json", "args", "form", "values", "data", "get_json", "body", "query_params",
                                 "get_data"):
            return True
        if isinstance(sub, ast.Call) and _dotted(sub.func) in ("input", "st.text_input", "st.chat_input",
                                                              "streamlit.text_input", "streamlit.chat_input"):
            return True
    return False


def _is_dynamic(expr: ast.AST) -> bool:
    if isinstance(expr, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in expr.values)
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Mod)):
        return True
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in ("format", "join",
                                                                                                   "replace"):
        return True
    return False


def _enclosing_functions(tree: ast.Module) -> dict[int, ast.FunctionDef | ast.AsyncFunctionDef]:
    """id(node) -> the innermost function containing it, in one pass over the tree."""
    out: dict[int, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    stack: list[tuple[ast.AST, ast.FunctionDef | ast.AsyncFunctionDef | None]] = [(tree, None)]
    while stack:
        node, fn = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            fn = node
        if fn is not None:
            out[id(node)] = fn
        stack.extend((child, fn) for child in ast.iter_child_nodes(node))
    return out


def _strings_of(expr: ast.AST, constants: Mapping[str, ast.AST], depth: int = 0) -> list[str]:
    out = []
    if isinstance(expr, ast.Name) and expr.id in constants and depth < 3:
        return _strings_of(constants[expr.id], constants, depth + 1)
    for sub in ast.walk(expr):
        s = _const_str(sub)
        if s is not None:
            out.append(s)
    return out


# ---------------------------------------------------------------------------------------- analyzer

class ServingAnalyzer(BaseAnalyzer):
    name = "serving"
    kinds = frozenset({"python", "notebook", "dependency", "iac", "config", "container"})
    match_schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["check"],
        "properties": {
            "check": {"enum": list(CHECKS)},
            "paths": {"type": "string", "minLength": 1,
                      "description": "regex over route paths that are inference routes (route-no-auth)"},
        },
    }

    def analyze(self, ctx: AnalysisContext, assets: Sequence[Asset], rules: Sequence[Rule]) -> AnalyzerOutput:
        findings: list[RawFinding] = []
        notes: list[str] = []
        file_rules = [r for r in rules if r.match.get("check") not in REPO_CHECKS]
        repo_rules = [r for r in rules if r.match.get("check") in REPO_CHECKS]
        files = 0
        if file_rules:
            for asset in sorted(assets, key=lambda a: a.path):
                if asset.kind != "python":
                    continue
                wanted = [r for r in file_rules if asset.kind in r.applies_to]
                if not wanted:
                    continue
                mod = self._parse(asset, notes, wanted)
                if mod is None:
                    continue
                files += 1
                for rule in wanted:
                    findings.extend(self._file_check(rule, asset, mod))
        if repo_rules:
            findings.extend(self._repo_checks(ctx, repo_rules))
        return AnalyzerOutput(findings=findings, files=files, notes=notes)

    @staticmethod
    def _parse(asset: Asset, notes: list[str], rules: Sequence[Rule]) -> _Module | None:
        try:
            data, cut = textutil.read_bytes(asset.abspath, MAX_BYTES)
        except OSError as exc:
            notes.append(f"{asset.path}: unreadable ({exc.strerror})")
            return None
        if cut:
            notes.append(f"{asset.path}: larger than {MAX_BYTES} bytes, not parsed")
            return None
        text = textutil.decode(data)
        words = {w for r in rules for w in _CHECK_WORDS.get(r.match["check"], ("",))}
        if not any(w in text for w in words):
            return None
        try:
            tree = ast.parse(text, filename=asset.path)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            notes.append(f"{asset.path}: not parsed (syntax error); serving checks skipped")
            return None
        return _Module(tree, text.splitlines())

    def _file_check(self, rule: Rule, asset: Asset, mod: _Module) -> Iterator[RawFinding]:
        check = rule.match["check"]

        def hit(node: ast.AST, message: str, key: str, snippet: str | None = None) -> RawFinding:
            line = getattr(node, "lineno", 1)
            snip = snippet if snippet is not None else (mod.lines[line - 1].strip()
                                                       if 0 < line <= len(mod.lines) else "")
            return RawFinding(rule_id=rule.id, path=asset.path, message=message, start_line=line,
                              end_line=getattr(node, "end_lineno", None), snippet=snip[:300] or None,
                              kind=asset.kind, fingerprint_key=key)

        if check == "route-no-auth":
            paths = re.compile(rule.match.get("paths") or DEFAULT_PATHS)
            for r in mod.routes:
                if paths.search(r.path) and not _route_has_auth(mod, r):
                    yield hit(r.func, f"Inference route {r.path} ({r.func.name}) has no authentication: anyone "
                              f"who reaches the service can query (and extract) the model", f"{r.path}:{r.func.name}")
        elif check == "route-returns-proba":
            for r in mod.routes:
                names = _proba_names(r.func)
                for sub in ast.walk(r.func):
                    if isinstance(sub, ast.Return) and sub.value is not None and _exposes(sub.value, names):
                        yield hit(sub, f"Route {r.path} returns the full probability vector / logits: precise "
                                  f"confidence scores enable model inversion, membership inference and extraction",
                                  f"{r.path}:{r.func.name}")
        elif check == "gradio-no-auth":
            if "gradio" not in mod.imports:
                return
            for sub in ast.walk(mod.tree):
                if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "launch" \
                        and not any(k.arg in ("auth", "auth_dependency") for k in sub.keywords):
                    yield hit(sub, "Gradio app launched without auth=: every visitor can use the model (and its "
                              "API endpoint)", "launch")
        elif check == "system-prompt-injection":
            prompts = mod.system_prompts()
            enclosing = _enclosing_functions(mod.tree) if any(_is_dynamic(e) for _, e in prompts) else {}
            route_funcs = {id(r.func) for r in mod.routes}
            for anchor, expr in prompts:
                if not _is_dynamic(expr):
                    continue
                fn = enclosing.get(id(anchor))
                if fn is None:
                    continue
                tainted = _request_tainted(fn, id(fn) in route_funcs)
                if _uses_request(expr, tainted):
                    yield hit(anchor, "Request input is formatted into the system prompt: users can rewrite the "
                              "model's instructions (prompt injection at the highest privilege)",
                              f"{fn.name}:{getattr(anchor, 'lineno', 0)}")
        elif check == "system-prompt-secret":
            for anchor, expr in mod.system_prompts():
                for s in _strings_of(expr, mod.constants):
                    m = _SECRET_IN_TEXT.search(s)
                    if not m:
                        continue
                    secret = m.group("secret") or m.group("secret2")
                    line = getattr(anchor, "lineno", 1)
                    raw = mod.lines[line - 1].strip() if 0 < line <= len(mod.lines) else ""
                    snippet = textutil.redact_in(raw, [secret])
                    yield hit(anchor, f"System prompt contains a credential ({secret[:4]}****): system prompts "
                              f"leak through prompt extraction", f"secret:{secret[:4]}", snippet=snippet)
                    break

    def _repo_checks(self, ctx: AnalysisContext, rules: Sequence[Rule]) -> Iterator[RawFinding]:
        drift = telemetry = serving = ml = False
        serving_path = None
        for asset in sorted(ctx.inventory, key=lambda a: a.path):
            if asset.kind not in ("python", "notebook", "dependency", "iac", "config", "container"):
                continue
            if asset.kind in ("python", "notebook", "model"):
                ml = True
            try:
                data, _ = textutil.read_bytes(asset.abspath, MAX_BYTES)
            except OSError:
                continue
            text = textutil.decode(data)
            if asset.kind == "notebook":
                try:
                    text = notebooks.code_source(data).code
                except Exception:  # noqa: BLE001 - a broken notebook is reported elsewhere
                    continue
            if asset.kind == "dependency":
                drift = drift or bool(_DRIFT_DEP.search(text))
                telemetry = telemetry or bool(_TELEMETRY_DEP.search(text))
                continue
            drift = drift or bool(_DRIFT.search(text))
            telemetry = telemetry or bool(_TELEMETRY.search(text))
            if asset.kind == "python" and _SERVING.search(text):
                serving = True
                serving_path = serving_path or asset.path
            if asset.path.rsplit("/", 1)[-1] == "config.properties" and "inference_address" in text:
                serving = True
                serving_path = serving_path or asset.path
        for rule in rules:
            check = rule.match["check"]
            if check == "no-drift-monitoring" and ml and not drift:
                yield RawFinding(rule_id=rule.id, path=".", kind="repo", fingerprint_key=check,
                                 message="No drift detection: no evidently, whylogs, alibi-detect, NannyML, deepchecks "
                                         "or managed model monitor (SageMaker Model Monitor, Vertex AI, Azure ML) in "
                                         "code, dependencies or infrastructure")
            elif check == "no-telemetry" and serving and not telemetry:
                yield RawFinding(rule_id=rule.id, path=".", kind="repo", fingerprint_key=check,
                                 message=f"Serving code ({serving_path}) but no inference telemetry or alerting "
                                         f"(prometheus_client, OpenTelemetry, statsd, Datadog, Sentry, ...)")
