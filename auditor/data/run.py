"""State of one ``data`` analyzer run: settings, the datasets and their samples, caches for the
repository-level lookups (fairness evidence, dataset cards, LFS and DVC tracking)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.analyzers.interface import AnalysisContext
from auditor.config import parse_size
from auditor.data import fairness, pii, provenance, tables
from auditor.model import Asset

DEFAULT_SAMPLE_ROWS = 2000
DEFAULT_SAMPLE_BYTES = 8 * 1024 * 1024
DEFAULT_IMBALANCE = 10.0
DEFAULT_LARGE = 10 * 1024 * 1024
DEFAULT_MAX_DATASETS = 10_000
PARQUET_HINT = "not scanned: install aiml-auditor[parquet]"
DATA_DIRS = frozenset({"data", "datasets", "dataset", "raw", "processed", "interim", "corpus", "corpora"})
DEFAULT_PROVENANCE_IGNORE = ("tests/**", "test/**", "**/tests/**", "**/test/**", "**/testdata/**")
_FORMAT_BY_EXT = {"csv": "csv", "tsv": "tsv", "tab": "tsv", "jsonl": "jsonl", "ndjson": "jsonl",
                  "json": "json", "parquet": "parquet", "pq": "parquet"}


@dataclass
class Dataset:
    asset: Asset
    fmt: str
    sample: tables.Sample | None = None
    problem: str | None = None  # why it could not be sampled
    pii: list[pii.ColumnPii] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.asset.path


def glob_any(patterns: Sequence[str], path: str) -> bool:
    """gitignore-style match of a relative path against any of ``patterns``."""
    return any(provenance._spec(p).match_file(path) for p in patterns)


def in_data_dir(path: str) -> bool:
    return any(part.lower() in DATA_DIRS for part in path.split("/")[:-1])


@dataclass
class Run:
    ctx: AnalysisContext
    assets: Sequence[Asset]
    sample_rows: int
    sample_bytes: int
    imbalance_ratio: float
    label_columns: tuple[str, ...]
    protected_extra: tuple[str, ...]
    paths: frozenset[str]
    datasets: list[Dataset] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    extra_sections: dict[str, Any] = field(default_factory=dict)
    _index: dict[str, list[str]] | None = None
    _dvc_outs: list[tuple[str, str]] | None = None
    _lfs: list[provenance.LfsRule] | None = None
    _evidence: fairness.Evidence | None = None

    @classmethod
    def create(cls, ctx: AnalysisContext, assets: Sequence[Asset]) -> Run:
        section: Mapping[str, Any] = ctx.config.get("data") or {}
        paths = ctx.all_paths or frozenset(a.path for a in ctx.inventory)
        return cls(
            ctx=ctx, assets=assets,
            sample_rows=int(section.get("sample_rows", DEFAULT_SAMPLE_ROWS)),
            sample_bytes=max(1024, parse_size(section.get("sample_bytes", DEFAULT_SAMPLE_BYTES))),
            imbalance_ratio=float(section.get("imbalance_ratio", DEFAULT_IMBALANCE)),
            label_columns=tuple(section.get("label_columns") or ()),
            protected_extra=tuple(section.get("protected_attributes") or ()),
            paths=frozenset(paths),
        )

    @property
    def files_seen(self) -> int:
        return len(self.seen)

    @property
    def root(self) -> Path:
        return self.ctx.root

    def setting(self, key: str, default: Any = None) -> Any:
        """``analyzers.data.<key>`` from the scan options, else from the configuration document."""
        value = self.ctx.setting("data", key)
        if value is None:
            section = (self.ctx.config.get("analyzers") or {}).get("data") or {}
            value = section.get(key)
        return default if value is None else value

    # ------------------------------------------------------------------ sampling

    def sample_all(self) -> None:
        cap = int(self.setting("max_datasets", DEFAULT_MAX_DATASETS))
        over = 0
        for asset in self.assets:
            if len(self.datasets) >= cap and asset.kind == "data":
                over += 1
                self.datasets.append(Dataset(asset, "unknown", problem=(
                    f"not sampled: more than {cap} datasets in the scan (raise analyzers.data.max_datasets)")))
                continue
            ds = self._dataset_of(asset)
            if ds is not None:
                self.datasets.append(ds)
        if over:
            self.notes.append(f"{over} dataset(s) not sampled: over analyzers.data.max_datasets ({cap})")
        self.seen.update(d.path for d in self.datasets)

    def _dataset_of(self, asset: Asset) -> Dataset | None:
        ext = asset.path.rsplit(".", 1)[-1].lower() if "." in asset.path.rsplit("/", 1)[-1] else ""
        if asset.kind == "config":
            if ext != "json" or asset.size == 0:
                return None
            return self._json_candidate(asset)
        if asset.kind != "data":
            return None
        fmt = _FORMAT_BY_EXT.get(ext, ext or "unknown")
        ds = Dataset(asset, fmt)
        if asset.size == 0:
            ds.sample = tables.Sample(asset.path, fmt, (), (), 0, 0, complete=True)
            return ds
        path = asset.abspath
        if provenance.is_lfs_pointer(path):
            ds.problem = "git-lfs pointer: the content is not in the checkout (run `git lfs pull` before the scan)"
            return ds
        if fmt not in tables.TABLE_FORMATS:
            ds.problem = f"format '{asset.format or fmt}' is not read by the data analyzer"
            return ds
        try:
            ds.sample = self._read(asset, fmt)
        except tables.ParquetUnavailable:
            ds.problem = PARQUET_HINT
            if PARQUET_HINT not in self.notes:
                self.notes.append(f"Parquet files {PARQUET_HINT}")
        except OSError as exc:
            ds.problem = f"unreadable: {exc.strerror or exc}"
        except Exception as exc:  # pyarrow raises its own error types on malformed Parquet
            if fmt != "parquet":
                raise
            ds.problem = f"unreadable Parquet file: {str(exc)[:160]}"
        if ds.sample is not None:
            self._classify(ds)
        return ds

    def _read(self, asset: Asset, fmt: str) -> tables.Sample:
        path, rel, size = asset.abspath, asset.path, asset.size
        if fmt in ("csv", "tsv"):
            return tables.read_csv(path, rel, size, self.sample_rows, self.sample_bytes,
                                   delimiter="\t" if fmt == "tsv" else None, fmt=fmt)
        if fmt == "jsonl":
            return tables.read_jsonl(path, rel, size, self.sample_rows, self.sample_bytes)
        if fmt == "json":
            return tables.read_json(path, rel, size, self.sample_rows, self.sample_bytes)
        return tables.read_parquet(path, rel, size, self.sample_rows)

    def _json_candidate(self, asset: Asset) -> Dataset | None:
        """A .json file (a config by name) that is a dataset: records in a data folder, or an array
        of objects anywhere."""
        try:
            head, _ = tables.read_prefix(asset.abspath, 4096)
        except OSError:
            return None
        if not (tables.looks_like_json_records(head) or in_data_dir(asset.path)):
            return None
        try:
            sample = tables.read_json(asset.abspath, asset.path, asset.size, self.sample_rows, self.sample_bytes)
        except OSError:
            return None
        if not sample.columns or not sample.rows:
            return None
        ds = Dataset(asset, "json", sample=sample)
        self._classify(ds)
        return ds

    def _classify(self, ds: Dataset) -> None:
        sample = ds.sample
        if sample is None:
            return
        for i, column in enumerate(sample.columns):
            ds.pii.extend(pii.classify_column(column, sample.values(i)))

    # ------------------------------------------------------------------ repository lookups

    @property
    def index(self) -> dict[str, list[str]]:
        if self._index is None:
            self._index = provenance.dir_index(self.paths)
        return self._index

    @property
    def dvc_outs(self) -> list[tuple[str, str]]:
        if self._dvc_outs is None:
            self._dvc_outs = provenance.dvc_outputs(self.root, self.paths)
        return self._dvc_outs

    @property
    def lfs_rules(self) -> list[provenance.LfsRule]:
        if self._lfs is None:
            rules: list[provenance.LfsRule] = []
            attr_files = [p for p in self.paths if p.rsplit("/", 1)[-1] == ".gitattributes"]
            for p in sorted(attr_files, key=lambda x: (x.count("/"), x))[:200]:
                rules.extend(provenance.parse_gitattributes(p.rpartition("/")[0],
                                                            provenance.read_text(self.root / p)))
            self._lfs = rules
        return self._lfs

    @property
    def evidence(self) -> fairness.Evidence:
        if self._evidence is None:
            self._evidence = fairness.find_evidence(self.root, self.paths, self.ctx.config)
        return self._evidence

    # ------------------------------------------------------------------ results section

    def sections(self) -> dict[str, Any]:
        if not self.datasets and not self.extra_sections:
            return {}
        files: dict[str, Any] = {}
        for ds in sorted(self.datasets, key=lambda d: d.path):
            entry: dict[str, Any] = {"format": ds.fmt, "size": ds.asset.size}
            if ds.sample is not None:
                entry.update(ds.sample.summary())
            if ds.problem:
                entry["problem"] = ds.problem
            if ds.pii:
                entry["pii"] = [{"column": c.column, "type": c.kind, "hits": c.hits, "rows": c.rows,
                                 "ratio": round(c.ratio, 4), "example": c.example} for c in ds.pii]
            files[ds.path] = entry
        body: dict[str, Any] = {"sample_rows": self.sample_rows, "sample_bytes": self.sample_bytes,
                                "datasets": files}
        body.update(self.extra_sections)
        return {"data_audit": body}
