"""Hardened rendering: scanned text that looks like HTML, CSS or Markdown stays inert text in every
report, and the PDF renderer fetches nothing but its own packaged assets."""

from __future__ import annotations

import http.server
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdf
import pytest

from auditor import resources
from auditor.reports.html import HtmlReporter
from auditor.reports.interface import RenderContext
from auditor.reports.markdown import MarkdownReporter
from auditor.reports.pdf import AssetOnlyFetcher, make_fetcher, render_pdf
from reports.test_html import tags_of


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        _Recorder.hits.append(self.path)
        body = b"@import url(file:///etc/passwd); body { background: red }"
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Recorder.hits = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def payloads(base: str) -> list[str]:
    return [
        "<script>alert(1)</script>",
        "<img src=file:///etc/passwd>",
        f'<img src="{base}/img.png">',
        "<link rel=attachment href=file:///etc/passwd>",
        f'<link rel="stylesheet" href="{base}/link.css">',
        f"<style>@import url({base}/import.css); body {{ background: url(file:///etc/passwd) }}</style>",
        f"@import url({base}/bare.css); x {{ background: url(file:///etc/passwd) }}",
        f'"><svg onload=alert(1)><image href="{base}/svg.png"/></svg>',
        f"<iframe src={base}/frame></iframe>",
        "</pre></td></tr></table><h1 class=stage-title>FORGED</h1>",
    ]


def poisoned(sample: dict[str, Any], base: str) -> dict[str, Any]:
    bad = payloads(base)
    text = " ".join(bad)
    f = sample["findings"][0]
    f["message"] = text
    f["title"] = bad[0]
    f["location"]["snippet"] = "\n".join(bad)
    f["location"]["path"] = bad[1]
    f["status_reason"] = bad[3]
    f["properties"] = {"x<script>": bad[4]}
    sample["findings"][1]["rule_id"] = bad[5]
    sample["rules"]["GOV-RATP-002"]["remediation"] = bad[6]
    sample["target"]["project"] = bad[7]
    sample["risks"][0]["title"] = bad[8]
    sample["risks"][0]["owner"] = bad[9]
    sample["audit"]["waivers"][0]["reason"] = text
    sample["analyzers"][0]["reason"] = bad[2]
    sample["inventory"]["skipped"][0]["path"] = bad[3]
    sample["sbom"]["summary"][0]["name"] = bad[4]
    sample["gate"]["reasons"].append(bad[5])
    # the additive sections: metric gates, dataset sampling, diff base, analyzer notes, risk acceptance
    sample["metrics"][0]["metrics"][0].update(name=bad[0], threshold=bad[1])
    sample["metrics"][1].update(file=bad[2], status="error: " + bad[8])
    sample["data_audit"]["datasets"][bad[3]] = {
        "format": bad[7], "size": 10, "columns": [bad[4], bad[9]], "sampled": bad[5], "stopped": bad[6],
        "pii": [{"column": bad[0], "type": bad[1], "hits": 1, "rows": 1, "ratio": 1.0, "example": bad[2]}]}
    sample["data_audit"]["fairness_evidence"] = {"found": True, "where": bad[3], "what": bad[4]}
    sample["audit"]["diff_base"]["ref"] = bad[5]
    sample["analyzers"][0]["notes"] = [bad[6], bad[7]]
    sample["risks"][0]["status_reason"] = bad[2]
    accepted = next(r for r in sample["risks"] if r["waived"])
    accepted["waived"][0].update(approved_by=bad[0], via=bad[9], path=bad[1], until=bad[4])
    return sample


def test_html_escapes_everything(sample: dict[str, Any], server: str) -> None:
    html = HtmlReporter().render(poisoned(sample, server), RenderContext()).decode()
    tags = tags_of(html)
    names = [t for t, _ in tags]
    for bad in ("script", "img", "link", "iframe", "image"):
        assert bad not in names
    assert names.count("style") == 1  # only the packaged stylesheet
    assert names.count("svg") == 3  # only the three charts
    assert not any(k.startswith("on") for _, attrs in tags for k in attrs)
    assert html.count('class="stage-title"') == 8  # no forged heading
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;link rel=attachment href=file:///etc/passwd&gt;" in html
    assert "@import url(" in html  # present as text, inside an element, not in a <style>
    style = html.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "@import" not in style and "etc/passwd" not in style


def test_pdf_fetches_nothing_outside_the_assets(sample: dict[str, Any], server: str) -> None:
    fetcher = make_fetcher(resources.templates_dir())
    data = render_pdf(poisoned(sample, server), RenderContext(), fetcher=fetcher)
    root = resources.templates_dir().resolve().as_uri()
    assert fetcher.requested == [f"{root}/report.css"]
    assert _Recorder.hits == []
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
    assert "<script>alert(1)</script>" in text.replace("\n", "")
    assert_no_active_content(data)


