"""Vulnerable dependencies: the exact pins of every manifest, audited against pip-audit's services
(PyPI JSON API or OSV, online) or a local OSV database (offline).

By default a scan never installs, builds, resolves or runs anything of the target: a pin is audited as
written; unpinned and ranged requirements are listed as not audited (the hygiene rule DEP-PIN-001 of the
``dependencies`` analyzer reports them). With ``--resolve-deps`` (config ``resolve_deps: true``) those
requirements are resolved to versions by pip's resolver in dry-run, wheels-only mode (see
``auditor.depresolve``: nothing is installed, no build backend runs) and the resolved versions are
audited with the same vulnerability source; their findings carry ``properties.resolved: true`` and point
at the requirement's manifest line. A resolution that fails (no index reachable, no wheel, a conflict)
is a note and a not-audited reason, never a failed analyzer. When no vulnerability source answers the
analyzer raises, so the scan ends incomplete (exit 3) instead of passing silently.

Settings (``analyzers: {pip-audit: {...}}``): ``service`` (pypi|osv), ``timeout``, ``osv_url``,
``vuln_db``; for resolution ``resolve_args`` (extra pip arguments, e.g. ``[--no-index, --find-links,
/wheelhouse]``), ``resolve_isolated`` (ignore the user's pip configuration), ``resolve_timeout`` (s).

Severity: from the advisory's CVSS v3 base score when the record has a vector, else the database's own
rating (GHSA ``database_specific.severity``), else the rule's severity (high). Online results from
pip-audit carry no CVSS, so they take the rule's severity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from auditor.analyzers.interface import AnalysisContext, AnalyzerOutput, AnalyzerUnavailable, ScanOptions
from auditor.errors import AnalyzerError
from auditor.model import Asset, RawFinding, Rule

if TYPE_CHECKING:
    from auditor.manifests import ManifestSet, Requirement
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

        from auditor.vulndb import DEFAULT_SEVERITY, Advisory, _preferred

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
        from auditor.manifests import load_manifests

        mset = load_manifests(ctx.root, [a.path for a in assets if a.kind == "dependency"])
        reqs = mset.requirements()
        notes: list[str] = list(mset.notes)
        unaudited: list[tuple[Requirement, dict[str, Any]]] = []
        audited: list[Requirement] = []
        pinned = {r.normalized for r in reqs if not_audited_reason(r) is None}
        for r in reqs:
            reason = not_audited_reason(r)
            if reason and r.normalized in pinned:
                continue  # a range here, but an exact pin elsewhere is audited
            if reason:
                unaudited.append((r, {"name": r.name, "specifier": r.specifier, "url": r.url, "path": r.path,
                                      "line": r.line, "reason": reason}))
            else:
                audited.append(r)
        section: dict[str, Any] = {
            "manifests": [{"path": m.path, "kind": m.kind, "requirements": len(m.requirements),
                           "errors": list(m.errors)} for m in mset.manifests],
            "audited": len({(r.normalized, r.version) for r in audited}),
            "not_audited": [entry for _, entry in unaudited], "source": None, "vulnerable": [],
        }
        vuln_rules = [r for r in rules if r.match.get("vulnerable")]
        want_resolution = bool(ctx.options.resolve_deps or ctx.config.get("resolve_deps")) and bool(unaudited)
        if not vuln_rules or not (audited or want_resolution):
            return self._done(section, notes, [], mset)
        source = select_source(ctx)
        section["source"] = source.label
        resolved: list[tuple[Requirement, str]] = []
        if want_resolution:
            resolved = _resolve(ctx, mset, unaudited, section, notes)
        targets = [(r, str(r.version), False) for r in audited] + [(r, v, True) for r, v in resolved]
        cache: dict[tuple[str, str], list[Advisory]] = {}
        for r, version, _ in targets:
            key = (r.normalized, version)
            if key not in cache:
                cache[key] = source.query(r.normalized, version)
        findings = [f for rule in vuln_rules for f in _findings(rule, targets, cache, source.label)]
        section["audited"] = len({(r.normalized, v) for r, v, _ in targets})
        section["vulnerable"] = [{"package": n, "version": v, "advisories": [a.id for a in advs]}
                                 for (n, v), advs in sorted(cache.items()) if advs]
        notes.append(f"{section['audited']} package version(s) audited against {source.label}"
                     + (f" ({len(resolved)} resolved by pip)" if resolved else ""))
        return self._done(section, notes, findings, mset)

    @staticmethod
    def _done(section: dict[str, Any], notes: list[str], findings: list[RawFinding],
              mset: ManifestSet) -> AnalyzerOutput:
        if section["not_audited"]:
            notes.append(f"{len(section['not_audited'])} requirement(s) not audited (not pinned, direct references "
                         "or not resolved)")
        return AnalyzerOutput(findings=findings, sections={"dependencies": section}, files=len(mset.manifests),
                              notes=tuple(notes))


def _resolve(ctx: AnalysisContext, mset: ManifestSet, unaudited: list[tuple[Requirement, dict[str, Any]]],
             section: dict[str, Any], notes: list[str]) -> list[tuple[Requirement, str]]:
    """Resolve the unpinned requirements with pip (dry run, wheels only); update the not-audited list."""
    from auditor import depresolve

    try:
        args = depresolve.check_args(ctx.setting(NAME, "resolve_args"))
    except depresolve.ResolveConfigError as exc:
        raise AnalyzerError(f"pip-audit: {exc}") from exc
    isolated = bool(ctx.setting(NAME, "resolve_isolated", False))
    timeout = float(ctx.setting(NAME, "resolve_timeout", depresolve.DEFAULT_TIMEOUT))
    own = {normalize_name(m.project_name) for m in mset.manifests if m.project_name}
    entry_of = {id(r): entry for r, entry in unaudited}
    by_manifest: dict[str, list[Requirement]] = {}
    for r, entry in unaudited:
        why = depresolve.not_resolvable(r, own)
        if why is None and r.constraint:
            why = "constraint entry: installs nothing, not resolved"
        if why is not None:
            entry["reason"] = f"{entry['reason']}; not resolvable: {why}"
            continue
        by_manifest.setdefault(r.path, []).append(r)
    manifests = mset.by_path()
    groups = [(reqs, [p for p in manifests[path].requirements if p.version is not None and not p.url])
              for path, reqs in sorted(by_manifest.items())]
    outcome = depresolve.resolve(groups, args, isolated=isolated, timeout=timeout)
    notes.extend(outcome.notes)
    for r, why in outcome.unresolved:
        entry = entry_of[id(r)]
        entry["reason"] = f"{entry['reason']}; --resolve-deps: {why}"
    resolved_ids = {id(x.requirement) for x in outcome.resolved}
    section["not_audited"] = [entry for r, entry in unaudited if id(r) not in resolved_ids]
    section["resolution"] = {
        "method": "pip install --dry-run --only-binary=:all: --report (nothing installed, no build backend run)",
        "isolated": isolated, "pip_runs": outcome.runs, "command": list(outcome.command),
        "resolved": [{"name": x.requirement.name, "specifier": x.requirement.specifier, "path": x.requirement.path,
                      "line": x.requirement.line, "version": x.version} for x in outcome.resolved],
        "transitive_not_audited": [{"package": n, "version": v} for n, v in outcome.transitive],
    }
    return [(x.requirement, x.version) for x in outcome.resolved]


def normalize_name(name: str) -> str:
    from auditor.manifests import normalize

    return normalize(name)


def _findings(rule: Rule, targets: Sequence[tuple[Requirement, str, bool]],
              cache: dict[tuple[str, str], list[Advisory]], label: str) -> list[RawFinding]:
    from auditor.model import SEVERITY_RANK

    floor = rule.match.get("min_severity", "info")
    out: list[RawFinding] = []
    for r, version, resolved in targets:
        for adv in cache[(r.normalized, version)]:
            if SEVERITY_RANK[adv.severity] < SEVERITY_RANK[floor]:
                continue
            fixed = ", ".join(adv.fixed) if adv.fixed else "no fixed version published"
            aka = f" ({', '.join(adv.aliases)})" if adv.aliases else ""
            what = f"{r.name} {r.specifier or '(any version)'} resolves to {version}, which" if resolved \
                else f"{r.name} {version}"
            props: dict[str, Any] = {
                "advisory_id": adv.id, "aliases": list(adv.aliases), "package": r.normalized,
                "installed_version": version, "fixed_versions": list(adv.fixed),
                "cvss_vector": adv.cvss_vector, "cvss_score": adv.cvss_score,
                "severity_source": adv.severity_source, "vulnerability_source": label,
                "locked": r.locked, "references": list(adv.references),
            }
            if resolved:
                props.update({"resolved": True, "resolved_version": version, "specifier": r.specifier})
            out.append(RawFinding(
                rule_id=rule.id, path=r.path, start_line=r.line, end_line=r.line, kind="dependency",
                message=f"{what} is affected by {adv.id}{aka}: {adv.summary[:200]} Fixed in: {fixed}.",
                snippet=r.raw[:200], severity=adv.severity if adv.severity_source != "default" else None,
                fingerprint_key=f"{r.normalized}:{adv.id}", properties=props,
            ))
    return out
