"""Licences of dependencies and the allow/deny policy.

Where a licence comes from, in order: the manifest or lock entry itself (rare: the Python lock formats
carry no licence), the user's ``analyzers.dependencies.license_overrides`` mapping, and last the
installed metadata of the *auditor's own* environment (``importlib.metadata``) for a package of the
same name. The last source may describe a different version than the one pinned, and a scan never
downloads metadata, so a package that is neither described by the target nor installed next to the
auditor has an unknown licence: offline, we cannot know the licence of a package we do not have.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# trove classifiers -> SPDX ids (the common ones)
CLASSIFIERS: dict[str, str] = {
    "MIT License": "MIT", "BSD License": "BSD-3-Clause", "Apache Software License": "Apache-2.0",
    "ISC License (ISCL)": "ISC", "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "GNU General Public License v2 (GPLv2)": "GPL-2.0-only", "GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
    "GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
    "GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
    "GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
    "GNU Affero General Public License v3": "AGPL-3.0-only",
    "GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
    "Python Software Foundation License": "PSF-2.0", "The Unlicense (Unlicense)": "Unlicense",
    "Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0", "Historical Permission Notice and Disclaimer (HPND)": "HPND",
}
_ALIASES = {
    "mit license": "MIT", "mit": "MIT", "apache 2.0": "Apache-2.0", "apache-2.0": "Apache-2.0",
    "apache license 2.0": "Apache-2.0", "apache software license": "Apache-2.0", "apache 2": "Apache-2.0",
    "apache license, version 2.0": "Apache-2.0", "bsd": "BSD-3-Clause", "bsd license": "BSD-3-Clause",
    "3-clause bsd license": "BSD-3-Clause", "new bsd license": "BSD-3-Clause", "psf": "PSF-2.0",
    "gplv3": "GPL-3.0-only", "gpl-3.0": "GPL-3.0-only", "gplv2": "GPL-2.0-only", "lgplv3": "LGPL-3.0-only",
    "agplv3": "AGPL-3.0-only", "mpl-2.0": "MPL-2.0", "mpl 2.0": "MPL-2.0",
}


@dataclass(frozen=True)
class LicenseInfo:
    expression: str | None
    source: str  # manifest | config | scanner-environment | unknown
    version_seen: str | None = None


def canonical(text: str) -> str:
    t = " ".join(text.strip().split())
    return _ALIASES.get(t.lower(), t)


def from_metadata(meta: Mapping[str, str] | object) -> str | None:
    """Licence of an installed distribution's metadata: License-Expression, else classifiers, else a
    short License field."""
    get_all = getattr(meta, "get_all", None)
    get = getattr(meta, "get", None)
    if get is None:
        return None
    expr = get("License-Expression")
    if expr:
        return str(expr).strip()
    ids = []
    for c in (get_all("Classifier") if get_all else None) or []:
        if str(c).startswith("License :: OSI Approved :: "):
            name = str(c).rsplit(" :: ", 1)[1]
            ids.append(CLASSIFIERS.get(name, name))
    if ids:
        return " OR ".join(sorted(set(ids)))
    lic = get("License")
    if lic and len(str(lic)) <= 80 and "\n" not in str(lic).strip():
        return canonical(str(lic))
    return None


def scanner_environment(name: str) -> tuple[str | None, str | None]:
    """(licence, version) of a package installed next to the auditor, or (None, None)."""
    from importlib import metadata

    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None, None
    except Exception:  # noqa: BLE001 - broken installed metadata is "unknown"
        return None, None
    return from_metadata(dist.metadata), dist.version


def terms(expression: str) -> list[list[str]]:
    """An SPDX-like expression as OR-alternatives of AND-terms: 'MIT OR (Apache-2.0 AND BSD)'."""
    cleaned = expression.replace("(", " ").replace(")", " ")
    alternatives = re.split(r"\s+OR\s+|\s*/\s*", cleaned, flags=re.IGNORECASE)
    out = []
    for alt in alternatives:
        parts = [canonical(p) for p in re.split(r"\s+AND\s+", alt, flags=re.IGNORECASE) if p.strip()]
        if parts:
            out.append(parts)
    return out


def _in(term: str, listed: Iterable[str]) -> bool:
    low = term.lower()
    return any(low == canonical(x).lower() for x in listed)


def verdict(expression: str, allow: Iterable[str], deny: Iterable[str]) -> str | None:
    """None when the licence satisfies the policy, else the reason. With an OR the user may pick any
    alternative; within an AND every part must be acceptable."""
    allow, deny = list(allow), list(deny)
    alternatives = terms(expression)
    if not alternatives:
        return None
    reasons = []
    for parts in alternatives:
        denied = [p for p in parts if _in(p, deny)]
        if denied:
            reasons.append(f"{' AND '.join(parts)}: denied ({', '.join(denied)})")
            continue
        if allow:
            outside = [p for p in parts if not _in(p, allow)]
            if outside:
                reasons.append(f"{' AND '.join(parts)}: not in the allow list ({', '.join(outside)})")
                continue
        return None
    return "; ".join(reasons)
