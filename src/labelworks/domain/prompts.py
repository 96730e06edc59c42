"""Prompt documents: a Jinja2 template with its declared variables and model parameters.

A prompt file is YAML (read like a spec: YAML 1.2 scalars, bounded aliases, errors with
their line)::

    description: Judge whether an answer is faithful to its source
    variables:                     # a list of names, or a mapping name -> description
      source: the text the answer must stay faithful to
      answer: the model's answer
    parameters: {model: gpt-judge, temperature: 0, max_tokens: 5, stop: ["\\n"]}
    template: |
      Source: {{ source }}
      Answer: {{ answer }}
      Is the answer faithful? Reply yes or no.

or a plain template (``.txt``, ``.j2``, ``.jinja``, ``.jinja2``) whose variables are the
names it reads. The variables the template reads must be exactly the declared ones: one it
reads but does not declare, or one declared but never read, is an error naming it. A
version's content is its template, variables, parameters and description; its hash says
whether a push changes anything.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from yaml.nodes import MappingNode, ScalarNode

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import InvalidInput, InvalidPrompt, Location
from labelworks.domain.fields import spec_error
from labelworks.domain.prompt_templates import (
    GLOBALS,
    TemplateProblem,
    render_template,
    used_variables,
)
from labelworks.domain.spec_diff import unified_diff
from labelworks.domain.spec_document import (
    Path,
    SpecDocument,
    SpecSyntaxError,
    dump_document,
    load_document,
)
from labelworks.domain.spec_problems import Problem, described, located_error, problems_from

PROMPT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
TEMPLATE_SUFFIXES = (".txt", ".j2", ".jinja", ".jinja2")
MAX_TEMPLATE_CHARS = 100_000
MAX_DESCRIPTION_CHARS = 2_000
MAX_VARIABLES = 100
MAX_VERSION = 2**31 - 1  # a 32-bit column on PostgreSQL


class PromptParameters(BaseModel):
    """The model parameters a prompt is meant to be sent with; each optional."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    model: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    max_tokens: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    top_p: Annotated[float, Field(ge=0, le=1)] | None = None
    stop: (
        Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=16)]
        | None
    ) = None
    seed: Annotated[int, Field(ge=0, le=MAX_VERSION)] | None = None


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    description: Annotated[str, Field(max_length=MAX_DESCRIPTION_CHARS)] = ""
    variables: Any
    parameters: PromptParameters = Field(default_factory=PromptParameters)
    template: Annotated[str, Field(max_length=MAX_TEMPLATE_CHARS)]

    @field_validator("template")
    @classmethod
    def _some_text(cls, value: str) -> str:
        if not value.strip():
            raise spec_error("the template is empty")
        return value

    @field_validator("variables")
    @classmethod
    def _variables(cls, value: Any) -> dict[str, str]:
        if isinstance(value, list):
            pairs = [(name, "") for name in value]
        elif isinstance(value, Mapping):
            pairs = list(value.items())
        else:
            raise spec_error(
                f"must be a list of names or a mapping of name to description, got "
                f"{described(value)}"
            )
        if len(pairs) > MAX_VARIABLES:
            raise spec_error(f"at most {MAX_VARIABLES} variables, got {len(pairs)}")
        out: dict[str, str] = {}
        for index, (name, about) in enumerate(pairs):
            at = index if isinstance(value, list) else str(name)
            if not isinstance(name, str) or not VARIABLE_NAME.match(name):
                raise spec_error(
                    f"variable name {name!r} must be a letter or '_' then up to 63 letters, "
                    "digits or '_'",
                    at,
                )
            if name in GLOBALS:
                raise spec_error(f"{name!r} is a name every template has; call it otherwise", at)
            if name in out:
                raise spec_error(f"variable {name!r} is declared twice", at)
            if not isinstance(about, str) or len(about) > 500:
                raise spec_error("a variable's description is text of at most 500 characters", at)
            out[name] = about
        return out


