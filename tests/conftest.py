import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # for `fixtures.generators`

from helpers import DEMO  # noqa: E402


@pytest.fixture(scope="session")
def demo_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of fixtures/demo-repo with its binary files generated (per test worker), so
    tests never write into the checkout and see the same demo that `make demo` scans."""
    dest = tmp_path_factory.mktemp("demo") / "demo-repo"
    shutil.copytree(DEMO, dest, symlinks=True, ignore=shutil.ignore_patterns("models"))
    try:
        from fixtures.gen_demo_binaries import generate
    except ImportError:  # the generator lands with the model analyzers
        return dest
    generate(dest)
    return dest
