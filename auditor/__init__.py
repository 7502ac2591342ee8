"""auditor: a security scanning and compliance auditor for AI/ML repositories."""

import os as _os
import sys as _sys

# `python -m auditor` run inside the repository being scanned: Python put the current directory first
# on sys.path and imports this package before __main__.py runs, so a hostile threading.py or typing.py
# there would be imported by our own imports below. Drop it before importing anything (argv[0] is "-m"
# only while -m locates the module). os and sys are loaded at interpreter start, never from the path.
if _sys.argv[:1] == ["-m"]:
    _cwd = _os.getcwd()
    _sys.path[:] = [p for p in _sys.path if p not in ("", ".", _cwd)]

from auditor._lazy import defer_rfc3987_syntax as _defer

__version__ = "0.1.0"

# keep a ~1.3 s import out of every start-up (pre-commit runs this on each commit); see _lazy.py
_defer()
