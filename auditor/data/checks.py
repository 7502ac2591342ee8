"""One function per ``match.check`` of the ``data`` analyzer: (run, rule) -> raw findings."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from auditor import notebooks
from auditor.analyzers import textutil
from auditor.config import parse_size
from auditor.data import fairness, pii, provenance, sources
from auditor.data.run import DEFAULT_LARGE, DEFAULT_PROVENANCE_IGNORE, Dataset, Run, glob_any
from auditor.data.tables import human_size
from auditor.model import Asset, RawFinding, Rule


def _pct(ratio: float) -> str:
    return f"{ratio * 100:.1f}%" if ratio < 0.995 else "100%"


def check_pii(run: Run, rule: Rule) -> Iterator[RawFinding]:
    wanted = set(rule.match["pii"])
    min_hits = int(rule.match.get("min_hits", 1))
    min_ratio = float(rule.match.get("min_ratio", 0.0))
    for ds in run.datasets:
        if ds.sample is None:
            continue
        for col in ds.pii:
            if col.kind not in wanted or col.hits < min_hits or col.ratio < min_ratio:
                continue
            sampled = ds.sample.describe()
            yield RawFinding(
                rule_id=rule.id, path=ds.path, kind="data",
                message=(f"Column '{col.column}' holds {pii.LABELS[col.kind]}: {col.hits} of {col.rows} "
                         f"sampled rows ({_pct(col.ratio)}), e.g. {col.example}. Sampled: {sampled}."),
                snippet=f"{col.column}: {col.example}",
                fingerprint_key=f"{col.column}|{col.kind}",
                properties={"column": col.column, "pii_type": col.kind, "hits": col.hits, "rows": col.rows,
                            "ratio": round(col.ratio, 4), "example": col.example, "sampled": sampled},
            )


def check_pii_notebook(run: Run, rule: Rule) -> Iterator[RawFinding]:
    wanted = set(rule.match["pii"])
    min_hits = int(rule.match.get("min_hits", 1))
    for asset in run.assets:
        if asset.kind != "notebook":
            continue
        run.seen.add(asset.path)
        try:
            outputs = notebooks.outputs_text(asset.abspath.read_bytes(), limit=run.sample_bytes)
        except (OSError, notebooks.NotebookError) as exc:
            run.notes.append(f"{asset.path}: outputs not scanned: {exc}")
            continue
        found: dict[str, tuple[list[int], int, str]] = {}
        for cell, text in outputs:
            for hit in pii.scan_text(text):
                if hit.kind not in wanted:
                    continue
                cells, count, example = found.get(hit.kind, ([], 0, hit.redacted))
                if cell not in cells:
                    cells.append(cell)
                found[hit.kind] = (cells, count + 1, example)
        for kind, (cells, count, example) in sorted(found.items()):
            if count < min_hits:
                continue
            shown = ", ".join(str(c) for c in cells[:10]) + (" ..." if len(cells) > 10 else "")
            yield RawFinding(
                rule_id=rule.id, path=asset.path, kind="notebook", cell=cells[0],
                message=(f"Outputs of cell(s) {shown} show {pii.LABELS[kind]} ({count} value(s)), "
                         f"e.g. {example}. Clear the outputs before committing."),
                snippet=example, fingerprint_key=f"outputs|{kind}",
                properties={"pii_type": kind, "cells": cells[:50], "count": count, "example": example},
            )


def check_not_verified(run: Run, rule: Rule) -> Iterator[RawFinding]:
    for ds in run.datasets:
        if ds.problem is None:
            continue
        yield RawFinding(
            rule_id=rule.id, path=ds.path, kind="data",
            message=(f"Dataset {ds.path} ({human_size(ds.asset.size)}) was not verified for personal data, "
                     f"protected attributes or label balance: {ds.problem}."),
            fingerprint_key="not-verified", properties={"reason": ds.problem},
        )


def _protected(run: Run, ds: Dataset) -> list[tuple[str, str]]:
    if ds.sample is None:
        return []
    out = []
    for column in ds.sample.columns:
        attr = fairness.protected_attribute(column, run.protected_extra)
        if attr is not None:
            out.append((column, attr))
    return out


def check_protected(run: Run, rule: Rule) -> Iterator[RawFinding]:
    flagged = [(ds, cols) for ds in run.datasets if (cols := _protected(run, ds))]
    if not flagged:
        return
    ev = run.evidence
    run.extra_sections["fairness_evidence"] = (
        {"found": True, "where": ev.where, "what": ev.what} if ev.found else {"found": False})
    if ev.found:
        return
    for ds, cols in flagged:
        shown = ", ".join(f"'{c}' ({a})" if c.lower() != a else f"'{c}'" for c, a in cols[:12])
        yield RawFinding(
            rule_id=rule.id, path=ds.path, kind="data",
            message=(f"Protected attribute column(s) {shown} in {ds.path}, and no fairness evidence in the "
                     "repository: no fairlearn/aif360 import, no fairness report file, no fairness "
                     "metric threshold in the configuration."),
            snippet=", ".join(c for c, _ in cols[:12]),
            fingerprint_key="protected|" + ",".join(sorted(c for c, _ in cols)),
            properties={"columns": [c for c, _ in cols], "attributes": sorted({a for _, a in cols})},
        )


def check_imbalance(run: Run, rule: Rule) -> Iterator[RawFinding]:
    for ds in run.datasets:
        sample = ds.sample
        if sample is None or not sample.columns:
            continue
        column = fairness.label_column(sample.columns, run.label_columns)
        if column is None:
            continue
        result = fairness.imbalance(column, sample.values(sample.columns.index(column)))
        if result is None or result.ratio <= run.imbalance_ratio:
            continue
        counts = ", ".join(f"{k!r}: {n}" for k, n in result.counts[:10])
        yield RawFinding(
            rule_id=rule.id, path=ds.path, kind="data",
            message=(f"Label column '{column}' is imbalanced {result.ratio:.1f}:1 (majority/minority, limit "
                     f"{run.imbalance_ratio:g}:1) in {sample.describe()}; class counts {counts}."),
            snippet=f"{column}: {counts}", fingerprint_key=f"imbalance|{column}",
            properties={"column": column, "ratio": round(result.ratio, 3),
                        "counts": dict(result.counts[:50]), "sampled": sample.describe()},
        )


def _provenance_datasets(run: Run) -> Iterator[Dataset]:
    ignore = tuple(run.setting("provenance_ignore", DEFAULT_PROVENANCE_IGNORE))
    for ds in run.datasets:
        if ds.asset.size == 0 or glob_any(ignore, ds.path):
            continue
        yield ds


def check_datasheet(run: Run, rule: Rule) -> Iterator[RawFinding]:
    for ds in _provenance_datasets(run):
        if provenance.find_cards(ds.path, run.index, run.dvc_outs):
            continue
        folder = ds.path.rpartition("/")[0] or "."
        yield RawFinding(
            rule_id=rule.id, path=ds.path, kind="data",
            message=(f"No datasheet or dataset card for {ds.path}: looked for DATASHEET.md, datasheet*.md or "
                     f"dataset_card.md in {folder} and above, a README.md in {folder}, a .dvc sidecar and "
                     "a dvc.yaml output."),
            fingerprint_key="no-datasheet",
        )


def check_datasheet_fields(run: Run, rule: Rule) -> Iterator[RawFinding]:
    required = ("source", "license")
    for ds in _provenance_datasets(run):
        cards = provenance.find_cards(ds.path, run.index, run.dvc_outs)
        if not cards:
            continue
        fields: set[str] = set()
        for card in cards:
            fields |= provenance.card_fields(provenance.read_text(run.root / card.path))
        missing = [f for f in required if f not in fields]
        if not missing:
            continue
        names = ", ".join(c.path for c in cards)
        what = " and ".join("a licence" if m == "license" else "a source" for m in missing)
        yield RawFinding(
            rule_id=rule.id, path=ds.path, kind="data",
            message=(f"The dataset card(s) of {ds.path} ({names}) name no {what.replace('a ', '')}: "
                     f"add {what} (a heading or a key such as 'Source:' / 'License:')."),
            fingerprint_key="card-missing|" + ",".join(missing),
            properties={"cards": [c.path for c in cards], "missing": missing},
        )


_ARCHIVE_EXT = (".zip", ".tar", ".tgz", ".gz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".lz4")


def _binary_artifact(asset: Asset) -> bool:
    """Models and datasets, and archives or binaries of other kinds (a zipped dataset)."""
    if asset.kind in ("model", "data"):
        return True
    return asset.kind == "other" and (asset.format in ("zip", "binary") or asset.path.lower().endswith(_ARCHIVE_EXT))


def check_large_binary(run: Run, rule: Rule) -> Iterator[RawFinding]:
    limit = parse_size(run.setting("large_file_size", rule.match.get("max_size", DEFAULT_LARGE)))
    for asset in run.assets:
        if asset.size <= limit or not _binary_artifact(asset):
            continue
        run.seen.add(asset.path)
        if provenance.lfs_tracked(asset.path, run.lfs_rules) or provenance.is_lfs_pointer(asset.abspath):
            continue
        if provenance.dvc_tracked(asset.path, run.index, run.dvc_outs):
            continue
        yield RawFinding(
            rule_id=rule.id, path=asset.path, kind=asset.kind,
            message=(f"{asset.path} ({human_size(asset.size)}, over {human_size(limit)}) is in the repository "
                     "without Git LFS (no filter=lfs pattern in .gitattributes matches it) or DVC (no .dvc "
                     "sidecar or dvc.yaml output): it bloats history and has no integrity record."),
            fingerprint_key="large-binary", properties={"size": asset.size, "limit": limit},
        )


_QUERY_SECRET = re.compile(r"(?i)([?&][^=&\s]*(?:token|key|sig|signature|secret|password|auth|credential)[^=&\s]*=)"
                           r"[^&\s'\"]+")


def _mask_command(cmd: str) -> str:
    """A shell command with URL passwords, token-shaped strings and secret query values masked."""
    return _QUERY_SECRET.sub(r"\1****", textutil.mask_known_tokens(cmd))


def check_notebook_download(run: Run, rule: Rule) -> Iterator[RawFinding]:
    for asset in run.assets:
        if asset.kind != "notebook":
            continue
        run.seen.add(asset.path)
        try:
            src = notebooks.code_source(asset.abspath.read_bytes())
        except (OSError, notebooks.NotebookError):
            continue
        downloads = provenance.shell_downloads(src.shell_lines)
        if not downloads:
            continue
        text = src.code + "\n".join(cmd for _, _, cmd in src.shell_lines)
        if provenance.mentions_checksum(text):
            continue
        for cell, line, tool, cmd in downloads:
            shown = _mask_command(cmd)[:240]
            yield RawFinding(
                rule_id=rule.id, path=asset.path, kind="notebook", cell=cell, start_line=line,
                message=(f"`!{tool}` downloads data or weights in cell {cell} and the notebook never verifies "
                         "a checksum (sha256sum, hashlib, ...): a swapped or corrupted file goes unnoticed."),
                snippet=f"!{shown}", fingerprint_key=f"download|{shown}",
            )


def check_credentials(run: Run, rule: Rule) -> Iterator[RawFinding]:
    patterns = tuple(rule.match.get("files") or sources.DEFAULT_FILES)
    for asset in run.assets:
        if asset.kind not in ("config", "other", "data") or not glob_any(patterns, asset.path):
            continue
        run.seen.add(asset.path)
        text = provenance.read_text(asset.abspath, 1024 * 1024)
        if "\x00" in text[:8192]:
            continue
        for cred in sources.find_credentials(text):
            yield RawFinding(
                rule_id=rule.id, path=asset.path, kind=asset.kind, start_line=cred.line, end_line=cred.line,
                message=(f"Literal credential ({cred.key}) in data-source configuration {asset.path} "
                         f"line {cred.line}: {cred.redacted}. Anyone with read access to the repository "
                         "can reach the data source."),
                snippet=textutil.mask_known_tokens(cred.snippet), fingerprint_key=f"{cred.key}|{cred.snippet}",
            )


CHECKS: dict[str, Callable[[Run, Rule], Iterator[RawFinding]]] = {
    "pii": check_pii,
    "pii-notebook": check_pii_notebook,
    "not-verified": check_not_verified,
    "protected-attributes": check_protected,
    "label-imbalance": check_imbalance,
    "datasheet": check_datasheet,
    "datasheet-fields": check_datasheet_fields,
    "large-binary": check_large_binary,
    "notebook-download": check_notebook_download,
    "datasource-credentials": check_credentials,
}
