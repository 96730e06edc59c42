"""The YAML text of a project spec: loading with line numbers, and writing it back.

Specs are read with YAML 1.2 scalars (only ``true``/``false`` are booleans, no timestamps),
so ``labels: [yes, no]`` stays two strings instead of YAML 1.1's ``[True, False]``, and a
date-like description stays text. The composed node tree is kept so that a validation
error's field path can be mapped back to a 1-based line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from labelworks.domain.json_value import decode_failure

Path = tuple[str | int, ...]

_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MERGE_TAG = "tag:yaml.org,2002:merge"


# A spec is a few hundred nodes; these bounds leave room for thousands of labels while an
# alias bomb (a few hundred bytes that expand to billions of nodes) or a document nested
# thousands deep is refused as it is read, long before it costs memory, time or recursion.
MAX_DEPTH = 50
MAX_NODES = 200_000


class _SpecLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans, no implicit timestamps, and bounded expansion.

    Each composed node records its expanded size (an alias counts the whole node it
    refers to, as the loaded data will); composing stops once a node nests deeper than
    ``MAX_DEPTH`` or expands beyond ``MAX_NODES``.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            return super().compose_node(parent, index)
        mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise SpecSyntaxError(f"the spec nests more than {MAX_DEPTH} levels deep", _line(mark))
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        size = 1
        if isinstance(node, SequenceNode):
            size += sum(self._sizes.get(id(child), 1) for child in node.value)
        elif isinstance(node, MappingNode):
            size += sum(
                self._sizes.get(id(k), 1) + self._sizes.get(id(v), 1) for k, v in node.value
            )
        if size > MAX_NODES:
            raise SpecSyntaxError(
                f"the spec expands to more than {MAX_NODES:,} values (aliases included)",
                _line(mark),
            )
        self._sizes[id(node)] = size
        return node


def _line(mark: Any) -> int | None:
    return None if mark is None else int(mark.line) + 1


_SpecLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_SpecLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class _SpecDumper(yaml.SafeDumper):
    """SafeDumper that writes multi-line text as ``|`` blocks and short scalar lists inline."""


# PyYAML writes these unescaped but reads them back as line breaks; quoting escapes them.
_UNSAFE_BREAKS = ("\x85", "\u2028", "\u2029")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style: str | None = None
    if any(ch in value for ch in _UNSAFE_BREAKS):
        style = '"'
    elif "\n" in value:
        style = "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    inline = bool(value) and all(
        isinstance(item, int | float | bool) or (isinstance(item, str) and "\n" not in item)
        for item in value
    )
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=inline)


_SpecDumper.add_representer(str, _represent_str)
_SpecDumper.add_representer(list, _represent_list)


class SpecSyntaxError(Exception):
    """The text is not valid YAML; ``line`` is 1-based when PyYAML knows it."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class SpecDocument:
    """Parsed YAML data together with the node tree it came from."""

    data: Any
    root: Node | None

    def line_of(self, path: Path) -> int | None:
        """1-based line of the deepest node on ``path`` (the key's line for mapping keys)."""
        node = self.root
        if node is None:
            return None
        line = node.start_mark.line + 1
        for part in path:
            if isinstance(node, MappingNode):
                match = _entry(node, part)
                if match is None:
                    break
                key, node = match
                line = key.start_mark.line + 1
            elif isinstance(node, SequenceNode) and isinstance(part, int):
                if not 0 <= part < len(node.value):
                    break
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        return line

    def duplicate_keys(self) -> list[tuple[Path, int]]:
        """Keys written twice in one mapping: (path, line of the first). YAML keeps the last."""
        if self.root is None:
            return []
        return list(_duplicates(self.root, ()))


def _entry(node: MappingNode, part: str | int) -> tuple[Node, Node] | None:
    found: tuple[Node, Node] | None = None
    for key, value in node.value:
        if isinstance(key, ScalarNode) and key.value == str(part):
            found = (key, value)  # the last one wins, as in the loaded data
    return found


def _duplicates(node: Node, path: Path) -> Iterator[tuple[Path, int]]:
    if isinstance(node, MappingNode):
        first_line: dict[str, int] = {}
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.tag != _MERGE_TAG:
                line = key.start_mark.line + 1
                if key.value in first_line:
                    yield (*path, key.value), first_line[key.value]
                else:
                    first_line[key.value] = line
                yield from _duplicates(value, (*path, key.value))
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicates(item, (*path, index))


def load_document(text: str) -> SpecDocument:
    """Parse YAML text into data and nodes, or raise ``SpecSyntaxError`` with the line."""
    try:
        loader = _SpecLoader(text)  # the reader refuses unprintable characters (a NUL) here
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise SpecSyntaxError(
            f"invalid YAML: unacceptable character #x{exc.character:04x}: {exc.reason}", line
        ) from exc
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecSyntaxError(f"invalid YAML: {problem}", mark.line + 1 if mark else None) from exc
    except yaml.YAMLError as exc:
        raise SpecSyntaxError(f"invalid YAML: {exc}", None) from exc
    except ValueError as exc:  # a scalar no Python value can hold, e.g. 5,000 digits
        raise SpecSyntaxError(f"invalid YAML: {decode_failure(exc)}", None) from exc
    finally:
        loader.dispose()
    return SpecDocument(data=data, root=root)


def dump_document(data: dict[str, Any]) -> str:
    """Write plain data as block YAML, keeping the key order given."""
    return yaml.dump(
        data, Dumper=_SpecDumper, sort_keys=False, allow_unicode=True, default_flow_style=False
    )
