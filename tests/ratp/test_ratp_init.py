"""`auditor init`: .auditor.yaml with every documented key (commented), a drafted ratp.yaml, the
snippets, and never an overwrite without --force."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import yaml
from helpers import write_tree

from auditor import init_template, resources
from auditor.config import load, validate

Cli = Callable[..., tuple[int, str, str]]


def test_template_covers_every_documented_key_and_validates_uncommented() -> None:
    schema = json.loads(resources.schema_path("config.schema.json").read_text())
    keys = {e.key for e in init_template.ENTRIES}
    assert keys == set(schema["properties"])
    full = yaml.safe_load(init_template.render_config(commented=False))
    assert validate(full, "template") == full
    for key, sub in schema["properties"].items():
        if sub.get("type") == "object" and "properties" in sub:
            assert set(full[key]) == set(sub["properties"]), key
    commented = yaml.safe_load(init_template.render_config())
    assert commented == {"fail_on": "high", "ratp": "ratp.yaml"}


def test_init_writes_config_and_plan_and_prints_snippets(tmp_path: Path, ours: Path, cli: Cli) -> None:
    root = write_tree(tmp_path / "p", {"train.py": "x = 1\n"})
    rc, out, _ = cli("init", str(root), "--rules", str(ours))
    assert rc == 0
    assert "repos:" in out and "entry: auditor scan --pre-commit" in out
    assert "github/codeql-action/upload-sarif" in out and "auditor-junit.xml" in out
    cfg = load(root)
    assert cfg.path == root / ".auditor.yaml" and cfg.get("ratp") == "ratp.yaml"
    rc, text, _ = cli("ratp", "check", str(root), "--rules", str(ours))
    assert rc == 1 and "owner" in text  # valid, with the TODO owners as gaps
    assert "# metrics:" in (root / ".auditor.yaml").read_text()


def test_init_never_overwrites_without_force(tmp_path: Path, ours: Path, cli: Cli) -> None:
    root = write_tree(tmp_path / "p", {"ratp.yaml": "mine\n"})
    rc, _, err = cli("init", str(root), "--rules", str(ours))
    assert rc == 2 and "ratp.yaml" in err and "--force" in err
    assert (root / "ratp.yaml").read_text() == "mine\n" and not (root / ".auditor.yaml").exists()
    (root / "ratp.yaml").unlink()
    (root / ".auditor.yaml").write_text("fail_on: low\n")
    rc, _, err = cli("init", str(root), "--rules", str(ours))
    assert rc == 2 and ".auditor.yaml" in err and (root / ".auditor.yaml").read_text() == "fail_on: low\n"
    assert not (root / "ratp.yaml").exists()
    rc, _, _ = cli("init", str(root), "--force", "--rules", str(ours))
    assert rc == 0 and "ratp: ratp.yaml" in (root / ".auditor.yaml").read_text()
    assert (root / "ratp.yaml").read_text().startswith("# Risk Analysis and Treatment Plan")


def test_init_refuses_to_write_through_a_symlink(tmp_path: Path, ours: Path, cli: Cli) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep\n")
    root = write_tree(tmp_path / "p", {"x.py": "x = 1\n"})
    (root / "ratp.yaml").symlink_to(outside)
    rc, _, err = cli("init", str(root), "--force", "--rules", str(ours))
    assert rc == 2 and "symlink" in err and outside.read_text() == "keep\n"