@dataclass(frozen=True, slots=True)
class PromptContent:
    """What one version of a prompt holds; ``variables`` maps each name to its description
    ("" when declared as a list), ``parameters`` holds only those given."""

    template: str
    variables: dict[str, str]
    parameters: dict[str, Any]
    description: str = ""

    def document(self) -> dict[str, Any]:
        """As a prompt file holds it: the short keys first, the template last."""
        out: dict[str, Any] = {}
        if self.description:
            out["description"] = self.description
        described_any = any(self.variables.values())
        out["variables"] = dict(self.variables) if described_any else list(self.variables)
        if self.parameters:
            out["parameters"] = dict(self.parameters)
        out["template"] = self.template
        return out

    def to_yaml(self) -> str:
        """The prompt file this version reads back from (``parse_prompt`` gives it again)."""
        return dump_document(self.document())

    @property
    def content_hash(self) -> str:
        """SHA-256 of the content (variables' order aside): equal content, equal hash."""
        data = {
            "template": self.template,
            "variables": self.variables,
            "parameters": self.parameters,
            "description": self.description,
        }
        text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def check_prompt_name(name: str) -> str:
    """``name`` if it is a prompt name (as project names: it goes in URLs and commands)."""
    if not PROMPT_NAME.match(name):
        raise InvalidInput(
            f"prompt name {name[:80]!r} must be 1-64 characters of lowercase letters, digits, "
            "'-' and '_', starting with a letter or digit",
            location=Location(field="name"),
        )
    return name


def parse_ref(ref: str) -> tuple[str, int | None]:
    """``NAME`` or ``NAME@VERSION`` as (name, version or ``None`` for the latest)."""
    name, at, version = ref.partition("@")
    check_prompt_name(name)
    if not at:
        return name, None
    if not version.isascii() or not version.isdigit() or not 1 <= int(version) <= MAX_VERSION:
        raise InvalidInput(
            f"{ref[:100]!r}: the version after '@' must be a positive whole number",
            location=Location(field="version"),
        )
    return name, int(version)


def may_push_prompts(actor: Actor | None) -> bool:
    """Prompts are shared by every project: admins and managers outside vendors push them
    (``None``: a trusted local operator); everyone signed in reads them."""
    if actor is None or actor.is_admin:
        return True
    return actor.role is Role.MANAGER and actor.vendor is None


def parse_prompt(text: str, *, source: str = "<prompt>") -> PromptContent:
    """A YAML prompt file; ``InvalidPrompt`` naming the file, line and field."""
    try:
        doc = load_document(text)
    except SpecSyntaxError as exc:
        error = located_error([((), exc.message)], None, source, line=exc.line)
        raise _as_prompt_error(error) from None
    return _validate(doc.data, doc, source)


def prompt_from_dict(data: Any, *, source: str = "<prompt>") -> PromptContent:
    """A prompt document already parsed (JSON from the API); errors carry no line."""
    return _validate(data, None, source)


def prompt_from_template(text: str, *, source: str = "<prompt>") -> PromptContent:
    """A plain template file: its variables are the names it reads, no parameters."""
    if len(text) > MAX_TEMPLATE_CHARS:
        raise InvalidPrompt(
            f"the template is {len(text):,} characters, over {MAX_TEMPLATE_CHARS:,}",
            location=Location(file=source),
        )
    try:
        names = used_variables(text)
    except TemplateProblem as exc:
        raise InvalidPrompt(exc.message, location=Location(file=source, line=exc.line)) from None
    clash = [n for n in names if not VARIABLE_NAME.match(n)]
    if clash:
        raise InvalidPrompt(
            f"variable name {clash[0][:80]!r} is over 64 characters", location=Location(file=source)
        )
    return PromptContent(template=text, variables=dict.fromkeys(names, ""), parameters={})


