"""Generation (``labelworks generate``): a registry prompt asked about each item of a project,
its reply read as a value of one field and stored as a model's prediction, tagged with the
prompt version (the prediction's version is ``NAME-vN``), so two prompt versions compare like
two models (``eval compare``).

The prompt reads the item's payload keys by name and ``metadata`` (the item's metadata). A
reply is read by the field's kind: ``choice`` — one of the labels (case aside, or inside
``[[…]]``); ``multi_choice`` — labels separated by commas, semicolons or new lines (``none``
or nothing for no label); ``rating`` — a whole number on the scale; ``text`` — the reply
itself, trimmed, up to the field's length.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from labelworks.domain.errors import InvalidInput
from labelworks.domain.fields import (
    ChoiceField,
    FieldSpec,
    MultiChoiceField,
    RatingField,
    TextField,
)
from labelworks.domain.judges import parse_score

__all__ = ["GENERATED_KINDS", "prediction_version", "reader_for", "reply_text"]

GENERATED_KINDS = ("choice", "multi_choice", "rating", "text")
_BRACKETED = re.compile(r"\[\[\s*(.+?)\s*\]\]", re.DOTALL)
_TRIM = " \t\r\n\"'`*.!"


def prediction_version(prompt: str, version: int) -> str:
    """The prediction version that names a prompt version (``summarize-v2``)."""
    return f"{prompt}-v{version}"


def _answer(text: str) -> str:
    found = _BRACKETED.findall(text)
    return (found[-1] if found else text).strip(_TRIM)


def _label(labels: list[str], given: str) -> str:
    folded = {label.casefold(): label for label in labels}
    label = folded.get(given.strip(_TRIM).casefold())
    if label is None:
        shown = ", ".join(labels[:20])
        raise ValueError(f"{given[:80]!r} is not one of the labels ({shown})")
    return label


def reply_text(text: str) -> str:
    """A reply as free text: trimmed, and not empty (``ValueError``: asked again)."""
    answer = text.strip()
    if not answer:
        raise ValueError("the reply is empty")
    return answer


def reader_for(field: FieldSpec) -> Callable[[str], Any]:
    """How a reply becomes a value of ``field``; ``ValueError`` for a reply that is not one
    (it is asked again, then kept as malformed). ``InvalidInput`` for a field generation
    cannot fill."""
    if isinstance(field, ChoiceField):
        labels = list(field.labels)
        return lambda text: _label(labels, _answer(text))
    if isinstance(field, MultiChoiceField):
        multi = field

        def read_many(text: str) -> list[str]:
            answer = _answer(text)
            parts = [p for p in re.split(r"[,;\n]", answer) if p.strip(_TRIM)]
            if len(parts) == 1 and parts[0].strip(_TRIM).casefold() == "none":
                parts = []
            chosen = list(dict.fromkeys(_label(list(multi.labels), p) for p in parts))
            top = multi.max_selections
            if len(chosen) < multi.min_selections or (top is not None and len(chosen) > top):
                raise ValueError(f"{len(chosen)} labels chosen; the field allows other counts")
            return chosen

        return read_many
    if isinstance(field, RatingField):
        low, high = field.min, field.max
        return lambda text: parse_score(text, low, high)
    if isinstance(field, TextField):
        limit = field.max_length

        def read_text(text: str) -> str:
            return reply_text(text)[:limit]

        return read_text
    raise InvalidInput(
        f"field '{field.name}' is a {field.kind} field; generation fills "
        f"{', '.join(GENERATED_KINDS)} fields"
    )
