"""The prompt registry on the wire: prompts, versions, pushes, diffs and renderings."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from labelworks.schemas.api import UtcDatetime


class PromptSummaryOut(BaseModel):
    """A prompt in the list: its latest version with that version's description, how many
    versions it has, and when the latest was pushed."""

    name: str
    latest: int
    versions: int
    description: str
    updated_at: UtcDatetime


class PromptVersionOut(BaseModel):
    """One version without its template: number, description, content hash, when and by
    whom it was pushed (``None``: from the command line)."""

    version: int
    description: str
    content_hash: str
    created_at: UtcDatetime
    created_by: str | None


class PromptContentOut(PromptVersionOut):
    """One version of a prompt whole: the template, ``variables`` ({name: description, ""
    when undescribed}), the model ``parameters`` given, and ``yaml``, the prompt file it
    reads back from."""

    name: str
    template: str
    variables: dict[str, str]
    parameters: dict[str, Any]
    yaml: str


class PromptOut(PromptContentOut):
    """A version of a prompt with the prompt's ``latest`` version number and
    ``versions``, every version oldest first."""

    latest: int
    versions: list[PromptVersionOut]


class PushedOut(PromptContentOut):
    """The version a push left latest; ``created`` is false when the latest version held
    the same content already (nothing was written)."""

    created: bool


class PromptDiffOut(BaseModel):
    """Version ``a`` against version ``b``: the unified diff of their prompt files (empty
    when they hold the same), and how many lines it adds and removes."""

    name: str
    a: PromptVersionOut
    b: PromptVersionOut
    diff: str
    added: int
    removed: int


class RenderIn(BaseModel):
    """A rendering: the version (latest when left out) and a value for each variable."""

    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(None, ge=1, le=2**31 - 1)
    variables: dict[str, Any] = Field(default_factory=dict)


class RenderOut(BaseModel):
    """The rendered text, the version it came from, and that version's parameters (what
    to send the text with)."""

    name: str
    version: int
    text: str
    parameters: dict[str, Any]
