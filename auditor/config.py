"""Load and validate the policy: ``--config FILE``, else ``.auditor.yaml`` / ``.auditor.yml`` at the
target root, else ``[tool.auditor]`` in its pyproject.toml. Unknown keys are errors (exit 2)."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from auditor import resources, yamlio
from auditor.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_NAMES = (".auditor.yaml", ".auditor.yml")

DEFAULT_LIMITS: dict[str, Any] = {
    "max_file_size": 50 * 1024**2,
    # per kind: text kinds are parsed whole, models and data are streamed or sampled
    "max_file_size_by_kind": {
        "python": 10 * 1024**2, "notebook": 50 * 1024**2, "config": 10 * 1024**2, "iac": 10 * 1024**2,
        "pipeline": 5 * 1024**2, "container": 2 * 1024**2, "dependency": 10 * 1024**2,
        "doc": 10 * 1024**2, "model": 64 * 1024**3, "data": 16 * 1024**3,
    },
    "max_files": 200_000,
    "max_depth": 64,
    "analyzer_timeout": 900.0,
    "zip_max_members": 10_000,
    "zip_max_ratio": 200.0,
    "zip_max_uncompressed": 8 * 1024**3,
}


@dataclass(frozen=True)
class Config:
    data: Mapping[str, Any] = field(default_factory=dict)
    path: Path | None = None
    sha256: str | None = None

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def limit(self, key: str) -> Any:
        limits = self.data.get("limits") or {}
        value = limits.get(key, DEFAULT_LIMITS[key])
        if key == "max_file_size_by_kind":
            merged = dict(DEFAULT_LIMITS[key])
            merged.update({k: parse_size(v) for k, v in (value or {}).items()})
            return merged
        if key in ("max_file_size", "zip_max_uncompressed"):
            return parse_size(value)
        return value


_SIZE = re.compile(r"^([0-9]+(?:\.[0-9]+)?) *([kmgt]?)(i?)b?$", re.IGNORECASE)


def parse_size(value: int | str) -> int:
    if isinstance(value, int):
        return value
    m = _SIZE.match(value.strip())
    if not m:
        raise ConfigError(f"size '{value}' is not a size: write e.g. 10MB or 1GiB")
    number, unit = float(m.group(1)), m.group(2).lower()
    return int(number * 1024 ** "_kmgt".index(unit or "_"))


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(resources.schema_path("config.schema.json").read_text())
    return loaded


def validate(data: Any, source: str) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the configuration must be a mapping of keys, found {type(data).__name__}")
    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(data),
                    key=lambda e: [(0, x, "") if type(x) is int else (1, 0, str(x)) for x in e.absolute_path])
    if errors:
        err = errors[0]
        where = ".".join(str(p) for p in err.absolute_path) or "(top level)"
        if err.validator == "additionalProperties":
            extra = sorted(set(err.instance) - set(err.schema.get("properties", {})), key=str)
            key = ".".join([*map(str, err.absolute_path), str(extra[0])]) if extra else where
            raise ConfigError(f"{source}: unknown key '{key}': remove it or fix its spelling "
                              f"(see `auditor init` for the documented keys)")
        raise ConfigError(f"{source}: key '{where}': {err.message}")
    for key in ("limits",):
        for sub in ("max_file_size", "zip_max_uncompressed"):
            if sub in (data.get(key) or {}):
                parse_size(data[key][sub])
    from auditor import metricspec  # metric thresholds and paths: errors name metrics[i].thresholds.<key>

    metricspec.validate_config(data, source)
    return data


def _read_yaml_config(path: Path) -> Any:
    try:
        return yamlio.load(path.read_bytes())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML at {yamlio.error_location(exc)}") from exc


def load(root: Path | None, explicit: Path | None = None) -> Config:
    """Find and validate the configuration for a scan of ``root``."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: configuration file not found (--config)")
        return _load_file(explicit)
    if root is not None and root.is_dir():
        for name in CONFIG_NAMES:
            candidate = root / name
            if candidate.is_file() and not candidate.is_symlink():
                return _load_file(candidate)
        pyproject = root / "pyproject.toml"
        if pyproject.is_file() and not pyproject.is_symlink():
            raw = pyproject.read_bytes()
            try:
                doc = tomllib.loads(raw.decode("utf-8", "replace"))
            except tomllib.TOMLDecodeError:
                return Config()  # not ours to judge here; the dependency analyzers report it
            section = doc.get("tool", {}).get("auditor")
            if section is not None:
                data = validate(section, f"{pyproject} [tool.auditor]")
                return Config(data=data, path=pyproject, sha256=hashlib.sha256(raw).hexdigest())
    return Config()


def _load_file(path: Path) -> Config:
    raw = path.read_bytes()
    if path.suffix == ".toml":
        try:
            doc = tomllib.loads(raw.decode("utf-8", "replace"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        data = doc.get("tool", {}).get("auditor", doc)
    else:
        data = _read_yaml_config(path)
    return Config(data=validate(data, str(path)), path=path, sha256=hashlib.sha256(raw).hexdigest())
