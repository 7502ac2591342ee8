"""Generate the benchmark repository deterministically: a large, realistic ML project.

About 3,000 Python files of real-looking code, 30 notebooks, ~2 GB of model files across formats,
~500 MB of CSV/JSONL data, Dockerfiles, manifests and workflows. Sizes scale with ``--scale`` (1.0 is
the issue's size; tests of the harness use a tiny scale). The same seed gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
import random
import struct
import zipfile
from pathlib import Path

SEED = 20261126

IMPORTS = ["import os", "import json", "import logging", "import numpy as np", "import pandas as pd",
           "import torch", "import torch.nn as nn", "from sklearn.model_selection import train_test_split",
           "from typing import Any, Dict, List, Optional", "import yaml", "import subprocess", "import pickle",
           "from transformers import AutoModel, AutoTokenizer", "import requests", "from pathlib import Path"]
RISKY = [
    "    model = torch.load(path)",
    "    data = pickle.load(open(path, 'rb'))",
    "    cfg = yaml.load(open(path))",
    "    subprocess.call(cmd, shell=True)",
    "    tok = AutoTokenizer.from_pretrained(name, trust_remote_code=True)",
    "    arr = np.load(path, allow_pickle=True)",
    "    assert x is not None",
    "    password = 'hunter2-not-a-real-one'",
    "    r = requests.get(url, verify=False)",
]
BODY = [
    "    x = np.asarray({a}, dtype=np.float32)",
    "    logger.info('step %d loss %.4f', {a}, loss)",
    "    result = [v * {a} for v in values if v > {b}]",
    "    if len(batch) > {a}:\n        batch = batch[:{b}]",
    "    total = sum(item['score'] for item in items) / max(len(items), {a})",
    "    df = df[df['col_{a}'] > {b}].reset_index(drop=True)",
    "    out = self.layer_{a}(hidden) + residual",
    "    for epoch in range({a}):\n        loss = train_one_epoch(model, loader, optimizer)\n        scheduler.step()",
    "    with open(os.path.join(root, 'part_{a}.json')) as fh:\n        meta = json.load(fh)",
    "    params = {{'lr': 1e-{a}, 'batch_size': {b}, 'warmup': {a}{b}}}",
]


def python_file(rng: random.Random, idx: int) -> str:
    lines = [f'"""Module {idx} of the synthetic training pipeline."""', ""]
    lines += sorted(set(rng.sample(IMPORTS, rng.randint(3, 8))))
    lines += ["", "logger = logging.getLogger(__name__)", ""]
    for c in range(rng.randint(1, 3)):
        lines.append(f"class Component{idx}_{c}:")
        lines.append(f'    """A pipeline component ({c})."""')
        lines.append("")
        lines.append("    def __init__(self, size: int = 128) -> None:")
        lines.append("        self.size = size")
        for m in range(rng.randint(2, 6)):
            lines.append("")
            lines.append(f"    def step_{m}(self, values, batch, items, df, loss, hidden, residual, path, url, cmd, name):")
            for _ in range(rng.randint(3, 9)):
                body = rng.choice(BODY).format(a=rng.randint(1, 9), b=rng.randint(10, 99))
                lines.extend("    " + b for b in body.split("\n"))
            if rng.random() < 0.06:
                lines.append("    " + rng.choice(RISKY))
            lines.append("        return None")
        lines.append("")
    for f in range(rng.randint(2, 6)):
        lines.append(f"def helper_{f}(values, batch, items, df, loss, hidden, residual, path, url, cmd, name, x=None):")
        for _ in range(rng.randint(3, 10)):
            lines.extend(rng.choice(BODY).format(a=rng.randint(1, 9), b=rng.randint(10, 99)).split("\n"))
        if rng.random() < 0.06:
            lines.append(rng.choice(RISKY))
        lines.append("    return values")
        lines.append("")
    return "\n".join(lines) + "\n"


def notebook(rng: random.Random, idx: int) -> str:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": [f"# Experiment {idx}\n"]}]
    cells.append({"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
                  "source": ["!pip install transformers\n", "import pandas as pd\n", "import numpy as np\n"]})
    for c in range(12):
        src = [rng.choice(BODY).format(a=rng.randint(1, 9), b=rng.randint(10, 99)).strip() + "\n" for _ in range(6)]
        cells.append({"cell_type": "code", "metadata": {}, "execution_count": c + 2,
                      "outputs": [{"output_type": "stream", "name": "stdout", "text": [f"loss {rng.random():.4f}\n"]}],
                      "source": src})
    return json.dumps({"cells": cells, "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4,
                       "nbformat_minor": 5}, indent=1)


def _write_repeated(path: Path, block: bytes, size: int, header: bytes = b"") -> None:
    with path.open("wb") as fh:
        fh.write(header)
        written = len(header)
        while written < size:
            chunk = block[: size - written]
            fh.write(chunk)
            written += len(chunk)


def benign_pickle_large(path: Path, size: int) -> None:
    """A protocol-4 pickle of one big bytes object (what a numpy buffer looks like): opcodes are few,
    data is large — the realistic case for model weights."""
    payload_len = max(size - 64, 0)
    with path.open("wb") as fh:
        fh.write(b"\x80\x04\x95" + struct.pack("<Q", 11 + payload_len))
        fh.write(b"\x8e" + struct.pack("<Q", payload_len))  # BINBYTES8
        block = bytes(range(256)) * 4096
        left = payload_len
        while left > 0:
            n = min(left, len(block))
            fh.write(block[:n])
            left -= n
        fh.write(b"\x94.")


def torch_zip(path: Path, size: int) -> None:
    pkl = (b"\x80\x02}q\x00(X\x06\x00\x00\x00weightq\x01ctorch._utils\n_rebuild_tensor_v2\nq\x02"
           b"((X\x07\x00\x00\x00storageq\x03ctorch\nFloatStorage\nq\x04X\x01\x00\x00\x000q\x05X\x03\x00\x00\x00cpuq"
           b"\x06K\x10tq\x07QK\x00K\x10\x85q\x08K\x01\x85q\t\x89ccollections\nOrderedDict\nq\n)Rq\x0btq\x0cRq\ru.")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("archive/data.pkl", pkl)
        zf.writestr("archive/version", b"3\n")
        with zf.open("archive/data/0", "w", force_zip64=True) as member:
            block = bytes(range(256)) * 4096
            left = size
            while left > 0:
                n = min(left, len(block))
                member.write(block[:n])
                left -= n


def safetensors(path: Path, size: int) -> None:
    n = size // 4
    header = json.dumps({"w": {"dtype": "F32", "shape": [n], "data_offsets": [0, n * 4]}}).encode()
    with path.open("wb") as fh:
        fh.write(struct.pack("<Q", len(header)) + header)
        block = b"\0\0\x80?" * 65536
        left = n * 4
        while left > 0:
            k = min(left, len(block))
            fh.write(block[:k])
            left -= k


def npy(path: Path, size: int) -> None:
    n = size // 8
    header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': ({n},), }}".encode()
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    _write_repeated(path, b"\0" * 8 * 65536, n * 8, b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header)


def data_files(root: Path, rng: random.Random, scale: float) -> None:
    rows = []
    for i in range(20000):
        rows.append(f"{i},{rng.random():.6f},{rng.randint(0, 100)},user{i}@example.com,"
                    f"{rng.choice(['a', 'b', 'c'])},{rng.randint(0, 1)}\n")
    block = "".join(rows).encode()
    (root / "data").mkdir(parents=True, exist_ok=True)
    _write_repeated(root / "data" / "train.csv", block, int(400e6 * scale), b"id,feature,count,email,group,label\n")
    jl = "".join(json.dumps({"id": i, "text": f"sample text {i}", "ip": f"10.0.{i % 250}.{i % 200}"}) + "\n"
                 for i in range(20000)).encode()
    _write_repeated(root / "data" / "events.jsonl", jl, int(100e6 * scale))


def infra(root: Path) -> None:
    files = {
        "Dockerfile": "FROM python:3.11\nRUN pip install -r requirements.txt\nCOPY . /app\nCMD [\"python\", \"serve.py\"]\n",
        "deploy/k8s/deployment.yaml": ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: model}\nspec:\n"
                                       "  template:\n    spec:\n      containers:\n        - name: model\n"
                                       "          image: model:latest\n          securityContext: {privileged: true}\n"),
        ".github/workflows/ci.yml": ("on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
                                     "      - uses: actions/checkout@v4\n      - run: pytest\n"),
        "requirements.txt": "torch==1.13.0\ntransformers==4.30.0\nrequests==2.19.0\nnumpy\npyyaml==5.3\n",
        "pyproject.toml": "[project]\nname = 'bench'\nversion = '0.1'\ndependencies = ['pandas==1.5.0']\n",
        "README.md": "# Benchmark repository\n",
    }
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def generate(root: Path, scale: float = 1.0, py_files: int = 3000, notebooks: int = 30) -> None:
    rng = random.Random(SEED)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(py_files):
        p = root / "src" / f"pkg{i // 100}" / f"module_{i}.py"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(python_file(rng, i))
    for i in range(notebooks):
        p = root / "notebooks" / f"experiment_{i}.ipynb"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(notebook(rng, i))
    models = root / "models"
    models.mkdir(exist_ok=True)
    benign_pickle_large(models / "big_model.pkl", int(1e9 * scale))
    torch_zip(models / "encoder.pt", int(400e6 * scale))
    safetensors(models / "decoder.safetensors", int(300e6 * scale))
    npy(models / "embeddings.npy", int(200e6 * scale))
    for i in range(20):
        benign_pickle_large(models / f"small_{i}.pkl", int(5e6 * scale))
    data_files(root, rng, scale)
    infra(root)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("dest", type=Path)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--py-files", type=int, default=3000)
    ap.add_argument("--notebooks", type=int, default=30)
    ns = ap.parse_args()
    generate(ns.dest, ns.scale, ns.py_files, ns.notebooks)
