"""Asset kinds by name; content sniffing (``sniff``) refines and overrides where bytes say more."""

from __future__ import annotations

import fnmatch
import re

MODEL_EXT = (
    ".pt", ".pth", ".pkl", ".pickle", ".joblib", ".dill", ".sav", ".ckpt", ".h5", ".hdf5", ".keras",
    ".onnx", ".safetensors", ".gguf", ".ggml", ".tflite", ".pb", ".mlmodel", ".npy", ".npz",
    ".msgpack", ".model", ".bin", ".mar", ".llamafile",
)
DATA_EXT = (
    ".csv", ".tsv", ".jsonl", ".ndjson", ".parquet", ".arrow", ".feather", ".avro", ".orc",
    ".tfrecord", ".xlsx", ".xls",
)
DOC_EXT = (".md", ".rst", ".adoc", ".pdf", ".txt", ".html")
CONFIG_EXT = (".yaml", ".yml", ".json", ".toml", ".ini", ".cfg", ".conf", ".properties", ".env")

DEPENDENCY_NAMES = (
    "pyproject.toml", "poetry.lock", "uv.lock", "pipfile", "pipfile.lock", "pylock.toml", "setup.cfg",
    "environment.yml", "environment.yaml", "conda.yaml", "conda.yml",
)
_REQ = re.compile(r"^(requirements|constraints)([-_.\w]*)\.(txt|in)$|^requirements/.+\.(txt|in)$")
_PYLOCK = re.compile(r"^pylock\.[\w-]+\.toml$")
PIPELINE_GLOBS = (
    ".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml", "*.gitlab-ci.yml",
    ".circleci/config.yml", "azure-pipelines.yml", "jenkinsfile", "bitbucket-pipelines.yml",
    ".github/actions/*/action.yml", "action.yml", "action.yaml", ".buildkite/*.yml",
)
_COMPOSE = re.compile(r"^(docker-)?compose([-.\w]*)?\.ya?ml$")
_DOCKERFILE = re.compile(r"^(dockerfile|containerfile)([-.\w]*)?$|\.dockerfile$")


def kind_by_name(rel_path: str) -> tuple[str, str | None]:
    """(kind, format) from the path alone. ``rel_path`` uses forward slashes."""
    low = rel_path.lower()
    name = low.rsplit("/", 1)[-1]
    if name.endswith(".py") or name.endswith(".pyi"):
        return "python", None
    if name.endswith(".ipynb"):
        return "notebook", None
    if _REQ.match(name) or _REQ.match(low.rsplit("/", 2)[-2] + "/" + name if "/" in low else name):
        return "dependency", "requirements"
    if name in DEPENDENCY_NAMES or _PYLOCK.match(name):
        return "dependency", name
    if _DOCKERFILE.search(name):
        return "container", "dockerfile"
    if _COMPOSE.match(name):
        return "container", "compose"
    for pattern in PIPELINE_GLOBS:
        if fnmatch.fnmatch(low, pattern) or fnmatch.fnmatch(name, pattern):
            return "pipeline", "github-actions" if ".github/" in low or name.startswith("action.") else "ci"
    if name.endswith((".tf", ".tfvars", ".hcl")) or name.endswith(".tf.json"):
        return "iac", "terraform"
    if "/templates/" in f"/{low}" and name.endswith((".yaml", ".yml", ".tpl")) and "chart" in low:
        return "iac", "helm-template"
    if name == "chart.yaml":
        return "iac", "helm-chart"
    if name.endswith(MODEL_EXT):
        return "model", None
    if name.endswith(DATA_EXT):
        return "data", name.rsplit(".", 1)[-1]
    if name.endswith(CONFIG_EXT) or name in (".env", "config.properties") or name.startswith(".env."):
        return "config", None
    if name.endswith(DOC_EXT) or name in ("license", "notice", "readme", "authors", "codeowners"):
        return "doc", None
    return "other", None


MODEL_FORMATS = frozenset({
    "pickle", "pytorch-zip", "keras-v3", "npz", "pickle-zip", "hdf5", "npy", "safetensors", "gguf",
    "tflite", "onnx",
})


def refine(kind: str, fmt: str | None, sniffed: str | None) -> tuple[str, str | None]:
    """Combine the name-based kind with the sniffed format: bytes win for model formats."""
    if sniffed in MODEL_FORMATS:
        if kind == "data" and sniffed in ("npy", "npz"):
            return "data", sniffed
        return "model", sniffed
    if sniffed == "zip" and kind == "model":
        return "model", "zip"
    if kind == "model" and sniffed is None and fmt is None:
        return "model", None
    return kind, fmt or (sniffed if sniffed not in (None, "binary") else fmt)


def yaml_kind(text_head: str) -> tuple[str, str] | None:
    """A YAML config that is really a Kubernetes manifest (apiVersion + kind)."""
    if re.search(r"(?m)^apiVersion:\s*\S+", text_head) and re.search(r"(?m)^kind:\s*\S+", text_head):
        return "iac", "kubernetes"
    return None
