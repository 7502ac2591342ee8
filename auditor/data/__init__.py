"""Data checks used by the ``data`` analyzer: personal data detection (``pii``), bounded table
sampling (``tables``), fairness and balance (``fairness``), provenance and hygiene (``provenance``),
and credentials in data-source configuration (``sources``).

Everything here reads bytes and text with bounds; nothing from the scanned tree is executed,
imported or unpickled, and a raw personal value never leaves these modules unredacted.
"""
