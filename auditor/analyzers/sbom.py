"""CycloneDX 1.6 SBOM of the target with cyclonedx-python-lib: Python dependencies from the manifests
(purls, licences where known), every model file as a ``machine-learning-model`` component and every
dataset as a ``data`` component (SHA-256 streamed in chunks, format, path, size as properties), and
container base images from Dockerfile ``FROM`` lines. The document is generated once and validated
once with cyclonedx-python-lib's strict JSON validator (validation dominates the runtime).

The serial number is derived from the content (uuid5), so the same tree gives the same document apart
from the timestamp. The rule with ``match: {check: sbom-present}`` (SBOM-PRESENT-001) passes when the
repository holds an SBOM (``*.cdx.json``, ``bom.json``, ``sbom*.json``) or the scan writes one
(``ctx.outputs`` has a ``cyclonedx`` entry).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from auditor.analyzers.interface import AnalysisContext, AnalyzerOutput, AnalyzerUnavailable, ScanOptions
from auditor.errors import AnalyzerError
from auditor.model import Asset, RawFinding, Rule

SPEC_VERSION = "1.6"
CHUNK = 1 << 20
SBOM_GLOBS = ("*.cdx.json", "*.cdx.xml", "bom.json", "bom.xml", "sbom*.json", "*.sbom.json")
_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(?P<image>\S+)(?:\s+AS\s+(?P<alias>\S+))?",
                   re.IGNORECASE)


def sha256_file(asset: Asset) -> str:
    cached = asset.detail.get("sha256") if asset.detail else None
    if isinstance(cached, str) and len(cached) == 64:
        return cached
    h = hashlib.sha256()
    with open(asset.abspath, "rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            if not chunk:
                break
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class BaseImage:
    image: str
    path: str
    line: int


def base_images(text: str, path: str) -> list[BaseImage]:
    """``FROM`` images of a Dockerfile, without ``scratch``, earlier stage names and unresolved ARGs."""
    out: list[BaseImage] = []
    stages: set[str] = set()
    for n, line in enumerate(text.splitlines(), start=1):
        m = _FROM.match(line)
        if not m:
            continue
        image = m.group("image")
        if m.group("alias"):
            stages.add(m.group("alias").lower())
        if image.lower() == "scratch" or image.lower() in stages or "$" in image:
            continue
        out.append(BaseImage(image, path, n))
    return out


def split_image(image: str) -> tuple[str | None, str | None, str, str | None]:
    """(registry, namespace, name, version) of ``registry/ns/name:tag@digest``."""
    digest = None
    if "@" in image:
        image, digest = image.split("@", 1)
    tag = None
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        image, tag = image.rsplit(":", 1)
    parts = image.split("/")
    registry = None
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry = parts.pop(0)
    name = parts.pop()
    namespace = "/".join(parts) or (None if registry else "library")
    return registry, namespace, name, digest or tag


def _licenses(expression: str | None) -> list[Any]:
    if not expression:
        return []
    try:
        from cyclonedx.contrib.license.factories import LicenseFactory
    except ImportError:  # older cyclonedx-python-lib
        from cyclonedx.factory.license import LicenseFactory  # type: ignore[no-redef,unused-ignore]
    try:
        return [LicenseFactory().make_from_string(expression)]
    except Exception:  # noqa: BLE001 - an odd licence text must not break the SBOM
        return []


class SbomAnalyzer:
    name = "cyclonedx"
    kinds = frozenset({"repo"})
    match_schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["check"],
        "properties": {
            "check": {"enum": ["sbom-present"]},
            "globs": {"type": "array", "items": {"type": "string"}},
        },
    }

    def version(self) -> str | None:
        try:
            from importlib.metadata import version

            return version("cyclonedx-python-lib")
        except Exception:  # noqa: BLE001
            return None

    def check_available(self, options: ScanOptions) -> None:
        try:
            import cyclonedx  # noqa: F401
        except ImportError as exc:
            raise AnalyzerUnavailable("cyclonedx-python-lib is not installed: pip install cyclonedx-bom") from exc

    def analyze(self, ctx: AnalysisContext, assets: Sequence[Asset], rules: Sequence[Rule]) -> AnalyzerOutput:
        document, summary, notes = build(ctx, assets)
        findings: list[RawFinding] = []
        written = ctx.outputs.get("cyclonedx")
        for rule in rules:
            if rule.match.get("check") != "sbom-present":
                continue
            globs = rule.match.get("globs") or list(SBOM_GLOBS)
            paths = ctx.all_paths or frozenset(a.path for a in ctx.inventory)
            present = sorted(p for p in paths if any(fnmatch.fnmatch(p.rsplit("/", 1)[-1].lower(), g) for g in globs))
            if not present and written is None:
                findings.append(RawFinding(
                    rule_id=rule.id, path=".", kind="repo", fingerprint_key="sbom-missing",
                    message="no SBOM in the repository and none written by this scan (add -o bom.cdx.json "
                            "or run 'auditor sbom -o bom.cdx.json' in the release job)"))
        section = {"spec_version": SPEC_VERSION, "components": len(summary), "summary": summary,
                   "document": document, "written_to": str(written) if written is not None else None}
        return AnalyzerOutput(findings=findings, sections={"sbom": section}, files=len(assets), notes=tuple(notes))


def build(ctx: AnalysisContext, assets: Sequence[Asset]) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    """(CycloneDX document as a dict, per-component summary, notes). Validates the document once."""
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    from packageurl import PackageURL

    from auditor import licenses as lic
    from auditor.manifests import load_manifests

    notes: list[str] = []
    components: list[Any] = []
    summary: list[dict[str, Any]] = []
    seen_refs: set[str] = set()

    def add(comp: Any, info: dict[str, Any]) -> None:
        ref = str(comp.bom_ref.value)
        if ref in seen_refs:
            return
        seen_refs.add(ref)
        components.append(comp)
        summary.append(info)

    # Python dependencies
    mset = load_manifests(ctx.root, [a.path for a in assets if a.kind == "dependency"])
    from auditor.analyzers.dependencies import license_overrides

    overrides = license_overrides(ctx)
    project_name = None
    project_license = None
    for m in mset.manifests:
        if m.kind == "pyproject" and m.project_name and project_name is None:
            project_name, project_license = m.project_name, m.project_license
    pinned = {r.normalized for r in mset.requirements() if r.version}
    for r in sorted(mset.requirements(), key=lambda r: (r.normalized, r.version or "", r.path, r.line)):
        if (r.url and not r.version) or (r.version is None and r.normalized in pinned):
            continue  # a range where an exact pin of the same package is listed already
        expression = r.license or overrides.get(r.normalized)
        if expression is None:
            env_expr, env_version = lic.scanner_environment(r.name)
            if env_expr and r.version is not None and env_version == r.version:
                expression = env_expr
        purl = PackageURL(type="pypi", name=r.normalized, version=r.version)
        props = [Property(name="auditor:manifest", value=f"{r.path}:{r.line}")]
        if r.version is None:
            props.append(Property(name="auditor:specifier", value=r.specifier or "*"))
        if r.group:
            props.append(Property(name="auditor:group", value=r.group))
        comp = Component(name=r.normalized, version=r.version, type=ComponentType.LIBRARY, purl=purl,
                         bom_ref=str(purl), licenses=_licenses(expression),
                         properties=props)
        add(comp, {"name": r.normalized, "type": "library", "version": r.version, "purl": str(purl),
                   "licenses": [expression] if expression else [], "sha256": None, "path": r.path})
    # models and datasets
    for a in sorted(assets, key=lambda a: a.path):
        if a.kind not in ("model", "data"):
            continue
        try:
            digest = sha256_file(a)
        except OSError as exc:
            notes.append(f"{a.path}: not hashed ({exc.strerror})")
            continue
        ctype = ComponentType.MACHINE_LEARNING_MODEL if a.kind == "model" else ComponentType.DATA
        props = [Property(name="auditor:path", value=a.path), Property(name="auditor:size", value=str(a.size))]
        if a.format:
            props.append(Property(name="auditor:format", value=a.format))
        comp = Component(name=a.path.rsplit("/", 1)[-1], type=ctype, bom_ref=f"file:{a.path}",
                         hashes=[HashType(alg=HashAlgorithm.SHA_256, content=digest)], properties=props)
        add(comp, {"name": a.path.rsplit("/", 1)[-1], "type": ctype.value, "version": None, "purl": None,
                   "licenses": [], "sha256": digest, "path": a.path, "format": a.format})
    # container base images
    for a in sorted(assets, key=lambda a: a.path):
        if a.kind != "container" or a.format != "dockerfile":
            continue
        try:
            with open(a.abspath, "rb") as fh:
                text = fh.read(2 * 1024 * 1024).decode("utf-8", "replace")
        except OSError:
            continue
        for img in base_images(text, a.path):
            registry, namespace, name, version = split_image(img.image)
            purl = PackageURL(type="docker", namespace=namespace, name=name, version=version,
                              qualifiers={"repository_url": registry} if registry else None)
            comp = Component(name=img.image, version=version, type=ComponentType.CONTAINER, purl=purl,
                             bom_ref=f"container:{img.image}",
                             properties=[Property(name="auditor:path", value=f"{img.path}:{img.line}")])
            add(comp, {"name": img.image, "type": "container", "version": version, "purl": str(purl),
                       "licenses": [], "sha256": None, "path": img.path})
    root_name = project_name or ctx.root.name or "target"
    digest = hashlib.sha256(json.dumps(summary, sort_keys=True, default=str).encode()).hexdigest()
    import uuid

    bom = Bom(serial_number=uuid.uuid5(uuid.NAMESPACE_URL, f"auditor-sbom:{root_name}:{digest}"))
    bom.metadata.component = Component(name=root_name, type=ComponentType.APPLICATION,
                                       bom_ref=f"root:{root_name}", licenses=_licenses(project_license))
    # cyclonedx-python-lib's own tool entry is left out on purpose: its external reference URLs are
    # IRI-validated by an Earley parser (~0.1 s each), which doubled the validation time
    from auditor import __version__

    bom.metadata.tools.components.add(Component(name="aiml-auditor", version=__version__,
                                                type=ComponentType.APPLICATION, bom_ref="tool:aiml-auditor"))
    for comp in components:
        bom.components.add(comp)
    bom.register_dependency(bom.metadata.component, components)
    text = JsonV1Dot6(bom).output_as_string(indent=None)
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error is not None:
        raise AnalyzerError(f"cyclonedx: the generated SBOM does not validate against CycloneDX 1.6: "
                            f"{str(error)[:300]}")
    document: dict[str, Any] = json.loads(text)
    return document, summary, notes
