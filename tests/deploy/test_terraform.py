"""Terraform parsing with python-hcl2: resources and line numbers from the text."""

from __future__ import annotations

from pathlib import Path

from helpers import run_analyzer_output, write_tree

from auditor.analyzers.terraform import _exposed, parse_resources

TF = """\
# header comment

resource "aws_s3_bucket" "data" {
  bucket = "acme-data"   # { not a brace }
  tags = {
    team = "ml"
  }
}

resource "aws_sagemaker_notebook_instance" "nb" {
  name                   = "nb"
  direct_internet_access = "Enabled"
  root_access            = "Disabled"
}
"""


def test_resource_lines_from_text() -> None:
    res = {r.address: r for r in parse_resources(TF, "main.tf")}
    assert (res["aws_s3_bucket.data"].line, res["aws_s3_bucket.data"].end_line) == (3, 8)
    nb = res["aws_sagemaker_notebook_instance.nb"]
    assert nb.line == 10 and nb.attr_line("direct_internet_access") == 12
    assert nb.body["root_access"] == "Disabled"


def test_port_ranges() -> None:
    ports = (8888, 5000)
    assert _exposed(8000, 9000, "tcp", ports) == "port 8888"
    assert _exposed(0, 0, "-1", ports) == "all ports"
    assert _exposed(0, 65535, "tcp", ports) == "all ports"
    assert _exposed(443, 443, "tcp", ports) is None


def test_unparsable_hcl_is_a_note(tmp_path: Path) -> None:
    write_tree(tmp_path, {"bad.tf": 'resource "aws_s3_bucket" "x" {\n', "ok.tf": TF})
    out = run_analyzer_output("terraform", tmp_path, ["TF-SAGEMAKER-NOTEBOOK-INTERNET-001"])
    assert any("bad.tf" in n and "HCL does not parse" in n for n in out.notes)
    assert [(f.path, f.start_line) for f in out.findings] == [("ok.tf", 12)]