def _validate(data: Any, doc: SpecDocument | None, source: str) -> PromptContent:
    problems: list[Problem] = []
    if doc is not None:
        for path, first in doc.duplicate_keys():
            problems.append((path, f"duplicate key {path[-1]!r} (first given on line {first})"))
    if not isinstance(data, Mapping):
        shape = "is empty" if data is None else f"is {described(data)}"
        message = f"a prompt must be a mapping with 'template' and 'variables'; this one {shape}"
        raise _as_prompt_error(located_error([((), message)], doc, source))
    nul = _nul_at(data, ())
    if nul is not None:  # PostgreSQL's text cannot hold one
        problems.append((nul, "must not contain a NUL character"))
    try:
        parsed = _Document.model_validate(data)
    except ValidationError as exc:
        problems.extend(problems_from(exc, data, _Document))
    if problems:
        raise _as_prompt_error(located_error(problems, doc, source))
    content = PromptContent(
        template=parsed.template,
        variables=parsed.variables,
        parameters=parsed.parameters.model_dump(exclude_none=True),
        description=parsed.description,
    )
    _check_template(content, doc, source)
    return content


def _nul_at(value: Any, path: Path) -> Path | None:
    """The path of the first text (key or value) holding a NUL character."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items: list[tuple[Any, Any]] = []
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return (*path, key)
        found = _nul_at(item, (*path, key))
        if found is not None:
            return found
    return None


def _check_template(content: PromptContent, doc: SpecDocument | None, source: str) -> None:
    """The template parses, is safe to check, and reads exactly the declared variables."""
    try:
        used = used_variables(content.template)
    except TemplateProblem as exc:
        raise InvalidPrompt(
            f"{exc.message}{'' if exc.line is None else f' (template line {exc.line})'}",
            location=Location(file=source, line=_file_line(doc, exc.line), field="template"),
        ) from None
    undeclared = [n for n in used if n not in content.variables]
    unused = [n for n in content.variables if n not in used]
    if undeclared or unused:
        if undeclared:
            message = (
                f"the template reads {_plain(undeclared)} but 'variables' does not declare "
                f"{_them(undeclared)}"
            )
        else:
            message = (
                f"'variables' declares {_plain(unused)} but the template never reads "
                f"{_them(unused)}"
            )
        raise InvalidPrompt(
            message,
            location=Location(file=source, line=_line(doc, ("variables",)), field="variables"),
            details={"undeclared": undeclared, "unused": unused},
        )


def _them(names: list[str]) -> str:
    return "it" if len(names) == 1 else "them"


def _line(doc: SpecDocument | None, path: tuple[str, ...]) -> int | None:
    return None if doc is None else doc.line_of(path)


def _file_line(doc: SpecDocument | None, template_line: int | None) -> int | None:
    """The file line of the template's line ``template_line`` (exact for a ``|`` block;
    the key's line otherwise)."""
    if doc is None:
        return None
    key_line = doc.line_of(("template",))
    root = doc.root
    if template_line is None or key_line is None or not isinstance(root, MappingNode):
        return key_line
    for key, value in root.value:
        named = isinstance(key, ScalarNode) and key.value == "template"
        if named and isinstance(value, ScalarNode) and value.style == "|":
            return int(value.start_mark.line) + 1 + template_line
    return key_line


def _as_prompt_error(error: InvalidInput) -> InvalidPrompt:
    return InvalidPrompt(error.message, location=error.location, details=error.details)


def render_prompt(content: PromptContent, values: Mapping[str, Any]) -> str:
    """The template rendered with ``values``, which must give exactly its variables."""
    missing = [n for n in content.variables if n not in values]
    extra = sorted(n for n in values if n not in content.variables)
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {_plain(missing)}")
        if extra:
            parts.append(f"unknown {_plain(extra)}")
        declared = ", ".join(content.variables) or "none"
        raise InvalidInput(
            f"{'; '.join(parts)} (the prompt's variables: {declared})",
            location=Location(field="variables"),
            details={"missing": missing, "unknown": extra},
        )
    return render_template(content.template, values)


def _plain(names: list[str]) -> str:
    return f"variable{'s' if len(names) > 1 else ''} {', '.join(repr(n[:80]) for n in names)}"


def prompt_diff(old: PromptContent, new: PromptContent, *, old_label: str, new_label: str) -> str:
    """The unified diff of two versions' prompt files (description, variables, parameters
    and template); empty when they hold the same."""
    return unified_diff(old.to_yaml(), new.to_yaml(), old_label=old_label, new_label=new_label)
