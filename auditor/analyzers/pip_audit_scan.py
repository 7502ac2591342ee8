"""Vulnerable dependencies: the exact pins of every manifest, audited against pip-audit's services
(PyPI JSON API or OSV, online) or a local OSV database (offline).

A scan never installs, builds, resolves or runs anything of the target: a pin is audited as written;
unpinned and ranged requirements are listed as not audited (the hygiene rule DEP-PIN-001 of the
``dependencies`` analyzer reports them). When no vulnerability source answers the analyzer raises, so
the scan ends incomplete (exit 3) instead of passing silently.

Severity: from the advisory's CVSS v3 base score when the record has a vector, else the database's own
rating (GHSA ``database_specific.severity``), else the rule's severity (high). Online results from
pip-audit carry no CVSS, so they take the rule's severity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from auditor.analyzers.interface import AnalysisContext, AnalyzerOutput, AnalyzerUnavailable, ScanOptions
from auditor.errors import AnalyzerError
from auditor.manifests import Requirement, load_manifests
from auditor.model import Asset, RawFinding, Rule
from auditor.vulndb import Advisory

NAME = "pip-audit"


class VulnSource(Protocol):
    label: str

    def query(self, package: str, version: str) -> list[Advisory]:
        ...


@dataclass
class LocalSource:
    path: Path
    label: str = ""

    def __post_init__(self) -> None:
        from auditor.vulndb import LocalOsvDb, VulnDbError

        try:
            self._db = LocalOsvDb(self.path)
        except VulnDbError as exc:
            raise AnalyzerError(f"pip-audit: {exc}") from exc
        self.label = f"local OSV database {self.path}"

    def query(self, package: str, version: str) -> list[Advisory]:
        return self._db.query(package, version)


class PipAuditSource:
    """pip-audit's own vulnerability services (``service``: pypi | osv)."""

    def __init__(self, service: str = "pypi", timeout: int = 15, osv_url: str | None = None,
                 cache_dir: Path | None = None) -> None:
        from pip_audit._service import OsvService, PyPIService

        from auditor.vulndb import cache_dir as vuln_cache

        cdir = cache_dir or vuln_cache().parent / "pip-audit"
        if service == "osv":
            self._svc: Any = OsvService(cache_dir=cdir, timeout=timeout, **({"osv_url": osv_url} if osv_url else {}))
        elif service == "pypi":
            self._svc = PyPIService(cache_dir=cdir, timeout=timeout)
        else:
            raise AnalyzerError(f"pip-audit: analyzers.pip-audit.service '{service}': use 'pypi' or 'osv'")
        self.label = f"pip-audit {service} service"

    def query(self, package: str, version: str) -> list[Advisory]:
        import requests
        from packaging.version import Version
        from pip_audit._service import ResolvedDependency, ServiceError

        from auditor.vulndb import DEFAULT_SEVERITY, _preferred

        try:
            _, results = self._svc.query(ResolvedDependency(name=package, version=Version(version)))
        except (ServiceError, requests.RequestException) as exc:
            raise AnalyzerError(f"pip-audit: {self.label} not reachable ({type(exc).__name__}: "
                                f"{str(exc)[:160]}); run offline with --vuln-db PATH") from exc
        out: list[Advisory] = []
        for r in results:
            ids = {str(r.id), *(str(a) for a in r.aliases)}
            main = _preferred(ids)
            out.append(Advisory(
                id=main, aliases=tuple(sorted(ids - {main})), summary=" ".join(str(r.description).split())[:400],
                fixed=tuple(str(v) for v in sorted(r.fix_versions)), severity=DEFAULT_SEVERITY,
                severity_source="default", published=r.published.isoformat() if r.published else None))
        return sorted(out, key=lambda a: a.id)


def vuln_db_path(ctx: AnalysisContext) -> Path | None:
    value = ctx.options.vuln_db or ctx.setting(NAME, "vuln_db") or ctx.config.get("vuln_db")
    return Path(value).expanduser() if value else None


def select_source(ctx: AnalysisContext) -> VulnSource:
    """--vuln-db / config vuln_db -> that database; --offline -> the downloaded cache; else online."""
    from auditor import vulndb

    path = vuln_db_path(ctx)
    if path is not None:
        return LocalSource(path)
    if ctx.options.offline or ctx.config.get("offline"):
        cached = vulndb.default_archive()
        if not cached.is_file():
            raise AnalyzerError(
                "pip-audit: offline and no vulnerability database: pass --vuln-db DIR|ZIP, set vuln_db in "
                f"the config, or run 'auditor vulndb update' (cache: {cached})")
        return LocalSource(cached)
    return PipAuditSource(service=str(ctx.setting(NAME, "service", "pypi")),
                          timeout=int(ctx.setting(NAME, "timeout", 15)),
                          osv_url=ctx.setting(NAME, "osv_url"))


def not_audited_reason(req: Requirement) -> str | None:
    if req.url:
        return "direct URL / VCS reference: no version to audit"
    if req.version is None:
        return f"not pinned ({req.specifier or 'any version'}): resolution is never run by a scan"
    return None


