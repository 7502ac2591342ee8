"""Coverage-guided fuzzing with atheris (libFuzzer) of the same parsers as test_fuzz.py, reusing its
check functions: any input must return or raise the parser's documented error.

atheris is not a project dependency (it installs from a binary wheel on CPython 3.8-3.11 x86_64, but
not everywhere); run by hand:

    pip install atheris
    python tests/hostile/atheris_fuzz.py pickle -atheris_runs=200000 -max_len=65536

A crash is written by libFuzzer as ``crash-<sha1>``: add its bytes to tests/hostile/crashes/__init__.py.
test_atheris_smoke (in test_fuzz.py) runs each target briefly when atheris is importable.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parents[2])]


def main(argv: list[str]) -> None:
    import atheris

    with atheris.instrument_imports(include=["auditor"]):
        from hostile.test_fuzz import TARGETS

    name = argv[1]
    check, seeds = TARGETS[name]

    def one(data: bytes) -> None:
        check(data)

    corpus = Path(f"/tmp/atheris-{name}")
    corpus.mkdir(exist_ok=True)
    for i, s in enumerate(seeds):
        (corpus / f"seed{i}").write_bytes(s)
    atheris.Setup([argv[0], *argv[2:], str(corpus)], one)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
