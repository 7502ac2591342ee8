"""Start-up cost control for the pre-commit path.

``jsonschema`` (which config and rule loading use) imports ``rfc3987_syntax`` when it is installed
(cyclonedx-python-lib's validation extra pulls it in) to check the ``iri`` formats; that module builds
about thirty Earley parsers at import time, ~1.3 s on every run, although auditor never validates an
``iri`` format itself. :func:`defer_rfc3987_syntax` puts a stand-in module in ``sys.modules`` whose
``is_valid_syntax`` imports the real module on its first call, so behaviour is unchanged (the SBOM
validator still checks IRIs) and only a process that actually checks one pays for it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

_NAME = "rfc3987_syntax"
_lock = threading.Lock()


def _real() -> types.ModuleType:
    with _lock:
        mod = sys.modules.get(_NAME)
        if mod is not None and not getattr(mod, "_auditor_stand_in", False):
            return mod
        sys.modules.pop(_NAME, None)
        try:
            return importlib.import_module(_NAME)
        except BaseException:
            if mod is not None:
                sys.modules[_NAME] = mod
            raise


def _is_valid_syntax(term: str, value: str) -> Any:
    return _real().is_valid_syntax(term, value)


def defer_rfc3987_syntax() -> None:
    """Install the stand-in unless the real module is already loaded, or not installed at all (then
    jsonschema's own ``ImportError`` path applies)."""
    if _NAME in sys.modules or "jsonschema" in sys.modules:
        return
    try:
        if importlib.util.find_spec(_NAME) is None:
            return
    except (ImportError, ValueError):
        return
    stand_in = types.ModuleType(_NAME, "auditor stand-in: imports rfc3987_syntax on first use")
    stand_in.is_valid_syntax = _is_valid_syntax  # type: ignore[attr-defined]
    stand_in._auditor_stand_in = True  # type: ignore[attr-defined]

    def __getattr__(attr: str) -> Any:  # any other name: load the real module
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(_real(), attr)

    setattr(stand_in, "__getattr__", __getattr__)  # noqa: B010 - PEP 562 module __getattr__
    sys.modules[_NAME] = stand_in
