"""auditor: a security scanning and compliance auditor for AI/ML repositories."""

from auditor._lazy import defer_rfc3987_syntax as _defer

__version__ = "0.1.0"

# keep a ~1.3 s import out of every start-up (pre-commit runs this on each commit); see _lazy.py
_defer()
