"""A spec as the API takes it (``PUT /projects/{project}``, ``POST …/spec/check``): the
project it names, and the body that carries it."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from labelworks.domain.errors import InvalidSpec, Location

# The same rule as the server's spec reader: a one-line value with one of these endings
# names a Markdown file beside the spec rather than holding the Markdown itself.
_GUIDELINE_SUFFIXES = (".md", ".markdown", ".txt")

Spec = Mapping[str, Any] | str | os.PathLike[str]


@dataclass(frozen=True, slots=True)
class SpecUpload:
    name: str
    content: bytes
    content_type: str


def spec_upload(spec: Spec) -> SpecUpload:
    """``spec`` (a mapping, YAML text, or the path of a YAML file whose ``guidelines:`` may
    name a Markdown file beside it, sent inline) as a request body."""
    if isinstance(spec, Mapping):
        data: dict[str, Any] = dict(spec)
        return _as_json(_spec_name(data, "spec"), data)
    if isinstance(spec, str):
        name = _spec_name(_load_yaml(spec, "spec"), "spec")
        return SpecUpload(name, spec.encode(), "application/yaml")
    path = Path(spec)
    text = path.read_text(encoding="utf-8")
    data = _load_yaml(text, str(path))
    name = _spec_name(data, str(path))
    guidelines = data.get("guidelines")
    if isinstance(guidelines, str) and _names_a_file(guidelines):
        data["guidelines"] = (path.parent / guidelines.strip()).read_text(encoding="utf-8")
        return _as_json(name, data)
    return SpecUpload(name, text.encode(), "application/yaml")


def _as_json(name: str, data: dict[str, Any]) -> SpecUpload:
    # default=str: YAML dates and the like travel as their text, as in the file.
    return SpecUpload(name, json.dumps(data, default=str).encode(), "application/json")


def _names_a_file(guidelines: str) -> bool:
    one_line = "\n" not in guidelines and "\r" not in guidelines
    return one_line and guidelines.strip().lower().endswith(_GUIDELINE_SUFFIXES)


def _load_yaml(text: str, source: str) -> dict[str, Any]:
    """The spec as data, only to learn its name (the server validates the rest)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InvalidSpec(
            f"not valid YAML: {exc}", location=Location(file=source, line=line)
        ) from exc
    if not isinstance(data, dict):
        raise InvalidSpec("a spec is a mapping of settings", location=Location(file=source))
    return data


def _spec_name(data: Mapping[str, Any], source: str) -> str:
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidSpec("the spec needs a 'name'", location=Location(file=source, field="name"))
    return name
