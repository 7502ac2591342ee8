"""Safe YAML loading for everything the auditor reads: only plain data (no ``!!python`` tags),
a bound on aliases (alias bombs expand when walked), and errors that carry a line number."""

from __future__ import annotations

from typing import Any

import yaml

MAX_ALIASES = 200


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses documents with more than MAX_ALIASES alias references."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                event = self.peek_event()
                raise yaml.constructor.ConstructorError(
                    None, None, f"more than {MAX_ALIASES} aliases (possible alias bomb)", event.start_mark
                )
        return super().compose_node(parent, index)


def load(text: str | bytes) -> Any:
    """Load one YAML document safely. Raises yaml.YAMLError."""
    return yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - bounded SafeLoader subclass


def load_all(text: str | bytes) -> list[Any]:
    """Load every document of a multi-document stream safely. Raises yaml.YAMLError."""
    return list(yaml.load_all(text, Loader=_BoundedLoader))  # noqa: S506


def error_location(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}"
    return "unknown position"
