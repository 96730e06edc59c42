"""Spec problems: pydantic's findings turned into messages with a file, line and field path.

Pydantic reports ``('fields', 0, 'choice', 'labels')`` and "Extra inputs are not
permitted"; users need ``fields[0].labels`` on line 6 and "unknown key 'lables' (did you
mean 'labels'?)". Custom checks raised with ``spec_error`` carry an extra sub-path in their
context (``at``), appended here.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from labelworks.domain.errors import InvalidSpec, Location
from labelworks.domain.fields import FIELD_KINDS, FIELD_MODELS, Condition, Scale
from labelworks.domain.spec_document import Path, SpecDocument

Problem = tuple[Path, str]

_LEADING = ("name", "kind")
_TRAILING = ("required", "when", "shortcuts")


def key_order(model: type[BaseModel]) -> list[str]:
    """Field attributes with name and kind first and the shared switches last."""
    names = list(model.model_fields)
    if "kind" not in names:
        return names
    middle = [n for n in names if n not in _LEADING and n not in _TRAILING]
    return [*_LEADING, *middle, *_TRAILING]


def format_path(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def described(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return repr(value)


def _data_path(loc: tuple[Any, ...], data: Any) -> Path:
    """Drop pydantic's union tags (``fields.0.choice.labels``) so paths match the YAML."""
    path: list[str | int] = []
    current = data
    for part in loc:
        is_tag = (
            len(path) == 2
            and path[0] == "fields"
            and isinstance(current, Mapping)
            and current.get("kind") == part
            and part in FIELD_KINDS
        )
        if is_tag:
            continue
        path.append(part)
        if isinstance(current, Mapping):
            current = current.get(part)
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        else:
            current = None
    return tuple(path)


def _model_at(path: Path, data: Any, root: type[BaseModel]) -> type[BaseModel] | None:
    """The model that validates the mapping at ``path``, to list its allowed keys."""
    if path == ():
        return root
    if len(path) == 2 and path[0] == "fields" and isinstance(data, Mapping):
        entries = data.get("fields")
        if isinstance(entries, list) and isinstance(path[1], int) and path[1] < len(entries):
            entry = entries[path[1]]
            kind = entry.get("kind") if isinstance(entry, Mapping) else None
            return FIELD_MODELS.get(kind) if isinstance(kind, str) else None
    if len(path) == 3 and path[0] == "fields":
        nested: dict[str, type[BaseModel]] = {"when": Condition, "strength": Scale}
        return nested.get(str(path[2]))
    return _keyed_model(path, root)


def _keyed_model(path: Path, root: type[BaseModel]) -> type[BaseModel] | None:
    """The model under a path of plain keys (``quality.acceptance.agreement``)."""
    model = root
    for part in path:
        info = model.model_fields.get(str(part))
        found = [
            t
            for t in (get_args(info.annotation) or (info.annotation,) if info else ())
            if isinstance(t, type) and issubclass(t, BaseModel)
        ]
        if len(found) != 1:
            return None
        model = found[0]
    return model


def _unknown_key_message(key: Any, model: type[BaseModel] | None) -> str:
    message = f"unknown key {key!r}"
    if model is None:
        return message
    infos = model.model_fields
    allowed = [infos[name].alias or name for name in key_order(model)]
    close = difflib.get_close_matches(str(key), allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{message}{hint}; allowed keys: {', '.join(allowed)}"


def _message(error: Any, path: Path, data: Any, root: type[BaseModel]) -> tuple[Path, str]:
    """Turn one pydantic error into (path, message)."""
    kind, ctx, got = error["type"], error.get("ctx") or {}, error.get("input")
    kinds = ", ".join(FIELD_KINDS)
    simple = {
        "int_type": "must be an integer",
        "int_parsing": "must be an integer",
        "int_from_float": "must be an integer",
        "bool_type": "must be true or false",
        "bool_parsing": "must be true or false",
        "string_type": "must be a string",
        "float_type": "must be a number",
        "float_parsing": "must be a number",
        "finite_number": "must be a finite number",
        "list_type": "must be a list",
        "dict_type": "must be a mapping",
        "model_type": "must be a mapping",
        "model_attributes_type": "must be a mapping",
    }
    if kind == "spec":
        return (*path, *ctx.get("at", [])), str(ctx["message"])
    if kind == "missing":
        return path, f"missing required key {path[-1]!r}"
    if kind == "extra_forbidden":
        return path, _unknown_key_message(path[-1], _model_at(path[:-1], data, root))
    if kind == "union_tag_invalid":
        return (*path, "kind"), f"unknown field kind {ctx['tag']!r}; valid kinds: {kinds}"
    if kind == "union_tag_not_found":
        return (*path, "kind"), f"missing required key 'kind'; valid kinds: {kinds}"
    if kind in simple:
        return path, f"{simple[kind]}, got {described(got)}"
    bounds = {
        "greater_than_equal": ("at least", "ge"),
        "less_than_equal": ("at most", "le"),
        "greater_than": ("greater than", "gt"),
        "less_than": ("less than", "lt"),
    }
    if kind in bounds:
        word, key = bounds[kind]
        bound = ctx[key]
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)  # "at most 1", not "at most 1.0", for a float setting
        return path, f"must be {word} {bound}, got {described(got)}"
    if kind == "literal_error":
        return path, f"must be {ctx['expected']}, got {described(got)}"
    return path, str(error["msg"])


def located_error(
    problems: list[Problem], doc: SpecDocument | None, source: str, *, line: int | None = None
) -> InvalidSpec:
    """One InvalidSpec for the earliest problem, listing all of them in ``details``.

    Lines come from ``doc`` when given, else ``line`` applies to every problem.
    """
    located = [
        (doc.line_of(path) if doc is not None else line, format_path(path) or None, message)
        for path, message in problems
    ]
    # Python's sort is stable, so problems on one line keep pydantic's order.
    located.sort(key=lambda item: (item[0] is None, item[0] or 0))
    line, field, message = located[0]
    details = {"errors": [{"line": ln, "field": fd, "message": ms} for ln, fd, ms in located]}
    return InvalidSpec(
        message, location=Location(file=source, line=line, field=field), details=details
    )


def problems_from(exc: ValidationError, data: Any, root: type[BaseModel]) -> list[Problem]:
    """Every error of a failed ``root.model_validate(data)`` as (path, message)."""
    return [_message(error, _data_path(error["loc"], data), data, root) for error in exc.errors()]
