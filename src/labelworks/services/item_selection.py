"""Which of a project's items: the Items table's filters as people give them, checked, and
turned into the storage filter of one project (shared by the table and its bulk actions)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection

from labelworks.domain.access import Actor, sees_person, wall
from labelworks.domain.errors import InvalidInput
from labelworks.domain.identity import email_key
from labelworks.services.privacy import check_search
from labelworks.services.specs import stored_spec
from labelworks.storage import users as user_store
from labelworks.storage.item_filters import ItemFilter
from labelworks.storage.projects import ProjectRow

STATUSES = ("new", "in_progress", "complete")
MAX_METADATA_FILTERS = 20
MAX_FILTER_TEXT = 500
ANY_FIELD = "any"
# The kinds whose answers are compared by ``any``: free text, spans, boxes and segments
# almost never match to the character or pixel, so ``any`` would flag every item; they are
# still compared when asked for by name.
ANSWER_KINDS = ("choice", "multi_choice", "rating", "pairwise")


@dataclass(frozen=True, slots=True)
class ItemSelection:
    """Which of a project's items: the Items table's filters as people give them (each
    ``None`` or empty when not set), shared by the table and its bulk actions.

    - ``metadata``: (key, value) pairs the item's metadata must all hold (a top-level key;
      a string equal to the value, a number equal to it read as a number, or
      ``true``/``false``/``null``);
    - ``disagreement``: a field name, or ``any`` (every choice, multi-choice, rating and
      pairwise field): two of the item's submitted annotations answer that field
      differently;
    - ``score_min``/``score_max``: some pre-annotation of the item has a score in that
      (inclusive) range.
    """

    status: str | None = None
    annotator: str | None = None
    label: str | None = None
    text: str | None = None
    metadata: tuple[tuple[str, str], ...] = ()
    disagreement: str | None = None
    score_min: float | None = None
    score_max: float | None = None

    def check(self) -> None:
        """Refuse filters that cannot be meant (before any database is read)."""
        if self.status and self.status not in STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(STATUSES)}, not '{self.status}'")
        if len(self.metadata) > MAX_METADATA_FILTERS:
            raise InvalidInput(f"at most {MAX_METADATA_FILTERS} metadata filters")
        texts = [self.annotator, self.label, self.text, self.disagreement]
        texts += [part for pair in self.metadata for part in pair]
        for text in texts:
            if text is not None and (len(text) > MAX_FILTER_TEXT or "\x00" in text):
                raise InvalidInput(
                    f"a filter must be at most {MAX_FILTER_TEXT} characters, without NUL"
                )
        if any(not key for key, _ in self.metadata):
            raise InvalidInput("a metadata filter needs a key (meta.KEY=VALUE)")
        for name, score in (("score_min", self.score_min), ("score_max", self.score_max)):
            if score is not None and not math.isfinite(score):
                raise InvalidInput(f"{name} must be a finite number")
        if (
            self.score_min is not None
            and self.score_max is not None
            and self.score_min > self.score_max
        ):
            raise InvalidInput(
                f"score_min ({self.score_min:g}) is above score_max ({self.score_max:g})"
            )


def metadata_filters(params: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The ``meta.KEY=VALUE`` query parameters among ``params``, as (key, value) pairs
    (empty values are filters not set)."""
    return tuple(
        (name[len("meta.") :], value)
        for name, value in params
        if name.startswith("meta.") and value != ""
    )


def resolve_selection(
    conn: Connection, project: ProjectRow, actor: Actor | None, selection: ItemSelection
) -> ItemFilter | None:
    """The storage filter of ``selection`` in ``project`` (``None``: it matches nothing,
    e.g. an annotator who does not exist or is behind another vendor's wall). An empty
    text is a filter not set. The filters matched against stored text (``q``, ``label``,
    ``meta.KEY``) may not hold personal data the privacy policy masks for ``actor``
    (``privacy.check_search``)."""
    selection.check()
    searched = [("q", selection.text), ("label", selection.label)]
    searched += [(f"meta.{key}", value) for key, value in selection.metadata]
    check_search(actor, stored_spec(project.spec), searched)
    annotator_id = None
    if selection.annotator:
        user = user_store.by_email(conn, email_key(selection.annotator))
        if user is None or not sees_person(actor, user.vendor):
            return None
        annotator_id = user.id
    disagree_on: tuple[str, ...] = ()
    if selection.disagreement:
        fields = stored_spec(project.spec).fields
        if selection.disagreement == ANY_FIELD:
            disagree_on = tuple(f.name for f in fields if f.kind in ANSWER_KINDS)
        elif selection.disagreement in {f.name for f in fields}:
            disagree_on = (selection.disagreement,)
        else:
            names = ", ".join(f.name for f in fields)
            raise InvalidInput(
                f"disagreement must be '{ANY_FIELD}' or a field of project '{project.name}' "
                f"({names}), not '{selection.disagreement}'"
            )
        if not disagree_on:
            return None
    return ItemFilter(
        status=selection.status or None,
        annotator_id=annotator_id,
        label=selection.label or None,
        text=selection.text or None,
        metadata=selection.metadata,
        disagree_on=disagree_on,
        score_min=selection.score_min,
        score_max=selection.score_max,
        wall=wall(actor),
    )