class PipAuditAnalyzer:
    name = NAME
    kinds = frozenset({"dependency"})
    match_schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            # DEP-VULN-001: every advisory matching an exact pin
            "vulnerable": {"const": True},
            # only report advisories at or above this severity (after CVSS mapping)
            "min_severity": {"enum": ["critical", "high", "medium", "low", "info"]},
        },
    }

    def version(self) -> str | None:
        try:
            from importlib.metadata import version

            return version("pip-audit")
        except Exception:  # noqa: BLE001
            return None

    def check_available(self, options: ScanOptions) -> None:
        if options.vuln_db is not None or options.offline:
            return
        try:
            import pip_audit  # noqa: F401
        except ImportError as exc:
            raise AnalyzerUnavailable("pip-audit is not installed: pip install pip-audit, or use --vuln-db") from exc

    def analyze(self, ctx: AnalysisContext, assets: Sequence[Asset], rules: Sequence[Rule]) -> AnalyzerOutput:
        from auditor.model import SEVERITY_RANK

        mset = load_manifests(ctx.root, [a.path for a in assets if a.kind == "dependency"])
        reqs = mset.requirements()
        notes: list[str] = list(mset.notes)
        not_audited = []
        audited: list[Requirement] = []
        pinned = {r.normalized for r in reqs if not_audited_reason(r) is None}
        for r in reqs:
            reason = not_audited_reason(r)
            if reason and r.normalized in pinned:
                continue  # a range here, but an exact pin elsewhere is audited
            if reason:
                not_audited.append({"name": r.name, "specifier": r.specifier, "url": r.url, "path": r.path,
                                    "line": r.line, "reason": reason})
            else:
                audited.append(r)
        section: dict[str, Any] = {
            "manifests": [{"path": m.path, "kind": m.kind, "requirements": len(m.requirements),
                           "errors": list(m.errors)} for m in mset.manifests],
            "audited": len({(r.normalized, r.version) for r in audited}),
            "not_audited": not_audited, "source": None, "vulnerable": [],
        }
        if ctx.options.resolve_deps and not_audited:
            notes.append("--resolve-deps: dependency resolution is not implemented by this analyzer (it would run "
                         "pip on the target's requirements); unpinned requirements stay not audited")
        vuln_rules = [r for r in rules if r.match.get("vulnerable")]
        if not audited or not vuln_rules:
            if not_audited:
                notes.append(f"{len(not_audited)} requirement(s) not audited (not pinned or direct references)")
            return AnalyzerOutput(findings=(), sections={"dependencies": section}, files=len(mset.manifests),
                                  notes=tuple(notes))
        source = select_source(ctx)
        section["source"] = source.label
        cache: dict[tuple[str, str], list[Advisory]] = {}
        for r in audited:
            key = (r.normalized, str(r.version))
            if key not in cache:
                cache[key] = source.query(r.normalized, str(r.version))
        findings: list[RawFinding] = []
        for rule in vuln_rules:
            floor = rule.match.get("min_severity", "info")
            for r in audited:
                for adv in cache[(r.normalized, str(r.version))]:
                    if SEVERITY_RANK[adv.severity] < SEVERITY_RANK[floor]:
                        continue
                    fixed = ", ".join(adv.fixed) if adv.fixed else "no fixed version published"
                    aka = f" ({', '.join(adv.aliases)})" if adv.aliases else ""
                    findings.append(RawFinding(
                        rule_id=rule.id, path=r.path, start_line=r.line, end_line=r.line, kind="dependency",
                        message=(f"{r.name} {r.version} is affected by {adv.id}{aka}: {adv.summary[:200]} "
                                 f"Fixed in: {fixed}."),
                        snippet=r.raw[:200],
                        severity=adv.severity if adv.severity_source != "default" else None,
                        fingerprint_key=f"{r.normalized}:{adv.id}",
                        properties={
                            "advisory_id": adv.id, "aliases": list(adv.aliases), "package": r.normalized,
                            "installed_version": r.version, "fixed_versions": list(adv.fixed),
                            "cvss_vector": adv.cvss_vector, "cvss_score": adv.cvss_score,
                            "severity_source": adv.severity_source, "vulnerability_source": source.label,
                            "locked": r.locked, "references": list(adv.references),
                        },
                    ))
        vulnerable: dict[tuple[str, str], list[str]] = {}
        for (name, version), advs in sorted(cache.items()):
            if advs:
                vulnerable[(name, version)] = [a.id for a in advs]
        section["vulnerable"] = [{"package": n, "version": v, "advisories": ids} for (n, v), ids in vulnerable.items()]
        if not_audited:
            notes.append(f"{len(not_audited)} requirement(s) not audited (not pinned or direct references)")
        notes.append(f"{section['audited']} pinned package version(s) audited against {source.label}")
        return AnalyzerOutput(findings=findings, sections={"dependencies": section}, files=len(mset.manifests),
                              notes=tuple(notes))
