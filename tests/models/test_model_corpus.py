"""The regression corpus: one generated fixture per known bypass class, each detected with the right
rule; benign models give no finding from any model analyzer. Nothing is ever unpickled."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_analyzer, write_tree

from fixtures.generators import BENIGN, GENERATORS

# generator -> (file name in the tree, analyzer, rule ids that must all be reported, snippet that must appear)
MALICIOUS: dict[str, tuple[str, str, set[str], str | None]] = {
    "evil_pickle_os_system": ("model.pkl", "pickle", {"MODEL-PICKLE-001"}, "os.system"),
    "evil_pickle_proto0_posix": ("model.pkl", "pickle", {"MODEL-PICKLE-001"}, "posix.system"),
    "bypass_stack_global_memo": ("model.pkl", "pickle", {"MODEL-PICKLE-001"}, "builtins.exec"),
    "bypass_stack_global_long_binget": ("model.pkl", "pickle", {"MODEL-PICKLE-001"}, "subprocess.getoutput"),
    "bypass_nonunicode_stack_global": ("model.pkl", "pickle", {"MODEL-PICKLE-001"}, "os.system"),
    "bypass_stacked_streams": ("model.pkl", "pickle", {"MODEL-PICKLE-001"}, "os.system"),
    "bypass_legacy_torch_payload": ("model.pth", "pickle", {"MODEL-PICKLE-001"}, "subprocess.run"),
    "bypass_bin_extension": ("classifier.bin", "pickle", {"MODEL-PICKLE-001"}, "os.system"),
    "bypass_pip_main": ("model.pkl", "pickle", {"MODEL-PICKLE-001"}, "pip.main"),
    "bypass_torch_collect_env": ("model.pkl", "pickle", {"MODEL-PICKLE-001"}, "torch.utils.collect_env.run"),
    "bypass_functools_partial": ("model.pkl", "pickle", {"MODEL-PICKLE-001"}, "functools.partial"),
    "bypass_operator_methodcaller": ("model.pkl", "pickle", {"MODEL-PICKLE-001"}, "_operator.methodcaller"),
    "bypass_asyncio_subprocess": ("model.pkl", "pickle", {"MODEL-PICKLE-001"},
                                  "asyncio.unix_events._UnixSubprocessTransport._start"),
    "bypass_getattr_chain": ("model.pkl", "pickle", {"MODEL-PICKLE-001"}, "builtins.getattr"),
    "bypass_cprofile_runctx": ("model.pkl", "pickle", {"MODEL-PICKLE-001"}, "cProfile.runctx"),
    "bypass_ensurepip_run_pip": ("model.pkl", "pickle", {"MODEL-PICKLE-001"}, "ensurepip._run_pip"),
    "bypass_pkgutil_resolve_name": ("model.pkl", "pickle", {"MODEL-PICKLE-001"}, "pkgutil.resolve_name"),
    "bypass_importlib_import_module": ("model.pkl", "pickle", {"MODEL-PICKLE-001"}, "importlib.import_module"),
    "bypass_runpy": ("model.pkl", "pickle", {"MODEL-PICKLE-001"}, "runpy._run_code"),
    "bypass_dotted_module_attribute": ("model.pkl", "pickle", {"MODEL-PICKLE-001"}, "pydoc.os.system"),
    "bypass_py2_builtin_name": ("model.pkl", "pickle", {"MODEL-PICKLE-001"}, "builtins.eval"),
    "bypass_inst_opcode": ("model.pkl", "pickle", {"MODEL-PICKLE-001"}, "subprocess.getoutput"),
    "evil_unexpected_class_called": ("model.pkl", "pickle", {"MODEL-PICKLE-003"}, "mylib.hooks.Loader"),
    "evil_unexpected_import": ("model.pkl", "pickle", {"MODEL-PICKLE-002"}, "mylib.models.Classifier"),
    "malformed_truncated": ("model.pkl", "pickle", {"MODEL-PICKLE-MALFORMED-001"}, None),
    "malformed_unknown_opcode": ("model.pkl", "pickle", {"MODEL-PICKLE-MALFORMED-001"}, None),
    "torch_zip_payload_second_stream": ("model.pt", "pickle", {"MODEL-PICKLE-001"}, "os.system"),
    "torch_zip_bad_global": ("model.pt", "pickle", {"MODEL-PICKLE-001"}, "builtins.exec"),
    "zip_local_central_mismatch": ("model.pt", "pickle", {"MODEL-ZIP-001", "MODEL-PICKLE-001"}, "os.system"),
    "zip_bad_crc": ("model.pt", "pickle", {"MODEL-ZIP-003", "MODEL-PICKLE-001"}, "os.system"),
    "zip_flag_bits": ("model.pt", "pickle", {"MODEL-ZIP-001", "MODEL-PICKLE-001"}, "os.system"),
    "zip_duplicate_names": ("model.pt", "pickle", {"MODEL-ZIP-004", "MODEL-PICKLE-001"}, "os.system"),
    "zip_bomb_ratio": ("model.pt", "pickle", {"MODEL-ZIP-002"}, None),
    "pickle_zip_payload": ("model.zip", "pickle", {"MODEL-PICKLE-001"}, "os.system"),
    "zip_nested": ("weights.bin", "pickle", {"MODEL-ZIP-005"}, None),
    "npy_object_array": ("arr.npy", "pickle", {"MODEL-PICKLE-001"}, "os.system"),
    "npz_object_array": ("arrays.npz", "pickle", {"MODEL-PICKLE-001"}, "os.system"),
    "keras_lambda": ("model.keras", "model-format", {"MODEL-KERAS-001"}, None),
    "keras_foreign_module": ("model.keras", "model-format", {"MODEL-KERAS-002"}, None),
    "keras_safe_mode_toggle": ("model.keras", "model-format", {"MODEL-KERAS-003"}, None),
    "safetensors_is_pickle": ("model.safetensors", "model-format", {"MODEL-SAFETENSORS-001"}, None),
    "safetensors_is_zip": ("model.safetensors", "model-format", {"MODEL-SAFETENSORS-001"}, None),
    "safetensors_header_too_long": ("model.safetensors", "model-format", {"MODEL-SAFETENSORS-002"}, None),
    "safetensors_overlap": ("model.safetensors", "model-format", {"MODEL-SAFETENSORS-002"}, None),
    "safetensors_bad_dtype": ("model.safetensors", "model-format", {"MODEL-SAFETENSORS-002"}, None),
    "gguf_template_gadget": ("model.gguf", "model-format", {"MODEL-GGUF-001"}, None),
    "gguf_template_lipsum": ("model.gguf", "model-format", {"MODEL-GGUF-001"}, None),
    "gguf_truncated": ("model.gguf", "model-format", {"MODEL-FORMAT-001"}, None),
    "onnx_external_traversal": ("model.onnx", "model-format", {"MODEL-ONNX-001"}, "../../etc/passwd"),
    "onnx_external_absolute": ("model.onnx", "model-format", {"MODEL-ONNX-001"}, "/etc/shadow"),
    "npy_absurd_shape": ("arr.npy", "model-format", {"MODEL-FORMAT-001"}, None),
}
# the same payloads seen through the format analyzer as well
ALSO: dict[str, tuple[str, str, set[str]]] = {
    "npy_object_array": ("arr.npy", "model-format", {"MODEL-NPY-001"}),
    "npz_object_array": ("arrays.npz", "model-format", {"MODEL-NPY-001"}),
    "safetensors_is_pickle": ("model.safetensors", "pickle", {"MODEL-PICKLE-001"}),
}
BENIGN_NAMES = {
    "numpy_only_pickle": "model.pkl", "numpy_only_pickle_p5": "weights.bin",
    "torch_state_dict_zip": "model.pt", "legacy_torch_benign": "model.pth",
    "safetensors_valid": "model.safetensors", "keras_benign": "model.keras", "gguf_benign": "model.gguf",
    "onnx_benign": "model.onnx", "npy_float_benign": "arr.npy", "pickle_sklearn_like_benign": "clf.joblib",
}


def test_corpus_is_complete() -> None:
    named = set(MALICIOUS) | set(BENIGN_NAMES)
    assert named == set(GENERATORS), set(GENERATORS) ^ named
    assert set(BENIGN) == set(BENIGN_NAMES)


def test_generators_are_deterministic() -> None:
    for name, gen in GENERATORS.items():
        assert gen() == gen(), name


@pytest.mark.parametrize("gen", sorted(MALICIOUS))
def test_malicious_detected(tmp_path: Path, gen: str) -> None:
    fname, analyzer, expected, snippet = MALICIOUS[gen]
    write_tree(tmp_path, {fname: GENERATORS[gen]()})
    findings = run_analyzer(analyzer, tmp_path)
    ids = {f.rule_id for f in findings}
    assert expected <= ids, (gen, [(f.rule_id, f.message) for f in findings])
    if snippet is not None:
        assert any(f.snippet == snippet for f in findings), [(f.rule_id, f.snippet) for f in findings]
    if gen in ALSO:
        fname2, analyzer2, expected2 = ALSO[gen]
        ids2 = {f.rule_id for f in run_analyzer(analyzer2, tmp_path)}
        assert expected2 <= ids2, (gen, ids2)


@pytest.mark.parametrize("gen", sorted(BENIGN_NAMES))
@pytest.mark.parametrize("analyzer", ["pickle", "model-format", "modelscan"])
def test_benign_clean(tmp_path: Path, gen: str, analyzer: str) -> None:
    write_tree(tmp_path, {BENIGN_NAMES[gen]: GENERATORS[gen]()})
    findings = run_analyzer(analyzer, tmp_path)
    assert not findings, [(f.rule_id, f.message) for f in findings]
