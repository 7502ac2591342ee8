"""Fuzzing (hypothesis) of every parser auditor owns: any byte string gives a result or the module's
documented error, never an unhandled exception or a hang. Inputs are random bytes and mutations
(flips, truncations, splices, insertions) of valid seeds, so the parsers get past their magic bytes.

~200 examples per parser in the default suite (a deadline per example catches hangs); the ``slow``
variants run 2000. Every crash found is kept as a regression input in tests/hostile/crashes/ and
replayed by test_crash_corpus_replays (crashes/__init__.py lists them).
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor import config as config_mod
from auditor import metricspec, notebooks, npyhead, pickleops, yamlio, zipread
from auditor.analyzers import structured
from auditor.errors import AuditorError
from auditor.modelfmt import (
    FormatError,
    gguf_templates,
    keras_issues,
    onnx_external_locations,
    safetensors_problems,
)
from auditor.ratp import plan as plan_mod
from fixtures.generators import GENERATORS
from hostile.crashes import CRASHES

FAST = settings(max_examples=200, deadline=2000, suppress_health_check=[HealthCheck.too_slow], derandomize=True,
                database=None)
SLOW = settings(max_examples=2000, deadline=5000, suppress_health_check=[HealthCheck.too_slow], database=None)


def _seed(name: str) -> bytes:
    return GENERATORS[name]()


NOTEBOOK_SEED = json.dumps({"cells": [
    {"cell_type": "code", "source": ["import os\n", "%pip install x\n", "!ls\n"], "metadata": {},
     "outputs": [{"output_type": "stream", "name": "stdout", "text": ["a@b.c\n"]},
                 {"output_type": "execute_result", "data": {"text/plain": ["1"]}}]},
    {"cell_type": "markdown", "source": "# t", "metadata": {}}], "metadata": {}, "nbformat": 4,
    "nbformat_minor": 5}).encode()
YAML_SEED = (b"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n"
             b"      containers:\n      - name: a\n        image: x:1\n        env: &e [{name: K, value: v}]\n"
             b"      - name: b\n        env: *e\n---\n!!python/object:os.system x\n")
CONFIG_SEED = (b"fail_on: high\nexclude: ['vendor/**']\nlimits: {max_file_size: 10MB, zip_max_ratio: 100}\n"
               b"metrics:\n  - file: m.json\n    thresholds: {accuracy: '>= 0.9'}\nanalyzers: {pattern: {}}\n"
               b"rules: {severity: {SECRET-AWS-001: low}, disable: [X-1]}\n")
RATP_SEED = (b"system: {name: s, owner: o}\nreviewed: 2026-01-01\ncriteria: {acceptance_threshold: 6}\nrisks:\n"
             b"  - id: R-SECRET-LEAKAGE\n    likelihood: 2\n    impact: 3\n    treatment: accept\n    owner: me\n"
             b"    approval: {by: a, role: r, date: 2026-01-01, expires: 2026-02-30}\n")
METRICS_SEEDS = (b'{"accuracy": 0.93, "fairness": {"dpd": 0.04}, "per_class": [0.9, 0.8]}',
                 b"name,value\naccuracy,0.93\nf1,nan\n", b"accuracy: 0.9\nrecall: [1, 2]\n")


@st.composite
def mutated(draw: st.DrawFn, seeds: tuple[bytes, ...]) -> bytes:
    """A seed changed by a few random edits, or plain random bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=4096))
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.integers(0, 4))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == 0 and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == 1:
            data = data[:pos]
        elif op == 2:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=64))
        elif op == 3 and data:
            end = draw(st.integers(pos, min(len(data), pos + 64)))
            data[pos:pos] = data[pos:end] * draw(st.integers(1, 50))  # repeat a run (deep nesting, long runs)
        elif op == 4 and len(data) >= 4:
            data[pos:pos + 4] = draw(st.sampled_from([b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x7f\xff\xff\xff"]))
    return bytes(data[:1 << 20])


def _tmpfile(data: bytes, suffix: str = "") -> Path:
    fd, name = tempfile.mkstemp(suffix=suffix)
    with open(fd, "wb") as fh:
        fh.write(data)
    return Path(name)


# -- the properties: each returns normally or raises only its documented error --------------------

PICKLE_SEEDS = tuple(_seed(n) for n in ("numpy_only_pickle", "pickle_sklearn_like_benign", "bypass_stack_global_memo",
                                         "bypass_stacked_streams", "legacy_torch_benign", "evil_pickle_proto0_posix",
                                         "bypass_inst_opcode"))


def check_pickle(data: bytes) -> None:
    rep = pickleops.scan_bytes(data)
    assert isinstance(rep, pickleops.ScanReport)
    # the same bytes in odd chunk sizes give the same verdict (streaming reader boundaries)
    chunks = [data[i:i + 7] for i in range(0, len(data), 7)]
    rep2 = pickleops.scan_chunks(iter(chunks))
    assert set(rep2.globals) == set(rep.globals)


ZIP_SEEDS = tuple(_seed(n) for n in ("torch_state_dict_zip", "zip_duplicate_names", "zip_local_central_mismatch",
                                      "keras_benign", "npz_object_array", "pickle_zip_payload"))


def check_zip(data: bytes) -> None:
    p = _tmpfile(data, ".zip")
    try:
        with zipread.ZipReader(p, zipread.ZipLimits(max_members=500, max_uncompressed=64 << 20)) as zr:
            for e in zr.entries[:50]:
                for _ in zr.iter_member(e, max_bytes=1 << 20):
                    pass
                zr.read_small(e, 4096)
    except zipread.ZipFormatError:
        pass
    finally:
        p.unlink()


def check_notebook(data: bytes) -> None:
    for fn in (notebooks.code_source, notebooks.outputs_text):
        try:
            fn(data)
        except notebooks.NotebookError:
            pass


def check_yaml(data: bytes) -> None:
    try:
        yamlio.load_all(data)
    except yaml.YAMLError:
        pass
    try:
        yamlio.load(data)
    except yaml.YAMLError:
        pass


def check_structured(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    for name in ("deploy.yaml", "x.json", "pyproject.toml", "charts/a/templates/d.yaml"):
        parsed = structured.parse_text(text, name)
        assert isinstance(parsed, structured.Parsed)


def check_config(data: bytes) -> None:
    p = _tmpfile(data, ".yaml")
    try:
        config_mod._load_file(p)
    except AuditorError:
        pass
    finally:
        p.unlink()


def check_ratp(data: bytes) -> None:
    p = _tmpfile(data, ".yaml")
    try:
        plan_mod.load(p, "ratp.yaml", {"R-SECRET-LEAKAGE": {}})
    except AuditorError:
        pass
    finally:
        p.unlink()


def check_metrics(data: bytes) -> None:
    for fmt, suffix in (("json", ".json"), ("yaml", ".yaml"), ("csv", ".csv")):
        p = _tmpfile(data, suffix)
        try:
            doc = metricspec.read_document(p, fmt)
            for name in ("accuracy", "fairness.dpd", "per_class.1", "a.b.c"):
                metricspec.as_number(metricspec.lookup(doc, name))
        except metricspec.MetricsReadError:
            pass
        finally:
            p.unlink()
    text = data.decode("utf-8", "replace")
    try:
        metricspec.parse_threshold("accuracy", text, "metrics[0]")
    except AuditorError:
        pass


NPY_SEEDS = tuple(_seed(n) for n in ("npy_float_benign", "npy_object_array", "npy_absurd_shape"))


def check_npy(data: bytes) -> None:
    try:
        npyhead.parse(data)
    except npyhead.NpyError:
        pass


MODEL_SEEDS = tuple(_seed(n) for n in ("safetensors_valid", "gguf_benign", "onnx_benign", "gguf_template_gadget",
                                        "onnx_external_traversal", "safetensors_overlap"))


def check_model_formats(data: bytes) -> None:
    for fn in (safetensors_problems, gguf_templates, onnx_external_locations):
        try:
            fn(io.BytesIO(data), len(data))  # type: ignore[operator]
        except FormatError:
            pass
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return
    keras_issues(doc)


TARGETS: dict[str, tuple[Callable[[bytes], None], tuple[bytes, ...]]] = {
    "pickle": (check_pickle, PICKLE_SEEDS),
    "zip": (check_zip, ZIP_SEEDS),
    "notebook": (check_notebook, (NOTEBOOK_SEED,)),
    "yaml": (check_yaml, (YAML_SEED, CONFIG_SEED, RATP_SEED)),
    "structured": (check_structured, (YAML_SEED, NOTEBOOK_SEED, b'[tool.auditor]\nfail_on = "high"\n')),
    "config": (check_config, (CONFIG_SEED,)),
    "ratp": (check_ratp, (RATP_SEED,)),
    "metrics": (check_metrics, METRICS_SEEDS),
    "npy": (check_npy, NPY_SEEDS),
    "model-formats": (check_model_formats, MODEL_SEEDS + (_seed("keras_benign"),)),
}


def _fuzz(name: str, conf: settings) -> Callable[[], None]:
    check, seeds = TARGETS[name]

    @conf
    @given(data=mutated(seeds))
    def run(data: bytes) -> None:
        check(data)

    return run


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzz_parser(name: str) -> None:
    _fuzz(name, FAST)()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzz_parser_long(name: str) -> None:
    _fuzz(name, SLOW)()


@pytest.mark.parametrize("case", sorted(CRASHES), ids=str)
def test_crash_corpus_replays(case: str) -> None:
    target, data = CRASHES[case]
    TARGETS[target][0](data)


def test_mutator_reaches_past_the_magic_bytes() -> None:
    """The seeds are valid inputs, so mutations exercise the parsers beyond their first check."""
    assert pickleops.scan_bytes(PICKLE_SEEDS[0]).ok
    with zipread.ZipReader(_keep(ZIP_SEEDS[0])) as zr:
        assert zr.entries
    assert notebooks.code_source(NOTEBOOK_SEED).code
    assert npyhead.parse(NPY_SEEDS[0])
    assert plan_mod.load(_keep(RATP_SEED.replace(b"2026-02-30", b"2026-03-01")), "ratp.yaml").risks


def _keep(data: bytes) -> Any:
    return _tmpfile(data)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_atheris_smoke(name: str, tmp_path: Path) -> None:
    """Coverage-guided: a short libFuzzer run per target when atheris is installed (it is optional)."""
    pytest.importorskip("atheris")
    import subprocess
    import sys

    harness = Path(__file__).with_name("atheris_fuzz.py")
    proc = subprocess.run([sys.executable, str(harness), name, "-atheris_runs=3000", "-max_len=8192"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
