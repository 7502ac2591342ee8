"""dockerfile: Dockerfile semantics that a regex cannot see — instructions joined across line
continuations (and heredocs), build stages (``FROM ... AS name``), the user the final stage runs as,
base images referring to earlier stages, and global ``ARG`` defaults substituted into ``FROM``.

Each rule selects one check with ``match: {check: ...}``:

``root-user``            the final stage has no ``USER``, or its last ``USER`` is root/0 (earlier
                         build stages may run as root: only the final image runs)
``base-latest``          a base image with no tag or ``:latest`` and no digest
``base-no-digest``       a base image pinned by tag but not by ``@sha256:`` digest
``curl-pipe-shell``      ``curl``/``wget`` output piped into a shell or interpreter
``add-url-no-checksum``  ``ADD https://...`` without ``--checksum=``
``secret-env-arg``       ``ENV``/``ARG`` named like a secret (``*_KEY``, ``*TOKEN*``, ``*PASSWORD*``,
                         ``*SECRET*``) with a literal value (redacted in the finding)
``copy-dotenv``          ``COPY``/``ADD`` of a ``.env`` file
``model-download-unpinned``  ``huggingface-cli download``/``snapshot_download``/``hf_hub_download``
                         without a revision, or ``wget``/``curl`` of a model file without a checksum
``open-ml-service``      Jupyter/MLflow/Ray/vLLM/TorchServe started in ``CMD``/``ENTRYPOINT`` on all
                         interfaces or without authentication
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.analyzers.interface import AnalysisContext, AnalyzerOutput, BaseAnalyzer
from auditor.model import Asset, RawFinding, Rule

MAX_BYTES = 1024 * 1024
CHECKS = ("root-user", "base-latest", "base-no-digest", "curl-pipe-shell", "add-url-no-checksum",
          "secret-env-arg", "copy-dotenv", "model-download-unpinned", "open-ml-service")


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case
    args: str  # continuation lines joined with a space, heredoc bodies appended
    line: int
    end_line: int
    stage: int  # index of the build stage (-1 before the first FROM)


@dataclass(frozen=True)
class Stage:
    index: int
    image: str  # as written, global ARGs substituted
    name: str | None
    line: int
    from_stage: bool  # FROM refers to an earlier stage


@dataclass(frozen=True)
class Dockerfile:
    instructions: tuple[Instruction, ...]
    stages: tuple[Stage, ...]
    lines: tuple[str, ...]


_DIRECTIVE = re.compile(r"^#\s*escape\s*=\s*(\S)\s*$", re.I)
_HEREDOC = re.compile(r"<<-?\s*([\"']?)([A-Za-z_][A-Za-z0-9_]*)\1")


def parse(text: str) -> Dockerfile:
    """Instructions with their line ranges; stages; never raises on odd input."""
    lines = text.splitlines()
    escape = "\\"
    for ln in lines[:5]:
        m = _DIRECTIVE.match(ln.strip())
        if m:
            escape = m.group(1)
            break
        if ln.strip() and not ln.strip().startswith("#"):
            break
    instructions: list[Instruction] = []
    i = 0
    stage = -1
    while i < len(lines):
        raw = lines[i]
        s = raw.strip()
        if not s or s.startswith("#"):
            i += 1
            continue
        start = i
        parts = []
        cur = raw.rstrip()
        while True:
            if cur.endswith(escape) and i + 1 < len(lines):
                parts.append(cur[:-1])
                i += 1
                while i < len(lines) and (not lines[i].strip() or lines[i].strip().startswith("#")):
                    i += 1
                if i >= len(lines):
                    break
                cur = lines[i].rstrip()
                continue
            parts.append(cur[:-1] if cur.endswith(escape) else cur)
            break
        joined = " ".join(p.strip() for p in parts)
        kw, _, args = joined.partition(" ")
        kw = kw.upper()
        for hd in _HEREDOC.finditer(args) if kw in ("RUN", "COPY", "ADD") else ():
            term = hd.group(2)
            body = []
            while i + 1 < len(lines):
                i += 1
                if lines[i].strip() == term:
                    break
                body.append(lines[i])
            args += "\n" + "\n".join(body)
        if kw == "FROM":
            stage += 1
        instructions.append(Instruction(kw, args.strip(), start + 1, i + 1, stage))
        i += 1
    return Dockerfile(tuple(instructions), tuple(_stages(instructions)), tuple(lines))


def _stages(instructions: Sequence[Instruction]) -> list[Stage]:
    global_args: dict[str, str] = {}
    names: set[str] = set()
    out = []
    for ins in instructions:
        if ins.keyword == "ARG" and ins.stage == -1:
            for name, value in _assignments(ins.args):
                global_args[name] = value
        if ins.keyword != "FROM":
            continue
        toks = [t for t in ins.args.split() if not t.startswith("--")]
        image = _substitute(toks[0], global_args) if toks else ""
        alias = toks[2] if len(toks) >= 3 and toks[1].lower() == "as" else None
        out.append(Stage(ins.stage, image, alias, ins.line, image.lower() in names))
        if alias:
            names.add(alias.lower())
    return out


def _substitute(value: str, args: Mapping[str, str]) -> str:
    def rep(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        return args.get(name, m.group(0))

    return re.sub(r"\$\{([A-Za-z_]\w*)(?::-[^}]*)?\}|\$([A-Za-z_]\w*)", rep, value)


def _assignments(args: str) -> list[tuple[str, str]]:
    """``K=V K2="V 2"`` pairs of ENV/ARG (and the legacy ``ENV K V`` form)."""
    args = args.strip()
    if not args:
        return []
    first = args.split(None, 1)[0]
    if "=" not in first:
        parts = args.split(None, 1)
        return [(parts[0], parts[1].strip() if len(parts) > 1 else "")]
    out = []
    for m in re.finditer(r"([A-Za-z_][\w.-]*)(?:=(\"(?:[^\"\\]|\\.)*\"|'[^']*'|\S*))?", args):
        value = m.group(2) if m.group(2) is not None else ""
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out.append((m.group(1), value))
    return out


def command_text(args: str) -> str:
    """CMD/ENTRYPOINT in exec form (JSON array) or shell form, as one command line."""
    s = args.strip()
    if s.startswith("["):
        try:
            items = json.loads(s)
        except ValueError:
            return s
        if isinstance(items, list):
            return " ".join(str(x) for x in items)
    return s


# ------------------------------------------------------------------------------------------ checks

_PIPE_SH = re.compile(
    r"\b(?:curl|wget)\b[^|;&\n]*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:env\s+)?(?:/\S*/)?(?:ba|z|da|k)?sh\b"
    r"|\b(?:curl|wget)\b[^|;&\n]*\|\s*(?:sudo\s+)?(?:/\S*/)?python[\d.]*\b"
    r"|\b(?:ba|z)?sh\s+(?:-c\s+)?[\"']?\$\((?:curl|wget)\b"
    r"|\b(?:ba|z)?sh\s+<\(\s*(?:curl|wget)\b")
_SECRET_NAME = re.compile(r"(?i)(?:^|_)(?:[A-Z]*_)?KEY$|TOKEN|PASSWORD|PASSWD|SECRET|CREDENTIAL|API_?KEY|PRIVATE_KEY")
_NOT_SECRET_NAME = re.compile(r"(?i)(_FILE|_PATH|_DIR|_URL|_HOST|_PORT|_NAME|_ID|KEYRING|KEY_ID)$")
_MODEL_EXT = r"\.(?:bin|pt|pth|safetensors|gguf|ggml|onnx|pkl|pickle|joblib|ckpt|h5|keras|tflite|mar|pb)\b"
_MODEL_URL = re.compile(r"\b(?:wget|curl)\b[^;&|\n]*?(https?://\S+(?:" + _MODEL_EXT + r"|/resolve/[^\s/]+/\S+))")
_CHECKSUM = re.compile(r"sha256sum|sha512sum|shasum|--checksum|md5sum\s+-c|openssl\s+dgst|b2sum")


def _finding(rule: Rule, asset: Asset, ins: Instruction | Stage, message: str, lines: Sequence[str],
             key: str, snippet: str | None = None) -> RawFinding:
    line = ins.line
    end = ins.end_line if isinstance(ins, Instruction) else ins.line
    snip = snippet if snippet is not None else (lines[line - 1].strip() if 0 < line <= len(lines) else None)
    return RawFinding(rule_id=rule.id, path=asset.path, message=message, start_line=line, end_line=end,
                      snippet=snip[:300] if snip else None, kind=asset.kind, fingerprint_key=key)


def _redact(v: str) -> str:
    return v[:4] + "****"


def _image_parts(image: str) -> tuple[str, str | None, str | None]:
    """(name, tag, digest) of an image reference; a registry port is not a tag."""
    digest = None
    if "@" in image:
        image, digest = image.split("@", 1)
    last = image.rsplit("/", 1)[-1]
    tag = None
    if ":" in last:
        tag = last.split(":", 1)[1]
        image = image[: len(image) - len(tag) - 1]
    return image, tag, digest


def _check_base(rule: Rule, asset: Asset, df: Dockerfile, latest: bool) -> Iterator[RawFinding]:
    for st in df.stages:
        if st.from_stage or not st.image or st.image.lower() == "scratch" or "$" in st.image:
            continue
        name, tag, digest = _image_parts(st.image)
        if digest:
            continue
        floating = tag is None or tag == "latest"
        if latest and floating:
            what = "no tag (implicitly :latest)" if tag is None else "the mutable :latest tag"
            yield _finding(rule, asset, st, f"Base image {st.image} uses {what} and no digest: every build "
                           f"may pull different code", df.lines, st.image)
        elif not latest and not floating:
            yield _finding(rule, asset, st, f"Base image {st.image} is pinned by tag but not by digest "
                           f"(@sha256:...): the tag can be moved to different content", df.lines, st.image)


def _check_root(rule: Rule, asset: Asset, df: Dockerfile) -> Iterator[RawFinding]:
    if not df.stages:
        return
    final = df.stages[-1]
    users = [i for i in df.instructions if i.keyword == "USER" and i.stage == final.index]
    if not users:
        _, tag, _ = _image_parts(final.image)
        if tag and "nonroot" in tag:
            return
        yield _finding(rule, asset, final, f"The final stage (FROM {final.image}) sets no USER: the container "
                       f"runs as root unless the base image changes it", df.lines, "no-user")
        return
    last = users[-1]
    user = last.args.split(":", 1)[0].strip().strip("\"'")
    if user in ("root", "0"):
        yield _finding(rule, asset, last, f"The final stage switches to USER {last.args}: the container "
                       f"runs as root", df.lines, "user-root")


def _check_secrets(rule: Rule, asset: Asset, df: Dockerfile) -> Iterator[RawFinding]:
    for ins in df.instructions:
        if ins.keyword not in ("ENV", "ARG"):
            continue
        for name, value in _assignments(ins.args):
            if not _SECRET_NAME.search(name) or _NOT_SECRET_NAME.search(name):
                continue
            v = value.strip()
            if not v or v.startswith("$") or v.lower() in ("changeme", "none", "null", "''", '""') or len(v) < 4:
                continue
            snippet = f"{ins.keyword} {name}={_redact(v)}"
            yield _finding(rule, asset, ins, f"{ins.keyword} {name} holds a literal secret value ({_redact(v)}): "
                           f"it is stored in the image layers and history", df.lines, f"{ins.keyword}:{name}",
                           snippet=snippet)


def _copy_sources(args: str) -> list[str]:
    s = args.strip()
    toks: list[str]
    if s.startswith("["):
        try:
            toks = [str(x) for x in json.loads(s)]
        except ValueError:
            toks = s.split()
    else:
        toks = s.split()
    toks = [t for t in toks if not t.startswith("--")]
    return toks[:-1]


def _check_dotenv(rule: Rule, asset: Asset, df: Dockerfile, ctx: AnalysisContext) -> Iterator[RawFinding]:
    ctx_dir = asset.path.rsplit("/", 1)[0] + "/" if "/" in asset.path else ""
    dotenv_in_ctx = any(p.startswith(ctx_dir) and re.search(r"(^|/)\.env(\.[\w-]+)?$", p)
                        and not p.endswith((".example", ".sample", ".template"))
                        for p in ctx.all_paths)
    ignore = ctx.root / ctx_dir / ".dockerignore"
    ignored = False
    try:
        if ignore.is_file() and ignore.stat().st_size < MAX_BYTES:
            ignored = bool(re.search(r"(?m)^\s*(\*\*/)?\.env", ignore.read_text("utf-8", "replace")))
    except OSError:
        ignored = False
    for ins in df.instructions:
        if ins.keyword not in ("COPY", "ADD") or "--from=" in ins.args:
            continue
        for src in _copy_sources(ins.args):
            base = src.rstrip("/").rsplit("/", 1)[-1]
            if re.fullmatch(r"\.env(\.[\w-]+)?|\.env\*?", base) and not base.endswith((".example", ".sample")):
                yield _finding(rule, asset, ins, f"{ins.keyword} copies {src} into the image: the secrets in "
                               f"it ship with every copy of the image", df.lines, f"copy:{src}")
            elif src in (".", "./") and dotenv_in_ctx and not ignored:
                yield _finding(rule, asset, ins, f"{ins.keyword} {src} copies the whole build context, which "
                               f"holds a .env file not excluded by .dockerignore", df.lines, "copy-context")


def _check_model_download(rule: Rule, asset: Asset, df: Dockerfile) -> Iterator[RawFinding]:
    for ins in df.instructions:
        if ins.keyword != "RUN":
            continue
        a = ins.args
        for m in re.finditer(r"\b(?:huggingface-cli|hf)\s+download\b[^;&|\n]*", a):
            if "--revision" not in m.group(0):
                yield _finding(rule, asset, ins, "Model downloaded at build time without --revision: the "
                               "image gets whatever the hub repository holds at build time", df.lines,
                               m.group(0)[:80])
        for m in re.finditer(r"\b(snapshot_download|hf_hub_download|from_pretrained)\s*\(([^)]*)\)", a):
            if m.group(1) != "from_pretrained" and "revision" not in m.group(2):
                yield _finding(rule, asset, ins, f"{m.group(1)}() at build time without revision=: the "
                               f"model is not pinned to a commit", df.lines, m.group(0)[:80])
        for m in _MODEL_URL.finditer(a):
            if not _CHECKSUM.search(a):
                yield _finding(rule, asset, ins, f"Model file {m.group(1)[:100]} downloaded without a "
                               f"checksum verification", df.lines, m.group(1)[:100])


_ALL_IFACES = r"(?:0\.0\.0\.0|\*|'\*'|\"\*\"|::|\[::\])"


def open_service_problems(cmd: str, env: str = "") -> list[tuple[str, str]]:
    """(service, problem) pairs for an ML service command line."""
    out: list[tuple[str, str]] = []
    if re.search(r"\bjupyter(?:-|\s+)(?:notebook|lab|server)\b|\bjupyterhub\b", cmd):
        empty_token = re.search(r"--(?:NotebookApp|ServerApp|IdentityProvider)\.(?:token|password)\s*=\s*"
                                r"(?:''|\"\"|(?=\s|$))", cmd)
        xsrf = re.search(r"disable_check_xsrf\s*=\s*True", cmd)
        any_ip = re.search(r"--(?:ip|NotebookApp\.ip|ServerApp\.ip)[=\s]+" + _ALL_IFACES, cmd)
        if empty_token:
            out.append(("Jupyter", f"starts with an empty token/password{' on all interfaces' if any_ip else ''}: "
                                   f"anyone who reaches the port runs code"))
        elif xsrf:
            out.append(("Jupyter", "disables XSRF checks"))
        elif any_ip and re.search(r"--allow-root\b", cmd) and "token" not in cmd and "JUPYTER_TOKEN" not in env:
            out.append(("Jupyter", "listens on all interfaces as root"))
    if re.search(r"\bmlflow\s+(?:server|ui)\b", cmd) and re.search(r"(?:--host|-h)[=\s]+" + _ALL_IFACES, cmd) \
            and not re.search(r"--app-name[=\s]+basic-auth", cmd):
        out.append(("MLflow", "listens on all interfaces without --app-name basic-auth"))
    if re.search(r"\bray\s+start\b", cmd) and re.search(r"--dashboard-host[=\s]+" + _ALL_IFACES, cmd):
        out.append(("Ray", "dashboard (job submission API) listens on all interfaces"))
    if re.search(r"\bvllm\s+serve\b|vllm\.entrypoints\.openai\.api_server", cmd) and "--api-key" not in cmd \
            and "VLLM_API_KEY" not in env:
        out.append(("vLLM", "serves the OpenAI-compatible API without --api-key"))
    if re.search(r"\btorchserve\b", cmd) and re.search(r"--disable-token-auth\b", cmd):
        out.append(("TorchServe", "runs with --disable-token-auth"))
    return out


def _check_open_service(rule: Rule, asset: Asset, df: Dockerfile) -> Iterator[RawFinding]:
    env = " ".join(i.args for i in df.instructions if i.keyword == "ENV")
    for ins in df.instructions:
        if ins.keyword not in ("CMD", "ENTRYPOINT", "RUN"):
            continue
        cmd = command_text(ins.args)
        if ins.keyword == "RUN" and not re.search(r"\b(ray\s+start)\b", cmd):
            continue
        for service, problem in open_service_problems(cmd, env):
            yield _finding(rule, asset, ins, f"{service} {problem}", df.lines, f"{service}:{ins.keyword}")


class DockerfileAnalyzer(BaseAnalyzer):
    name = "dockerfile"
    kinds = frozenset({"container"})
    match_schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["check"],
        "properties": {"check": {"enum": list(CHECKS)}},
    }

    def analyze(self, ctx: AnalysisContext, assets: Sequence[Asset], rules: Sequence[Rule]) -> AnalyzerOutput:
        findings: list[RawFinding] = []
        notes: list[str] = []
        files = 0
        for asset in sorted(assets, key=lambda a: a.path):
            if asset.format != "dockerfile":
                continue
            try:
                with asset.abspath.open("rb") as fh:
                    raw = fh.read(MAX_BYTES + 1)
            except OSError as exc:
                notes.append(f"{asset.path}: not checked: cannot read ({exc.strerror})")
                continue
            if len(raw) > MAX_BYTES:
                notes.append(f"{asset.path}: not checked: larger than {MAX_BYTES} bytes")
                continue
            files += 1
            df = parse(raw.decode("utf-8", "replace"))
            if not df.stages:
                notes.append(f"{asset.path}: no FROM instruction: not a Dockerfile?")
                continue
            for rule in rules:
                if asset.kind in rule.applies_to:
                    findings.extend(self._run(rule, asset, df, ctx))
        return AnalyzerOutput(findings=findings, files=files, notes=notes)

    def _run(self, rule: Rule, asset: Asset, df: Dockerfile, ctx: AnalysisContext) -> Iterator[RawFinding]:
        check = rule.match.get("check")
        if check == "root-user":
            yield from _check_root(rule, asset, df)
        elif check in ("base-latest", "base-no-digest"):
            yield from _check_base(rule, asset, df, latest=check == "base-latest")
        elif check == "curl-pipe-shell":
            for ins in df.instructions:
                if ins.keyword == "RUN" and _PIPE_SH.search(ins.args):
                    yield _finding(rule, asset, ins, "Remote script piped into a shell at build time: whatever "
                                   "the server returns runs in the image, unverified", df.lines,
                                   _PIPE_SH.search(ins.args).group(0)[:80])  # type: ignore[union-attr]
        elif check == "add-url-no-checksum":
            for ins in df.instructions:
                if ins.keyword == "ADD" and re.search(r"(?:^|\s)https?://", ins.args) \
                        and "--checksum=" not in ins.args:
                    yield _finding(rule, asset, ins, "ADD downloads a URL without --checksum=sha256:...: the "
                                   "content is not verified", df.lines, ins.args[:80])
        elif check == "secret-env-arg":
            yield from _check_secrets(rule, asset, df)
        elif check == "copy-dotenv":
            yield from _check_dotenv(rule, asset, df, ctx)
        elif check == "model-download-unpinned":
            yield from _check_model_download(rule, asset, df)
        elif check == "open-ml-service":
            yield from _check_open_service(rule, asset, df)
