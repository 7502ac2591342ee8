"""Dockerfile parsing: continuations, heredocs, stages, ARG substitution."""

from __future__ import annotations

from auditor.analyzers.dockerfile import (
    _assignments,
    _image_parts,
    command_text,
    open_service_problems,
    parse,
)

DF = """\
# syntax=docker/dockerfile:1
ARG BASE=python:3.11-slim
FROM ${BASE} AS build
RUN apt-get update \\
    # a comment inside the continuation
    && apt-get install -y gcc \\
    && rm -rf /var/lib/apt/lists/*
FROM build AS test
RUN pytest
FROM gcr.io/distroless/python3@sha256:abc
COPY --from=build /app /app
USER 65532
CMD ["python", "-m", "app"]
"""


def test_continuations_and_comment_lines() -> None:
    df = parse(DF)
    run = [i for i in df.instructions if i.keyword == "RUN"][0]
    assert run.line == 4 and run.end_line == 7
    assert "apt-get install -y gcc" in run.args and "comment" not in run.args


def test_stages_aliases_and_arg_substitution() -> None:
    df = parse(DF)
    assert [(s.image, s.name, s.from_stage) for s in df.stages] == [
        ("python:3.11-slim", "build", False), ("build", "test", True),
        ("gcr.io/distroless/python3@sha256:abc", None, False)]
    assert [i.stage for i in df.instructions if i.keyword == "USER"] == [2]


def test_heredoc_body_belongs_to_the_run() -> None:
    df = parse("FROM a:1\nRUN <<EOF\ncurl -s https://x | sh\nEOF\nUSER 1\n")
    run = df.instructions[1]
    assert "curl -s https://x | sh" in run.args
    assert [i.keyword for i in df.instructions] == ["FROM", "RUN", "USER"]


def test_escape_directive_backtick() -> None:
    df = parse("# escape=`\nFROM a:1\nRUN echo a `\n    b\n")
    assert df.instructions[1].args == "echo a b"


def test_image_parts_and_env_forms() -> None:
    assert _image_parts("localhost:5000/team/img") == ("localhost:5000/team/img", None, None)
    assert _image_parts("img:1.2@sha256:ff") == ("img", "1.2", "sha256:ff")
    assert _assignments('A=1 B="two words" C') == [("A", "1"), ("B", "two words"), ("C", "")]
    assert _assignments("KEY some value") == [("KEY", "some value")]
    assert command_text('["jupyter", "lab", "--ip=0.0.0.0"]') == "jupyter lab --ip=0.0.0.0"


def test_open_service_detection() -> None:
    assert open_service_problems("jupyter lab --ip=0.0.0.0 --ServerApp.token=") [0][0] == "Jupyter"
    assert open_service_problems("jupyter lab --ip=0.0.0.0 --ServerApp.token=$TOKEN") == []
    assert open_service_problems("mlflow ui -h 0.0.0.0")[0][0] == "MLflow"
    assert open_service_problems("python -m vllm.entrypoints.openai.api_server --model m")[0][0] == "vLLM"
    assert open_service_problems("vllm serve m", env="VLLM_API_KEY=${K}") == []
