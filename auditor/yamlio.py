"""Safe YAML loading for everything the auditor reads: only plain data (no ``!!python`` tags),
a bound on aliases (alias bombs expand when walked), and errors that carry a line number."""

from __future__ import annotations

from typing import Any

import yaml

MAX_ALIASES = 200
# a few aliases can still expand exponentially (each level referring to the one before nine times:
# 72 aliases, 9**9 nodes when walked): bound the nodes that aliases add once expanded
MAX_ALIAS_EXPANSION = 100_000


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

    def compose_document(self) -> Any:
        node = super().compose_document()
        if node is not None and self._aliases and _expansion(node) > MAX_ALIAS_EXPANSION:
            raise yaml.constructor.ConstructorError(
                None, None, f"aliases expand to more than {MAX_ALIAS_EXPANSION} extra nodes (alias bomb)",
                node.start_mark)
        return node


# libyaml (when PyYAML was built with it) parses ~7x faster: the rule catalog alone is ~200 KB of YAML
# read on every start, pre-commit included. The C composer cannot be hooked per alias event, so the
# alias bound is checked on the composed node graph instead (each alias is one more edge to a node
# already seen; counting them walks every node once). Any error is re-raised by the pure-Python
# loader, so messages and marks are the same with or without libyaml.
_CLoader: Any = getattr(yaml, "CSafeLoader", None)


def _aliases(node: yaml.Node) -> int:
    seen: set[int] = set()
    count = 0
    stack = [node]
    while stack:
        nd = stack.pop()
        if id(nd) in seen:
            count += 1
            continue
        seen.add(id(nd))
        if isinstance(nd, yaml.SequenceNode):
            stack.extend(nd.value)
        elif isinstance(nd, yaml.MappingNode):
            for k, v in nd.value:
                stack.append(k)
                stack.append(v)
    return count


def _expansion(node: yaml.Node) -> int:
    """Nodes that aliases add when the document is walked as a tree (expanded size minus distinct
    nodes), computed on the graph in linear time (sizes capped at 2**40)."""
    sizes: dict[int, int] = {}
    distinct = 0
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        nd, done = stack.pop()
        key = id(nd)
        if key in sizes and not done:
            continue
        kids: list[yaml.Node] = []
        if isinstance(nd, yaml.SequenceNode):
            kids = list(nd.value)
        elif isinstance(nd, yaml.MappingNode):
            kids = [x for kv in nd.value for x in kv]
        if not done:
            sizes[key] = -1  # in progress (a recursive alias refers back to it)
            stack.append((nd, True))
            stack.extend((k, False) for k in kids if id(k) not in sizes)
            continue
        distinct += 1
        sizes[key] = min(1 + sum(max(sizes.get(id(k), 1), 1) for k in kids), 1 << 40)
    return sizes.get(id(node), 1) - distinct


def _too_many(node: yaml.Node) -> bool:
    n = _aliases(node)
    return n > MAX_ALIASES or (n > 0 and _expansion(node) > MAX_ALIAS_EXPANSION)


def _fast(text: str | bytes, many: bool) -> list[Any] | None:
    """Documents parsed with libyaml, or None to use the pure-Python loader (no libyaml, an error,
    or too many aliases - then the slow loader raises its own precise error)."""
    if _CLoader is None:
        return None
    loader = _CLoader(text)
    try:
        docs: list[Any] = []
        if many:
            while loader.check_node():
                node = loader.get_node()
                if _too_many(node):
                    return None
                docs.append(loader.construct_document(node))
        else:
            node = loader.get_single_node()
            if node is not None and _too_many(node):
                return None
            docs.append(loader.construct_document(node) if node is not None else None)
        return docs
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()


class YAMLValueError(yaml.YAMLError):
    """A value PyYAML could not construct (an impossible date such as 2026-02-30, a nesting too deep
    to compose): raised as a YAMLError so that every caller's error path names the file."""


def _guarded(fn: Any) -> Any:
    try:
        return fn()
    except yaml.YAMLError:
        raise
    except (ValueError, OverflowError, TypeError) as exc:
        raise YAMLValueError(f"a value cannot be read: {exc}") from exc
    except RecursionError as exc:
        raise YAMLValueError("nested too deeply") from exc


def load(text: str | bytes) -> Any:
    """Load one YAML document safely. Raises yaml.YAMLError (and nothing else)."""

    def run() -> Any:
        docs = _fast(text, many=False)
        if docs is not None:
            return docs[0]
        return yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - bounded SafeLoader subclass

    return _guarded(run)


def load_all(text: str | bytes) -> list[Any]:
    """Load every document of a multi-document stream safely. Raises yaml.YAMLError (and nothing else)."""

    def run() -> list[Any]:
        docs = _fast(text, many=True)
        if docs is not None:
            return docs
        return list(yaml.load_all(text, Loader=_BoundedLoader))  # noqa: S506

    result: list[Any] = _guarded(run)
    return result


def compose_all(text: str | bytes) -> list[yaml.Node]:
    """The node graphs (with line marks) of every document, composed by the bounded loader, for
    callers that report line numbers. Constructs nothing. Raises yaml.YAMLError."""
    result: list[yaml.Node] = _guarded(lambda: list(yaml.compose_all(text, Loader=_BoundedLoader)))  # noqa: S506
    return result


def error_location(exc: yaml.YAMLError) -> str:
    if isinstance(exc, YAMLValueError):
        return f"some value ({exc})"
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None)
    why = f" ({problem})" if isinstance(problem, str) and "alias" in problem else ""
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}{why}"
    return "unknown position" + why
