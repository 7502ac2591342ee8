"""`make demo`: scan the bundled demo repository, write every report, say where they are.

The demo repository fails its gate on purpose (it has planted problems in every stage); the demo
itself succeeds when the scan ends with exactly that verdict.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from auditor.cli import main as cli_main

OUTPUTS = ("results.json", "report.html", "report.pdf", "results.sarif", "junit.xml", "summary.md",
           "gl-code-quality.json", "bom.cdx.json")


def run(demo: Path, out: Path, vuln_db: str | None) -> int:
    out.mkdir(parents=True, exist_ok=True)
    args = ["scan", str(demo), *[a for name in OUTPUTS for a in ("-o", str(out / name))]]
    if vuln_db and Path(vuln_db).exists():
        args += ["--vuln-db", vuln_db]
    elif vuln_db:
        print(f"demo: no offline vulnerability database at {vuln_db}; pip-audit will use its online services",
              file=sys.stderr)
    rc = cli_main(args)
    results = out / "results.json"
    if not results.exists():
        print(f"demo: the scan wrote no results (exit {rc})", file=sys.stderr)
        return 1
    doc = json.loads(results.read_text())
    open_findings = [f for f in doc["findings"] if f["status"] == "open"]
    print()
    print(f"demo: scanned {doc['inventory']['files']} files of {demo}: {len(open_findings)} open findings, "
          f"{len(doc['findings']) - len(open_findings)} suppressed/waived/baselined")
    print("demo: stages: " + ", ".join(f"{s['id']}={s['status']}" for s in doc["stages"]))
    print("demo: reports:")
    for name in OUTPUTS:
        p = out / name
        if p.exists():
            print(f"  {p}  ({p.stat().st_size:,} bytes)")
    if rc == 1:
        print("demo: the demo repository FAILED its gate with exit 1, as planted: that is the expected result.")
        return 0
    print(f"demo: expected the gate to fail with exit 1, got exit {rc}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("demo", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--vuln-db")
    ns = parser.parse_args(argv)
    return run(ns.demo, ns.out, ns.vuln_db)


if __name__ == "__main__":
    sys.exit(main())