def assert_no_active_content(data: bytes) -> None:
    reader = pypdf.PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    assert "/OpenAction" not in root and "/AA" not in root
    names = root.get("/Names")
    if names is not None:
        names = names.get_object()
        assert "/EmbeddedFiles" not in names and "/JavaScript" not in names
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            assert annot.get("/Subtype") != "/FileAttachment"
            action = annot.get("/A")
            if action is not None:
                action = action.get_object()
                assert action.get("/S") in (None, "/GoTo"), action  # in-document links only


def test_fetcher_is_a_second_line_of_defence(server: str, tmp_path: Path) -> None:
    """Even markup that reached WeasyPrint unescaped could fetch nothing: feed it directly."""
    import weasyprint

    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    html = f"""<html><head>
      <link rel="stylesheet" href="{server}/a.css"><link rel="stylesheet" href="{secret.as_uri()}">
      <link rel="attachment" href="file:///etc/passwd"><link rel="attachment" href="{server}/att">
      <style>@import url({server}/b.css); @import url(file:///etc/passwd);
             body {{ background: url({server}/bg.png) }} @font-face {{ font-family: x; src: url({server}/f.woff) }}</style>
      </head><body><img src="{server}/i.png"><img src="file:///etc/passwd"><img src="data:image/png;base64,iVBORw0KGgo=">
      <object data="{server}/o"></object><embed src="{server}/e"><iframe src="{server}/f"></iframe>
      <svg><image href="{server}/s.png"/></svg><p style="font-family: x">x</p></body></html>"""
    fetcher = make_fetcher(resources.templates_dir())
    doc = weasyprint.HTML(string=html, base_url=resources.templates_dir().resolve().as_uri() + "/",
                          url_fetcher=fetcher)
    data = doc.write_pdf(attachments=[])
    assert _Recorder.hits == []
    assert fetcher.requested and fetcher.refused == fetcher.requested
    assert any("etc/passwd" in u for u in fetcher.refused) and any(u.startswith("data:") for u in fetcher.refused)
    assert_no_active_content(data)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/x.css", "https://example.com/report.css", "file:///etc/passwd", "data:text/css,body{}",
    "ftp://example.com/report.css", "file://otherhost/report_templates/report.css", "javascript:alert(1)",
])
def test_fetcher_refuses(url: str) -> None:
    fetcher = AssetOnlyFetcher(resources.templates_dir())
    with pytest.raises(ValueError):
        fetcher(url)
    assert fetcher.refused == [url]


def test_fetcher_serves_only_assets_inside_the_template_folder(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "ok.css").write_text("p {}")
    (assets / "page.html.j2").write_text("{{ x }}")
    (tmp_path / "outside.css").write_text("p {}")
    (assets / "link.css").symlink_to(tmp_path / "outside.css")
    fetcher = AssetOnlyFetcher(assets)
    assert fetcher((assets / "ok.css").as_uri()).read() == b"p {}"
    for bad in [(assets / "page.html.j2").as_uri(), (tmp_path / "outside.css").as_uri(), (assets / "link.css").as_uri(),
                assets.as_uri() + "/../outside.css", (assets / "ok.css").as_uri() + "?x=1",
                (assets / "missing.css").as_uri()]:
        with pytest.raises(ValueError):
            fetcher(bad)


def test_markdown_is_inert(sample: dict[str, Any], server: str) -> None:
    doc = poisoned(sample, server)
    doc["findings"][2]["message"] = "ping @octocat, see [here](http://evil.example) | col | ![x](http://e/x.png) `x`"
    doc["findings"][2]["severity"] = "critical"
    md = MarkdownReporter().render(doc, RenderContext()).decode()
    assert "<script" not in md and "<img" not in md and "<link" not in md and "<iframe" not in md
    assert "&lt;script&gt;" in md
    assert "@octocat" not in md and "](http" not in md and "![" not in md
    # table rows keep their shape: scanned pipes are escaped
    for line in md.splitlines():
        if line.startswith("| ") and "octocat" in line:
            assert line.count("\\|") == 2
            assert line.count("|") - line.count("\\|") in (5, 6)  # 4 or 5 columns, as the header says
    allowed = {"details", "summary", "sub"}
    import re

    assert {t.lower() for t in re.findall(r"<([a-zA-Z]+)", md)} <= allowed


def test_every_format_survives_the_poisoned_document(sample: dict[str, Any], server: str) -> None:
    from auditor.reports import interface

    doc = poisoned(sample, server)
    for fmt in (interface.Format.SARIF, interface.Format.GITLAB):
        json.loads(interface.load(fmt).render(doc, RenderContext()))
    import xml.etree.ElementTree as ET

    ET.fromstring(interface.load(interface.Format.JUNIT).render(doc, RenderContext()))
