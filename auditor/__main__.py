"""`python -m auditor`. Python puts the current directory first on sys.path for -m; when that
directory is the repository being scanned, a hostile `json.py` or `yaml.py` there would be imported
instead of the real module. Drop it before anything else is imported."""

import os
import sys

_cwd = os.getcwd()
sys.path[:] = [p for p in sys.path if p not in ("", ".", _cwd)]

from auditor.cli import main  # noqa: E402

sys.exit(main())
