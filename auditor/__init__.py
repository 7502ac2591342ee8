"""auditor: a security scanning and compliance auditor for AI/ML repositories."""

__version__ = "0.1.0"
