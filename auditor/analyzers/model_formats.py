"""Model formats other than raw pickle: Keras v3 and legacy HDF5 configs, .npy/.npz headers,
safetensors headers, GGUF chat templates, ONNX external data. Headers only, bounded, never loaded.

The pickle inside an object-dtype array is scanned by the pickle analyzer (MODEL-PICKLE-*); here the
object dtype itself is reported (MODEL-NPY-001). Zip structure problems are reported by the pickle
analyzer too (MODEL-ZIP-*), so they are not repeated here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor import modelfmt, npyhead
from auditor.analyzers.interface import AnalysisContext, AnalyzerOutput, BaseAnalyzer
from auditor.model import Asset, RawFinding, Rule
from auditor.zipread import ZipFormatError, ZipReader, limits_from

CHECKS = ("keras-lambda", "keras-foreign-module", "keras-unsafe-toggle", "npy-object", "format-malformed",
          "safetensors-disguised", "safetensors-header", "gguf-template", "onnx-external-path")
MAX_CONFIG = 16 * 1024**2
H5_NEEDLES = (b'"class_name": "Lambda"', b'"class_name":"Lambda"', b"enable_unsafe_deserialization")


@dataclass
class _Out:
    rules: dict[str, Rule]
    asset: Asset
    findings: list[RawFinding] = field(default_factory=list)

    def add(self, check: str, message: str, key: str, severity: str | None = None,
            snippet: str | None = None) -> None:
        rule = self.rules.get(check)
        if rule is None:
            return
        self.findings.append(RawFinding(rule_id=rule.id, path=self.asset.path, message=message,
                                        severity=severity, kind=self.asset.kind, fingerprint_key=key,
                                        snippet=snippet))


def h5py_available() -> bool:
    try:
        import h5py  # noqa: F401
    except ImportError:
        return False
    return True


class ModelFormatAnalyzer(BaseAnalyzer):
    name = "model-format"
    kinds = frozenset({"model", "data"})
    match_schema: dict[str, Any] = {
        "type": "object", "additionalProperties": False, "required": ["check"],
        "properties": {"check": {"enum": list(CHECKS)}},
    }

    def analyze(self, ctx: AnalysisContext, assets: Sequence[Asset], rules: Sequence[Rule]) -> AnalyzerOutput:
        by_check = {str(r.match.get("check")): r for r in rules}
        limits = limits_from(dict(ctx.config))
        findings: list[RawFinding] = []
        notes: list[str] = []
        files = 0
        for asset in assets:
            out = _Out(by_check, asset)
            fmt = asset.format
            low = asset.path.lower()
            try:
                if low.endswith(".safetensors") and fmt != "safetensors":
                    self._disguised(out, fmt)
                elif fmt == "safetensors":
                    self._safetensors(out)
                elif fmt == "keras-v3" or (fmt in ("zip", "pickle-zip") and low.endswith(".keras")):
                    self._keras_zip(out, limits)
                elif fmt == "hdf5":
                    note = self._hdf5(out)
                    if note:
                        notes.append(note)
                elif fmt == "npy":
                    self._npy_file(out)
                elif fmt == "npz":
                    self._npz(out, limits)
                elif fmt == "gguf":
                    self._gguf(out)
                elif fmt == "onnx":
                    self._onnx(out)
                else:
                    continue
            except OSError as exc:
                out.add("format-malformed", f"cannot read the file: {exc.strerror}", key="oserror")
            files += 1
            findings.extend(out.findings)
        return AnalyzerOutput(findings=findings, files=files, notes=notes)

    # -- safetensors --------------------------------------------------------------------------------
    def _disguised(self, out: _Out, fmt: str | None) -> None:
        with out.asset.abspath.open("rb") as fh:
            head = fh.read(16)
        if fmt is None and len(head) >= 8:
            self._safetensors(out)  # looks like nothing else: judge it as a (broken) safetensors file
            return
        what = {"pickle": "a pickle", "pytorch-zip": "a PyTorch zip archive", "zip": "a zip archive",
                "pickle-zip": "a zip of pickles", "npy": "a NumPy array", "hdf5": "an HDF5 file",
                "gguf": "a GGUF file"}.get(fmt or "", f"a {fmt or 'non-safetensors'} file")
        out.add("safetensors-disguised", f"named .safetensors but the bytes are {what}; loaders that "
                                         f"dispatch on content will deserialize it", key=f"disguised:{fmt}")

    def _safetensors(self, out: _Out) -> None:
        with out.asset.abspath.open("rb") as fh:
            problems = modelfmt.safetensors_problems(fh, out.asset.size)
        for p in problems[:20]:
            out.add("safetensors-header", f"invalid safetensors header: {p}", key=p[:120])

    # -- keras ------------------------------------------------------------------------------------
    def _keras_zip(self, out: _Out, limits: Any) -> None:
        try:
            with ZipReader(out.asset.abspath, limits) as zr:
                entry = next((e for e in zr.entries if e.name == "config.json"), None)
                if entry is None:
                    out.add("format-malformed", "Keras archive without config.json", key="keras-noconfig")
                    return
                raw = zr.read_small(entry, MAX_CONFIG)
        except ZipFormatError:
            return  # reported by the pickle analyzer (MODEL-ZIP-005)
        if raw is None:
            out.add("format-malformed", f"config.json larger than {MAX_CONFIG} bytes: not verified",
                    key="keras-config-size")
            return
        self._keras_config(out, raw, "config.json")

    def _keras_config(self, out: _Out, raw: bytes, where: str) -> None:
        try:
            doc = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            out.add("format-malformed", f"{where} is not valid JSON: the model config was not verified",
                    key="keras-json")
            return
        for issue in modelfmt.keras_issues(doc):
            out.add(issue.check, issue.message, key=issue.key, severity=issue.severity)

    def _hdf5(self, out: _Out) -> str | None:
        if h5py_available():
            import h5py

            try:
                with h5py.File(out.asset.abspath, "r") as h5:
                    cfg = h5.attrs.get("model_config")
            except (OSError, ValueError) as exc:
                out.add("format-malformed", f"HDF5 file cannot be opened: {exc}", key="h5-open")
                return None
            if cfg is None:
                return None
            raw = cfg if isinstance(cfg, bytes) else str(cfg).encode()
            self._keras_config(out, raw, "model_config")
            return None
        # without h5py: a byte search for the JSON the Keras HDF5 writer stores uncompressed
        found = _byte_search(out.asset, H5_NEEDLES)
        if b'"class_name": "Lambda"' in found or b'"class_name":"Lambda"' in found:
            out.add("keras-lambda", "Lambda layer found by byte search in the HDF5 model config "
                                    "(install aiml-auditor[h5] for a full check)", key="h5-lambda")
        if b"enable_unsafe_deserialization" in found:
            out.add("keras-unsafe-toggle", "enable_unsafe_deserialization found in the HDF5 model",
                    key="h5-toggle")
        return (f"{out.asset.path}: HDF5 model checked by byte search only; h5py is not installed "
                f"(pip install 'aiml-auditor[h5]')")

    # -- numpy ------------------------------------------------------------------------------------
    def _npy_file(self, out: _Out) -> None:
        with out.asset.abspath.open("rb") as fh:
            head = fh.read(npyhead.MAX_HEADER + 16)
        self._npy_head(out, head, out.asset.size, None)

    def _npy_head(self, out: _Out, head: bytes, size: int, member: str | None) -> None:
        where = f"{member}: " if member else ""
        try:
            hdr = npyhead.parse(head)
        except npyhead.NpyError as exc:
            out.add("format-malformed", f"{where}invalid .npy header: {exc}", key=f"{member}|npy")
            return
        if hdr.has_object:
            out.add("npy-object", f"{where}array of dtype {hdr.descr!r} with shape {hdr.shape}: its data is "
                                  f"a pickle (np.load(allow_pickle=True) executes it)", key=f"{member}|object",
                    snippet=str(hdr.descr)[:80])
        elif hdr.data_bytes is not None and hdr.data_offset + hdr.data_bytes > size:
            out.add("format-malformed", f"{where}shape {hdr.shape} of {hdr.descr!r} needs {hdr.data_bytes} "
                                        f"bytes but only {size - hdr.data_offset} follow the header",
                    key=f"{member}|npy-size")

    def _npz(self, out: _Out, limits: Any) -> None:
        try:
            with ZipReader(out.asset.abspath, limits) as zr:
                for entry in zr.entries:
                    if not entry.name.endswith(".npy") or zr.readable(entry) is not None:
                        continue
                    head = b"".join(zr.iter_member(entry, npyhead.MAX_HEADER + 16))
                    self._npy_head(out, head, entry.usize, entry.name)
        except ZipFormatError:
            return

    # -- gguf / onnx --------------------------------------------------------------------------------
    def _gguf(self, out: _Out) -> None:
        try:
            with out.asset.abspath.open("rb") as fh:
                templates = modelfmt.gguf_templates(fh, out.asset.size)
        except modelfmt.FormatError as exc:
            out.add("format-malformed", f"GGUF metadata cannot be parsed: {exc}; chat templates were not "
                                        f"verified", key="gguf")
            return
        for key, tpl in templates:
            gadgets = modelfmt.template_gadgets(tpl)
            if gadgets:
                out.add("gguf-template", f"{key} contains Jinja sandbox-escape gadgets: "
                                         f"{', '.join(gadgets[:8])}", key=f"{key}|{','.join(gadgets)}",
                        snippet=tpl[:200])

    def _onnx(self, out: _Out) -> None:
        try:
            with out.asset.abspath.open("rb") as fh:
                locs = modelfmt.onnx_external_locations(fh, out.asset.size)
        except modelfmt.FormatError as exc:
            out.add("format-malformed", f"ONNX protobuf cannot be parsed: {exc}; external data was not "
                                        f"verified", key="onnx")
            return
        for tensor, loc in locs:
            why = modelfmt.location_escapes(loc)
            if why:
                out.add("onnx-external-path", f"tensor '{tensor[:80]}' reads external data from "
                                              f"'{loc[:200]}': {why}", key=f"{tensor}|{loc}", snippet=loc[:200])


def _byte_search(asset: Asset, needles: tuple[bytes, ...]) -> set[bytes]:
    found: set[bytes] = set()
    overlap = max(len(n) for n in needles)
    tail = b""
    with asset.abspath.open("rb") as fh:
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                break
            buf = tail + chunk
            for n in needles:
                if n in buf:
                    found.add(n)
            tail = buf[-overlap:]
    return found
