"""Every output format of one scan as text, for grepping: the files written with -o (PDF as text
through pypdf) and the text printed on standard output."""

from __future__ import annotations

import io
from pathlib import Path

# one name per format; the extension decides the format (auditor/reports/interface.py)
ALL_OUTPUTS = ("r.json", "r.sarif", "r.xml", "r.md", "r.html", "r.pdf", "code-quality.json", "bom.cdx.json")


def pdf_text(path: Path) -> str:
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def texts(outputs: dict[str, Path], stdout: str) -> dict[str, str]:
    out = {"stdout": stdout}
    for name, p in outputs.items():
        out[name] = pdf_text(p) if name.endswith(".pdf") else p.read_text("utf-8")
    return out
