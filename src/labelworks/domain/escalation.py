"""Escalation: an annotator's flag that an item is ambiguous or an edge case, and where a
resolved case lives in the project's edge-case library.

Pure rules over plain values; storage keeps the flags, services record and resolve them.

- A flag has a ``kind`` (``ambiguous``: the guidelines allow more than one answer;
  ``edge_case``: the guidelines do not cover the item) and a comment of 1 to
  ``MAX_COMMENT`` characters saying why. It rides on a skip or a submit of the item.
- An expert resolves it once, with a note (1 to ``MAX_NOTE`` characters), optionally an
  answer and the guideline section that must change; a resolved case is an entry of the
  edge-case library at ``case_url``, which guidelines may link to as an example.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

from labelworks.domain.errors import InvalidInput

KINDS: Final = ("ambiguous", "edge_case")
STATUSES: Final = ("open", "resolved")
MAX_COMMENT = 2_000
MAX_NOTE = 10_000
MAX_SECTION = 200


@dataclass(frozen=True, slots=True)
class Flag:
    """What an annotator says about an item instead of, or beside, their answer."""

    kind: str
    comment: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidInput(f"flag.kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if not self.comment.strip() or len(self.comment) > MAX_COMMENT:
            raise InvalidInput(f"flag.comment must be 1 to {MAX_COMMENT} characters")


def resolution_text(note: str, section: str | None) -> tuple[str, str | None]:
    """The expert's note and guideline section, trimmed and checked (an empty section is
    none)."""
    note = note.strip()
    if not note or len(note) > MAX_NOTE:
        raise InvalidInput(f"note must be 1 to {MAX_NOTE} characters")
    section = (section or "").strip() or None
    if section is not None and len(section) > MAX_SECTION:
        raise InvalidInput(f"guideline_section must be at most {MAX_SECTION} characters")
    return note, section


def case_anchor(escalation_id: int) -> str:
    """The fragment naming one case on the library page: ``case-12``."""
    return f"case-{escalation_id}"


def case_url(project: str, escalation_id: int) -> str:
    """Where a resolved case is shown: ``/projects/<project>/edge-cases#case-<id>``."""
    return f"/projects/{quote(project, safe='')}/edge-cases#{case_anchor(escalation_id)}"
