"""Build hook: ship the top-level rules/ and report_templates/ inside the wheel.

They live at the repository top level (DESIGN.md) so that rule authors find them, and are copied into
``auditor/_data`` at build time; ``auditor.resources`` finds them in either place.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "auditor" / "_data"
        for name in ("rules", "report_templates"):
            src = HERE / name
            dst = target / name
            if dst.exists():
                shutil.rmtree(dst)
            if src.is_dir():
                shutil.copytree(src, dst)


setup(cmdclass={"build_py": BuildWithData})
