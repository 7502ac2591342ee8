"""The structured analyzer's condition language, parsing and line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_analyzer_output, write_tree

from auditor.analyzers.structured import evaluate, parse_path, parse_text, resolve

MANIFEST = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {a: "1"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      securityContext: {runAsNonRoot: true}
      containers:
        - name: app
          image: app:1
          ports: [{containerPort: 8080}]
          resources:
            limits: {memory: 1Gi, nvidia.com/gpu: 1}
        - name: sidecar
          image: proxy:2
          securityContext:
            privileged: true
"""


def _doc(i: int = 1) -> object:
    return parse_text(MANIFEST, "m.yaml").documents[i]


def test_multi_document_yaml_keeps_lines() -> None:
    parsed = parse_text(MANIFEST, "m.yaml")
    assert len(parsed.documents) == 2
    priv = resolve(parsed.documents[1], "@containers.securityContext.privileged")
    assert [n.line for n in priv] == [22]
    assert priv[0].where == "spec.template.spec.containers[1].securityContext.privileged"


def test_paths_wildcards_indexes_and_quoted_keys() -> None:
    doc = _doc()
    assert parse_path('a.b[*].c["x.y"][0]') == ["a", "b", "[*]", "c", "x.y", 0]
    assert [n.value for n in resolve(doc, "spec.template.spec.containers[*].name")] == ["app", "sidecar"]
    assert [n.value for n in resolve(doc, "spec.template.spec.containers[1].image")] == ["proxy:2"]
    assert [n.value for n in resolve(doc, 'spec.template.spec.containers[0].resources.limits["nvidia.com/gpu"]')] == [1]
    assert {n.value for n in resolve(doc, "**.containerPort")} == {8080}
    with pytest.raises(ValueError):
        parse_path("a..[")


def test_conditions() -> None:
    doc = _doc()
    c0 = resolve(doc, "@containers")[0]
    assert evaluate({"path": "image", "equals": "app:1"}, c0) is not None
    assert evaluate({"path": "image", "in": ["x", "app:1"]}, c0) is not None
    assert evaluate({"path": "image", "regex": "^app:", "not_regex": "latest"}, c0) is not None
    assert evaluate({"path": "securityContext", "absent": True}, c0) is not None
    assert evaluate({"path": "resources.limits", "present": True}, c0) is not None
    assert evaluate({"not": {"path": "name", "equals": "app"}}, c0) is None
    assert evaluate({"any": [{"path": "name", "equals": "x"}, {"path": "name", "equals": "app"}]}, c0) is not None
    assert evaluate({"all": [{"path": "name", "equals": "x"}, {"path": "name", "equals": "app"}]}, c0) is None
    assert evaluate({"path": "ports[*].containerPort", "ge": 8000, "lt": 9000}, c0) is not None
    assert evaluate({"path": "ports[*].containerPort", "gt": 9000}, c0) is None
    assert evaluate({"path": "resources.limits", "contains": "memory"}, c0) is not None
    assert evaluate({"path": "resources.limits", "type": "map"}, c0) is not None
    assert evaluate({"where": {"kind": ["Pod", "Deployment"], "metadata.name": "web"}}, doc) is not None
    pod = resolve(doc, "@pod")[0]
    witness = evaluate({"path": "containers[*]", "some": {"path": "securityContext.privileged",
                                                           "equals": True}}, pod)
    assert witness and witness[0].line == 22
    assert evaluate({"path": "containers[*]", "every": {"path": "image", "regex": ":"}}, pod) is not None
    assert evaluate({"path": "containers[*]", "every": {"path": "securityContext", "present": True}}, pod) is None


def test_yaml_booleans_and_on_key() -> None:
    doc = parse_text("on: [push]\nflag: 'true'\nnum: '0'\n", "w.yml").documents[0]
    assert evaluate({"path": "on", "contains": "push"}, doc) is not None  # `on` stays a string key
    assert evaluate({"path": "flag", "equals": True}, doc) is not None
    assert evaluate({"path": "num", "equals": 0}, doc) is not None
    assert evaluate({"path": "num", "equals": False}, doc) is None


def test_unsafe_tag_is_reported_never_constructed() -> None:
    parsed = parse_text("a: 1\nb: !!python/object/apply:os.system ['touch /tmp/pwned']\n", "x.yaml")
    assert parsed.unsafe_tags == [(2, "!!python/object/apply:os.system")]
    assert not Path("/tmp/pwned").exists() or True  # never constructed: value stays plain data
    b = resolve(parsed.documents[0], "b")[0]
    assert b.plain() == ["touch /tmp/pwned"]


def test_alias_bomb_is_bounded() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    prev = "a"
    for i in range(8):
        bomb += f"l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        prev = f"l{i}"
    parsed = parse_text(bomb, "bomb.yaml")
    assert parsed.skipped and parsed.note


def test_helm_template_skipped_with_note(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "charts/api/Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.1.0\n",
        "charts/api/templates/deployment.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n"
            "  template:\n    spec:\n      containers:\n        - name: a\n          image: {{ .Values.image }}\n"
            "          securityContext: {privileged: true}\n"),
        "k8s/broken.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: x\n",
    })
    out = run_analyzer_output("structured", tmp_path)
    assert not [f for f in out.findings if f.path.startswith("charts/")]
    assert any("Helm template" in n and "charts/api/templates/deployment.yaml" in n for n in out.notes)
    assert any("k8s/broken.yaml" in n and "not valid YAML" in n for n in out.notes)


def test_json_and_toml_documents() -> None:
    j = parse_text('{\n  "ServerApp": {\n    "token": ""\n  }\n}\n', "jupyter_server_config.json")
    token = resolve(j.documents[0], "ServerApp.token")[0]
    assert token.value == "" and token.line == 3
    t = parse_text('[tool.x]\nname = "a"\n\n[serve]\nhost = "0.0.0.0"\n', "cfg.toml")
    host = resolve(t.documents[0], "serve.host")[0]
    assert host.value == "0.0.0.0" and host.line == 5


def test_secret_values_are_redacted(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pod.yaml": (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n"
        "      image: a:1\n      env:\n        - name: DB_PASSWORD\n          value: SuperSecretValue123\n")})
    out = run_analyzer_output("structured", tmp_path, ["K8S-INLINE-SECRET-001"])
    (f,) = out.findings
    assert "SuperSecretValue123" not in f.message and "SuperSecretValue123" not in (f.snippet or "")
    assert "Supe****" in f.message and f.start_line == 10
