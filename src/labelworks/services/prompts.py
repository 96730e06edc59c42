"""The prompt registry: push a prompt's new version, list prompts, show a version, diff two,
render one. Prompts belong to no project: admins and managers (outside vendors) push them,
everyone signed in reads and renders them; versions are immutable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from labelworks.domain.access import Actor
from labelworks.domain.errors import (
    Conflict,
    InvalidInput,
    InvalidPrompt,
    Location,
    NotFound,
    PermissionDenied,
)
from labelworks.domain.prompts import (
    TEMPLATE_SUFFIXES,
    PromptContent,
    check_prompt_name,
    may_push_prompts,
    parse_prompt,
    prompt_diff,
    prompt_from_dict,
    prompt_from_template,
    render_prompt,
)
from labelworks.formats.json_input import load_json
from labelworks.services.access import a_role
from labelworks.storage import prompts as prompt_store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.prompts import PromptRow, PromptSummary

__all__ = [
    "PromptDetail",
    "PromptDiff",
    "PromptRow",
    "PromptSummary",
    "Pushed",
    "Rendered",
    "diff_prompt",
    "list_prompts",
    "load_prompt_file",
    "prompt_detail",
    "prompt_from_upload",
    "push_prompt",
    "render",
    "show_prompt",
]

_ATTEMPTS = 5  # pushes of one name racing for its next version number
MAX_PROMPT_BYTES = 1_000_000


def load_prompt_file(path: Path) -> PromptContent:
    """A prompt file: a plain template (``.txt``, ``.j2``, ``.jinja``, ``.jinja2``, its
    variables the names it reads) or YAML (any other name)."""
    where = Location(file=str(path))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidPrompt(f"cannot read it ({exc.strerror})", location=where) from None
    if len(raw) > MAX_PROMPT_BYTES:
        raise InvalidPrompt(f"over the {MAX_PROMPT_BYTES:,} byte limit", location=where)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidPrompt(f"not valid UTF-8 (byte {exc.start})", location=where) from None
    if path.suffix.lower() in TEMPLATE_SUFFIXES:
        return prompt_from_template(text, source=str(path))
    return parse_prompt(text, source=str(path))


def prompt_from_upload(body: bytes, *, json: bool, source: str) -> PromptContent:
    """An uploaded prompt: a JSON object when ``json``, else YAML text."""
    if json:
        try:
            data = load_json(body, source=source)
        except InvalidInput as exc:
            raise InvalidPrompt(exc.message, location=exc.location) from None
        return prompt_from_dict(data, source=source)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = Location(file=source)
        raise InvalidPrompt(f"{source} is not UTF-8 (byte {exc.start})", location=where) from None
    return parse_prompt(text, source=source)


@dataclass(frozen=True, slots=True)
class Pushed:
    """The version a push left latest, and whether the push made it (``False``: the
    content was the latest version's already)."""

    row: PromptRow
    created: bool


def push_prompt(
    db: Database, name: str, content: PromptContent, *, actor: Actor | None = None
) -> Pushed:
    """Make ``content`` the prompt's next version, unless the latest holds the same."""
    check_prompt_name(name)
    if not may_push_prompts(actor):
        assert actor is not None
        who = "a vendor's staff" if actor.vendor is not None else a_role(actor.role)
        raise PermissionDenied(f"{who} may not push prompts; admins and managers do")
    for _ in range(_ATTEMPTS):
        try:
            with db.write() as conn:
                latest = prompt_store.version_of(conn, name, None)
                if latest is not None and latest.content_hash == content.content_hash:
                    return Pushed(latest, created=False)
                row = prompt_store.add_version(
                    conn,
                    name,
                    1 if latest is None else latest.version + 1,
                    content,
                    now=utcnow(),
                    created_by=None if actor is None else actor.email,
                )
            return Pushed(row, created=True)
        except IntegrityError:
            continue  # another push took the number: read the latest again
    raise Conflict(f"prompt '{name}' is being pushed by others; try again")


def list_prompts(db: Database, *, actor: Actor | None = None) -> list[PromptSummary]:
    """Every prompt by name with its latest version and how many it has."""
    with db.read() as conn:
        return prompt_store.summaries(conn)


def show_prompt(
    db: Database, name: str, version: int | None = None, *, actor: Actor | None = None
) -> PromptRow:
    """Version ``version`` of the prompt (``None``: the latest)."""
    check_prompt_name(name)
    with db.read() as conn:
        row = prompt_store.version_of(conn, name, version)
    if row is None:
        if version is None:
            raise NotFound(f"prompt '{name}' does not exist")
        raise NotFound(f"prompt '{name}' has no version {version}")
    return row


@dataclass(frozen=True, slots=True)
class PromptDiff:
    """Version ``a`` against version ``b`` of a prompt: the unified diff of their prompt
    files (empty when they hold the same)."""

    name: str
    a: PromptRow
    b: PromptRow
    diff: str


def diff_prompt(
    db: Database, name: str, a: int, b: int, *, actor: Actor | None = None
) -> PromptDiff:
    """The diff from version ``a`` to version ``b`` (either order, or the same one)."""
    old = show_prompt(db, name, a, actor=actor)
    new = show_prompt(db, name, b, actor=actor)
    diff = prompt_diff(old.content, new.content, old_label=f"{name}@{a}", new_label=f"{name}@{b}")
    return PromptDiff(name, old, new, diff)


@dataclass(frozen=True, slots=True)
class Rendered:
    """A version of a prompt rendered: the text, and the version it came from (its
    parameters are the ones to send the text with)."""

    row: PromptRow
    text: str


def render(
    db: Database,
    name: str,
    values: Mapping[str, Any],
    version: int | None = None,
    *,
    actor: Actor | None = None,
) -> Rendered:
    """Version ``version`` (``None``: the latest) rendered with ``values``, which must give
    exactly its variables."""
    row = show_prompt(db, name, version, actor=actor)
    return Rendered(row, render_prompt(row.content, values))


@dataclass(frozen=True, slots=True)
class PromptDetail:
    """One version of a prompt, and every version it has (oldest first)."""

    row: PromptRow
    versions: list[PromptRow]


def prompt_detail(
    db: Database, name: str, version: int | None = None, *, actor: Actor | None = None
) -> PromptDetail:
    """Version ``version`` (``None``: the latest) with the prompt's versions, read at once."""
    check_prompt_name(name)
    with db.read() as conn:
        versions = prompt_store.versions_of(conn, name)
    if not versions:
        raise NotFound(f"prompt '{name}' does not exist")
    chosen = (
        versions[-1]
        if version is None
        else next((v for v in versions if v.version == version), None)
    )
    if chosen is None:
        raise NotFound(f"prompt '{name}' has no version {version}")
    return PromptDetail(chosen, versions)
