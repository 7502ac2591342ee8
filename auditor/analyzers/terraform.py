"""terraform: Terraform (HCL) resources that expose data, models and ML services.

HCL is parsed with python-hcl2 (imported lazily). python-hcl2 gives no line numbers, so lines come
from the text: the ``resource "type" "name"`` header and, inside its brace-balanced block, the first
line that sets the attribute. Checks that need a companion resource (a public access block, an
encryption or versioning resource for a bucket) look at every ``.tf`` file of the same directory
(one Terraform module), also in pre-commit mode where only some files are staged.

Each rule selects one check with ``match: {check: ...}`` (optional ``ports`` for ``sg-open-ml-port``):
``s3-public-acl``, ``s3-public-access-block-disabled``, ``s3-no-public-access-block``,
``gcs-public-iam``, ``s3-no-encryption``, ``s3-no-versioning``, ``sagemaker-notebook-internet``,
``sagemaker-notebook-root``, ``sagemaker-notebook-kms``, ``sagemaker-endpoint-kms``,
``sg-open-ml-port``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.analyzers.interface import AnalysisContext, AnalyzerOutput, BaseAnalyzer
from auditor.model import Asset, RawFinding, Rule

MAX_BYTES = 2 * 1024 * 1024
CHECKS = (
    "s3-public-acl", "s3-public-access-block-disabled", "s3-no-public-access-block", "gcs-public-iam",
    "s3-no-encryption", "s3-no-versioning", "sagemaker-notebook-internet", "sagemaker-notebook-root",
    "sagemaker-notebook-kms", "sagemaker-endpoint-kms", "sg-open-ml-port",
)
# Jupyter, MLflow, Ray dashboard, TorchServe (inference/management/metrics), Gradio, Ollama,
# TensorBoard, Qdrant, Milvus, generic model servers (vLLM, Triton HTTP, BentoML)
ML_PORTS = (8888, 5000, 8265, 8080, 8081, 8082, 7860, 11434, 6006, 6333, 19530, 8000)
OPEN_CIDRS = ("0.0.0.0/0", "::/0")
PAB_FLAGS = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")


@dataclass
class Resource:
    type: str
    name: str
    body: Mapping[str, Any]
    path: str  # repository-relative file
    line: int
    end_line: int
    lines: Sequence[str] = field(default_factory=list)

    def attr_line(self, *names: str) -> int:
        pat = re.compile(r"^\s*(?:" + "|".join(re.escape(n) for n in names) + r")\s*(?:=|\{)")
        for i in range(self.line, min(self.end_line, len(self.lines))):
            if pat.search(self.lines[i]):
                return i + 1
        return self.line

    def block_line(self, name: str, index: int) -> int:
        """Line of the index-th nested block ``name { ... }`` (for repeated ``ingress`` blocks)."""
        pat = re.compile(r"^\s*" + re.escape(name) + r"\s*\{")
        found = [i + 1 for i in range(self.line, min(self.end_line, len(self.lines))) if pat.search(self.lines[i])]
        return found[index] if index < len(found) else self.attr_line(name)

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}"


def _blocks(body: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    v = body.get(name)
    if isinstance(v, Mapping):
        return [v]
    if isinstance(v, list):
        return [b for b in v if isinstance(b, Mapping)]
    return []


def _s(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)


def _is_false(v: Any) -> bool:
    return _s(v).strip().lower() == "false"


def _header_lines(lines: Sequence[str]) -> dict[tuple[str, str], tuple[int, int]]:
    """(type, name) -> (start, end) lines of each resource block, by brace counting."""
    out: dict[tuple[str, str], tuple[int, int]] = {}
    head = re.compile(r'^\s*resource\s+"([^"]+)"\s+"([^"]+)"\s*\{')
    i = 0
    while i < len(lines):
        m = head.match(lines[i])
        if not m:
            i += 1
            continue
        depth = 0
        j = i
        while j < len(lines):
            code = re.sub(r'"(?:[^"\\]|\\.)*"', '""', lines[j].split("#", 1)[0])
            depth += code.count("{") - code.count("}")
            if depth <= 0 and j >= i:
                break
            j += 1
        out[(m.group(1), m.group(2))] = (i + 1, min(j + 1, len(lines)))
        i += 1
    return out


def parse_resources(text: str, path: str) -> list[Resource]:
    """Resources of one .tf file. Raises ValueError when the HCL does not parse."""
    import hcl2
    from hcl2.utils import SerializationOptions

    try:
        doc = hcl2.loads(text, serialization_options=SerializationOptions(strip_string_quotes=True))
    except Exception as exc:  # noqa: BLE001 - lark raises many error types
        raise ValueError(str(exc).splitlines()[0][:200]) from exc
    lines = text.splitlines()
    spans = _header_lines(lines)
    out = []
    for entry in doc.get("resource", []) or []:
        if not isinstance(entry, Mapping):
            continue
        for rtype, named in entry.items():
            if not isinstance(named, Mapping):
                continue
            for name, body in named.items():
                if not isinstance(body, Mapping):
                    continue
                start, end = spans.get((rtype, name), (1, len(lines)))
                out.append(Resource(rtype, name, body, path, start, end, lines))
    return out


def _refers_to(value: Any, bucket: Resource) -> bool:
    s = _s(value)
    if re.search(r"\baws_s3_bucket\." + re.escape(bucket.name) + r"\b", s):
        return True
    literal = _s(bucket.body.get("bucket"))
    return bool(literal) and s == literal


def _ports_of(rule: Rule) -> tuple[int, ...]:
    ports = rule.match.get("ports")
    return tuple(ports) if ports else ML_PORTS


def _int(v: Any) -> int | None:
    try:
        return int(_s(v))
    except ValueError:
        return None


def _exposed(from_p: Any, to_p: Any, protocol: Any, ports: Sequence[int]) -> str | None:
    """A description of what an open ingress exposes, or None."""
    proto = _s(protocol).lower()
    lo, hi = _int(from_p), _int(to_p)
    if proto in ("-1", "all") or (lo is not None and hi is not None and lo <= 0 and hi >= 65535):
        return "all ports"
    if lo is None or hi is None:
        return None
    hit = [p for p in ports if lo <= p <= hi]
    if hit:
        return "port " + ", ".join(str(p) for p in hit)
    return None


def _open_cidrs(body: Mapping[str, Any]) -> list[str]:
    vals: list[str] = []
    for key in ("cidr_blocks", "ipv6_cidr_blocks", "source_ranges"):
        v = body.get(key)
        if isinstance(v, list):
            vals.extend(_s(x) for x in v)
        elif v is not None:
            vals.append(_s(v))
    for key in ("cidr_ipv4", "cidr_ipv6"):
        if body.get(key) is not None:
            vals.append(_s(body.get(key)))
    return [c for c in vals if c in OPEN_CIDRS]


class TerraformAnalyzer(BaseAnalyzer):
    name = "terraform"
    kinds = frozenset({"iac"})
    match_schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["check"],
        "properties": {
            "check": {"enum": list(CHECKS)},
            "ports": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 65535}},
        },
    }

    def version(self) -> str | None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return f"python-hcl2 {version('python-hcl2')}"
        except PackageNotFoundError:  # pragma: no cover
            return None

    def analyze(self, ctx: AnalysisContext, assets: Sequence[Asset], rules: Sequence[Rule]) -> AnalyzerOutput:
        notes: list[str] = []
        tf_assets = sorted((a for a in assets if a.format == "terraform" and a.path.endswith(".tf")),
                           key=lambda a: a.path)
        parsed: dict[str, list[Resource]] = {}
        for asset in tf_assets:
            res = self._load(asset.abspath, asset.path, notes)
            if res is not None:
                parsed[asset.path] = res
        # the whole module (directory) for companion-resource checks
        modules: dict[str, list[Resource]] = {}
        for path in sorted(set(ctx.all_paths) | set(parsed)):
            if not path.endswith(".tf"):
                continue
            d = path.rsplit("/", 1)[0] if "/" in path else ""
            if not any((a.rsplit("/", 1)[0] if "/" in a else "") == d for a in parsed):
                continue
            if path not in parsed:
                res = self._load(ctx.root / path, path, [])
                if res is None:
                    continue
                modules.setdefault(d, []).extend(res)
            else:
                modules.setdefault(d, []).extend(parsed[path])
        findings: list[RawFinding] = []
        for asset in tf_assets:
            resources = parsed.get(asset.path)
            if resources is None:
                continue
            d = asset.path.rsplit("/", 1)[0] if "/" in asset.path else ""
            module = modules.get(d, resources)
            for rule in rules:
                if asset.kind in rule.applies_to:
                    for f in self._check(rule, resources, module):
                        findings.append(f)
        return AnalyzerOutput(findings=findings, files=len(parsed), notes=notes)

    @staticmethod
    def _load(abspath: Path, path: str, notes: list[str]) -> list[Resource] | None:
        try:
            with abspath.open("rb") as fh:
                raw = fh.read(MAX_BYTES + 1)
        except OSError as exc:
            notes.append(f"{path}: not checked: cannot read ({exc.strerror})")
            return None
        if len(raw) > MAX_BYTES:
            notes.append(f"{path}: not checked: larger than {MAX_BYTES} bytes")
            return None
        try:
            return parse_resources(raw.decode("utf-8", "replace"), path)
        except ValueError as exc:
            notes.append(f"{path}: not checked: HCL does not parse ({exc})")
            return None

    def _check(self, rule: Rule, resources: Sequence[Resource], module: Sequence[Resource]) -> Iterator[RawFinding]:
        check = rule.match["check"]

        def hit(r: Resource, line: int, msg: str, key: str = "") -> RawFinding:
            snippet = r.lines[line - 1].strip()[:300] if 0 < line <= len(r.lines) else None
            return RawFinding(rule_id=rule.id, path=r.path, message=f"{r.address}: {msg}", start_line=line,
                              snippet=snippet, kind="iac", fingerprint_key=f"{r.address}:{key or check}")

        buckets = [r for r in resources if r.type == "aws_s3_bucket"]
        if check == "s3-public-acl":
            for r in resources:
                if r.type in ("aws_s3_bucket", "aws_s3_bucket_acl") and \
                        _s(r.body.get("acl")) in ("public-read", "public-read-write", "authenticated-read"):
                    yield hit(r, r.attr_line("acl"), f"bucket ACL {_s(r.body.get('acl'))} makes its objects "
                              f"(data, models) readable by anyone")
        elif check == "s3-public-access-block-disabled":
            for r in resources:
                if r.type != "aws_s3_bucket_public_access_block":
                    continue
                off = [f for f in PAB_FLAGS if r.body.get(f) is None or _is_false(r.body.get(f))]
                if off:
                    yield hit(r, r.attr_line(*off), f"public access block leaves {', '.join(off)} off "
                              f"(false or unset)")
        elif check == "s3-no-public-access-block":
            pabs = [r for r in module if r.type == "aws_s3_bucket_public_access_block"]
            for b in buckets:
                if not any(_refers_to(p.body.get("bucket"), b) for p in pabs):
                    yield hit(b, b.line, "bucket has no aws_s3_bucket_public_access_block: a later ACL or "
                              "policy can make it public")
        elif check == "s3-no-encryption":
            encs = [r for r in module if r.type == "aws_s3_bucket_server_side_encryption_configuration"]
            for b in buckets:
                if _blocks(b.body, "server_side_encryption_configuration"):
                    continue
                if not any(_refers_to(e.body.get("bucket"), b) for e in encs):
                    yield hit(b, b.line, "bucket has no server-side encryption configuration (no KMS key "
                              "under your control)")
        elif check == "s3-no-versioning":
            vers = [r for r in module if r.type == "aws_s3_bucket_versioning"]
            for b in buckets:
                inline = _blocks(b.body, "versioning")
                if inline and not _is_false(inline[0].get("enabled")):
                    continue
                ok = False
                for v in vers:
                    if _refers_to(v.body.get("bucket"), b):
                        conf = _blocks(v.body, "versioning_configuration")
                        ok = bool(conf) and _s(conf[0].get("status")) == "Enabled"
                if not ok:
                    yield hit(b, b.line, "bucket versioning is not enabled: overwritten or deleted model and "
                              "data objects cannot be recovered or audited")
        elif check == "gcs-public-iam":
            for r in resources:
                if not r.type.startswith("google_storage_bucket_iam_") and r.type != "google_storage_bucket_acl":
                    continue
                text = " ".join(r.lines[r.line - 1:r.end_line])
                for who in ("allUsers", "allAuthenticatedUsers"):
                    if who in text:
                        yield hit(r, r.attr_line("member", "members", "role_entity", "policy_data"),
                                  f"grants bucket access to {who}", who)
                        break
        elif check.startswith("sagemaker-notebook"):
            for r in resources:
                if r.type != "aws_sagemaker_notebook_instance":
                    continue
                if check == "sagemaker-notebook-internet" and \
                        _s(r.body.get("direct_internet_access", "Enabled")) == "Enabled":
                    yield hit(r, r.attr_line("direct_internet_access"),
                              "direct_internet_access is Enabled (the default): the notebook can reach and be "
                              "reached from the internet outside the VPC")
                elif check == "sagemaker-notebook-root" and _s(r.body.get("root_access", "Enabled")) == "Enabled":
                    yield hit(r, r.attr_line("root_access"), "root_access is Enabled (the default)")
                elif check == "sagemaker-notebook-kms" and not r.body.get("kms_key_id"):
                    yield hit(r, r.line, "no kms_key_id: the notebook's storage volume is not encrypted "
                              "with a key you control")
        elif check == "sagemaker-endpoint-kms":
            for r in resources:
                if r.type == "aws_sagemaker_endpoint_configuration" and not r.body.get("kms_key_arn"):
                    yield hit(r, r.line, "no kms_key_arn: the endpoint's ML storage volume is not encrypted "
                              "with a key you control")
        elif check == "sg-open-ml-port":
            yield from self._sg(rule, resources, hit)

    @staticmethod
    def _sg(rule: Rule, resources: Sequence[Resource], hit: Any) -> Iterator[RawFinding]:
        ports = _ports_of(rule)
        for r in resources:
            rules_: list[tuple[Mapping[str, Any], int]] = []
            if r.type == "aws_security_group":
                rules_ = [(b, r.block_line("ingress", k)) for k, b in enumerate(_blocks(r.body, "ingress"))]
            elif r.type == "aws_security_group_rule" and _s(r.body.get("type")) == "ingress":
                rules_ = [(r.body, r.attr_line("cidr_blocks", "ipv6_cidr_blocks"))]
            elif r.type == "aws_vpc_security_group_ingress_rule":
                rules_ = [(r.body, r.attr_line("cidr_ipv4", "cidr_ipv6"))]
            elif r.type == "google_compute_firewall" and _s(r.body.get("direction", "INGRESS")) == "INGRESS":
                for allow in _blocks(r.body, "allow"):
                    cidrs = _open_cidrs(r.body)
                    plist = allow.get("ports")
                    if not cidrs:
                        continue
                    if not plist:
                        yield hit(r, r.attr_line("allow"), f"firewall allows all ports from {cidrs[0]}", "all")
                        continue
                    for p in plist if isinstance(plist, list) else [plist]:
                        lo, _, hi = _s(p).partition("-")
                        what = _exposed(lo, hi or lo, allow.get("protocol"), ports)
                        if what:
                            yield hit(r, r.attr_line("source_ranges"), f"firewall opens {what} to {cidrs[0]}",
                                      what)
                continue
            for body, line in rules_:
                cidrs = _open_cidrs(body)
                if not cidrs:
                    continue
                what = _exposed(body.get("from_port"), body.get("to_port"),
                                body.get("protocol", body.get("ip_protocol")), ports)
                if what:
                    yield hit(r, line, f"ingress opens {what} to {cidrs[0]}: ML services "
                              f"(notebooks, tracking servers, dashboards, model APIs) reachable from the internet",
                              f"{what}:{body.get('from_port')}")
