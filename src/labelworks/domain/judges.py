"""LLM judges of evaluation campaigns (spec ``evaluation.judges``).

A judge is a model behind an OpenAI-compatible chat endpoint plus a judge prompt from the
registry::

    evaluation:
      models: [model-a, model-b]
      judges:
        gpt-judge:
          endpoint: https://llm.example.com/v1
          model: judge-large
          prompt: pairwise-judge@2       # NAME@VERSION, or NAME for the latest at run time
          api_key_env: OPENAI_API_KEY    # the environment variable holding the key
          temperature: 0
          concurrency: 8

On a pairwise campaign the prompt reads ``prompt``, ``response_a`` and ``response_b`` (the
two outputs in the order shown to the judge) and may read ``metadata`` (the item's metadata
without the campaign record); each item is judged twice, once with its outputs swapped, and
the verdicts are read back into the item's terms. On a rating campaign it reads ``prompt``
and ``response`` and answers a score on the judged rating field's scale.

A reply's verdict is the last ``[[A]]``, ``[[B]]`` or ``[[C]]`` (a tie; ``[[tie]]`` too) in
it, as MT-Bench's judge prompts ask (Zheng et al., 2023), or a reply that is nothing but
``A``, ``B`` or ``tie``; a score is the last ``[[N]]`` or a reply that is only the number.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from labelworks.domain.fields import spec_error

__all__ = [
    "JUDGE_NAME",
    "JudgeSpec",
    "Verdict",
    "judge_variables",
    "parse_score",
    "parse_verdict",
    "request_hash",
    "unswapped",
]

Verdict = Literal["a", "b", "tie"]
JUDGE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
MAX_JUDGES = 20
_BRACKETED = re.compile(r"\[\[\s*(a|b|c|tie)\s*\]\]", re.IGNORECASE)
_SCORE = re.compile(r"\[\[\s*(-?\d+(?:\.\d+)?)\s*\]\]")
_BARE = re.compile(r"^[\s\"'*`(]*(a|b|tie)[\s\"'*`).!]*$", re.IGNORECASE)
_BARE_SCORE = re.compile(r"^[\s\"'*`(]*(-?\d+(?:\.\d+)?)[\s\"'*`).!]*$")
_LETTERS: dict[str, Verdict] = {"a": "a", "b": "b", "c": "tie", "tie": "tie"}


def endpoint_problem(url: str) -> str | None:
    """Why ``url`` is not a chat endpoint's base URL (http or https with a host), or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host (the API's base, e.g. …/v1)"
    if parts.username or parts.password:
        return "must not hold credentials: name the key's environment variable in api_key_env"
    return None


def origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL, the port filled in; None if it has none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, parts.hostname.lower(), port or default


class JudgeSpec(BaseModel):
    """One judge: where it answers (``endpoint``, ``model``, the key's environment variable
    ``api_key_env``), how it is asked (``prompt``, ``temperature``, ``max_tokens``), how
    many requests it may have in flight (``concurrency``) and, on a rating campaign, the
    rating ``field`` it scores (default: the first)."""

    model_config = ConfigDict(extra="forbid")

    endpoint: str = Field(min_length=1, max_length=2000)
    model: str = Field(min_length=1, max_length=200)
    prompt: str = Field(min_length=1, max_length=80)
    api_key_env: str | None = Field(default=None, max_length=128)
    temperature: float | None = Field(default=None, ge=0, le=2, allow_inf_nan=False)
    max_tokens: StrictInt | None = Field(default=None, ge=1, le=100_000)
    concurrency: StrictInt = Field(default=8, ge=1, le=64)
    field: str | None = Field(default=None, max_length=200)

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        problem = endpoint_problem(value)
        if problem is not None:
            raise spec_error(f"endpoint {problem}")
        return value

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, value: str) -> str:
        name, at, version = value.partition("@")
        if not JUDGE_NAME.match(name) or (at and not (version.isascii() and version.isdigit())):
            raise spec_error("prompt must be a prompt's NAME or NAME@VERSION from the registry")
        return value

    @field_validator("api_key_env")
    @classmethod
    def _key(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not ENV_NAME.match(value):
            raise spec_error("api_key_env must be an environment variable's name")
        if value.upper().startswith("LABELWORKS_"):
            # labelworks' own settings (its secret key among them) are never sent anywhere.
            raise spec_error("api_key_env may not name one of labelworks' own settings")
        return value


def check_judges(judges: dict[str, JudgeSpec]) -> dict[str, JudgeSpec]:
    """The ``judges`` mapping with its names checked (they go in URLs and commands)."""
    if len(judges) > MAX_JUDGES:
        raise spec_error(f"at most {MAX_JUDGES} judges, got {len(judges)}")
    for name in judges:
        if not JUDGE_NAME.match(name):
            raise spec_error(
                f"judge name {name[:80]!r} must be 1-64 characters of lowercase letters, "
                "digits, '-' and '_'",
                name,
            )
    return judges


def judge_variables(mode: str) -> tuple[str, ...]:
    """The variables a judge prompt of a ``mode`` campaign may read."""
    if mode == "rating":
        return ("prompt", "response", "metadata")
    return ("prompt", "response_a", "response_b", "metadata")


def parse_verdict(text: str) -> Verdict:
    """The verdict of a pairwise judge's reply, in the order it was shown (``a`` = the
    output shown first); ``ValueError`` saying what was expected when there is none."""
    found = _BRACKETED.findall(text)
    if found:
        return _LETTERS[found[-1].lower()]
    bare = _BARE.match(text)
    if bare:
        return _LETTERS[bare.group(1).lower()]
    raise ValueError("the reply names no verdict: expected [[A]], [[B]] or [[C]] (a tie)")


def parse_score(text: str, low: int, high: int) -> int:
    """The score of a rating judge's reply (a whole number from ``low`` to ``high``)."""
    found = _SCORE.findall(text)
    bare = _BARE_SCORE.match(text)
    given = found[-1] if found else bare.group(1) if bare else None
    if given is None:
        raise ValueError(f"the reply names no score: expected [[N]] with N from {low} to {high}")
    number = float(given)
    if not number.is_integer() or not low <= number <= high:
        raise ValueError(f"the score {given} is not a whole number from {low} to {high}")
    return int(number)


def unswapped(verdict: Verdict, swapped: bool) -> Verdict:
    """A verdict given with the outputs in swapped order, in the item's own terms."""
    if not swapped or verdict == "tie":
        return verdict
    return "b" if verdict == "a" else "a"


@dataclass(frozen=True, slots=True)
class RequestKey:
    """What identifies one request to a model: its answer is reused for an equal key."""

    prompt: str
    prompt_version: int
    model: str
    item_id: int | str  # an item's id, or a campaign input row's id
    swapped: bool
    body: dict[str, Any]


def request_hash(key: RequestKey) -> str:
    """SHA-256 of the key: the prompt version, the model, the item, the order and the whole
    rendered request (so an edited item or another temperature asks again)."""
    data = {
        "prompt": key.prompt,
        "version": key.prompt_version,
        "model": key.model,
        "item": key.item_id,
        "swapped": key.swapped,
        "body": key.body,
    }
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
