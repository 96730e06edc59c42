"""How a coaching page shows a person's mistakes to one viewer: the item and the answers
as the project's privacy policy lets the viewer see them, the expert's answer only where
gold answers are readable (see ``services.coaching``), and the guideline section each
mistake is about with the links the viewer may open."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from labelworks.domain.access import Actor
from labelworks.domain.coaching import Section, guideline_url, section_named
from labelworks.domain.escalation import case_url
from labelworks.domain.spec import ProjectSpec
from labelworks.services.privacy import annotation_value_for, payload_for, text_for
from labelworks.storage.coaching import Mistake
from labelworks.storage.projects import ProjectRow

SUMMARY = 280  # characters of an item's content in a mistake's summary

__all__ = ["CoachingMistake", "GuidelineRef", "MistakeView", "payload_summary"]


@dataclass(frozen=True, slots=True)
class GuidelineRef:
    """The guidelines a mistake is about: the ``version`` the person worked under (``None``
    when the project had none), the project's ``current`` one, and the ``section`` found
    (its heading, or the name an expert gave when no heading matches) with its Markdown
    ``text`` ("" when unknown); ``named_by`` says where the section came from
    (``escalation``, ``explanation``, ``comment``); ``edge_case_url`` is the resolved flag
    that named it, for those who may open the edge-case library, and ``url`` the guideline
    version's page, at the section, for those who may open it."""

    version: int | None
    current: int | None
    section: str | None = None
    text: str = ""
    named_by: str | None = None
    edge_case_url: str | None = None
    url: str | None = None  # the version's page (at the section), for those it opens for


@dataclass(frozen=True, slots=True)
class CoachingMistake:
    """A wrong gold answer (``kind="gold"``) or an annotation rejected or fixed in review
    (``kind="review"``). ``payload`` and ``summary`` are the item's content as the viewer
    may see it; ``value`` is the person's answer. Gold: ``expert`` and ``explanation`` are
    ``None`` when kept from the viewer, ``wrong_fields`` the fields that missed. Review:
    its ``status`` (rejected or fixed), ``reason`` code, ``comment`` and ``fixed_value``."""

    kind: Literal["gold", "review"]
    item_id: int
    external_id: str | None
    payload: dict[str, Any]
    summary: str
    at: datetime
    value: dict[str, Any] | None
    guideline: GuidelineRef
    expert: dict[str, Any] | None = None
    explanation: str | None = None
    wrong_fields: list[str] = field(default_factory=list)
    review_id: int | None = None
    status: str | None = None
    reason: str | None = None
    comment: str = ""
    fixed_value: dict[str, Any] | None = None


def payload_summary(payload: dict[str, Any]) -> str:
    """An item's content in a line: its values, text as it is and the rest as compact
    JSON, joined by `` · `` and cut at ``SUMMARY`` characters."""
    text = " · ".join(
        v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, separators=(",", ":"))
        for v in payload.values()
    )
    return text if len(text) <= SUMMARY else text[: SUMMARY - 1] + "…"


@dataclass(frozen=True, slots=True)
class MistakeView:
    """How the mistakes are shown to one viewer."""

    actor: Actor | None
    spec: ProjectSpec
    project: ProjectRow
    sections: dict[int, list[Section]]
    flagged: dict[int, tuple[int, str]]
    edge_cases: bool
    experts: bool
    guideline_pages: bool

    def mistake(self, m: Mistake, kind: Literal["gold", "review"]) -> CoachingMistake:
        actor, spec = self.actor, self.spec
        payload = payload_for(actor, spec, m.payload).payload
        common: dict[str, Any] = {
            "kind": kind,
            "item_id": m.item_id,
            "external_id": m.external_id,
            "payload": payload,
            "summary": payload_summary(payload),
            "at": m.at,
            "value": annotation_value_for(actor, spec, m.value),
        }
        if kind == "gold":
            return CoachingMistake(
                **common,
                guideline=self.guideline(m, m.explanation, "explanation"),
                expert=annotation_value_for(actor, spec, m.expert) if self.experts else None,
                explanation=text_for(actor, spec, m.explanation) if self.experts else None,
                wrong_fields=sorted(k for k, ok in (m.fields or {}).items() if not ok),
            )
        return CoachingMistake(
            **common,
            guideline=self.guideline(m, m.comment, "comment"),
            review_id=m.review_id,
            status=m.status,
            reason=m.reason,
            comment=text_for(actor, spec, m.comment),
            fixed_value=annotation_value_for(actor, spec, m.fixed_value),
        )

    def guideline(self, m: Mistake, said: str, said_by: str) -> GuidelineRef:
        """The section an expert named for the item (a resolved flag), else the one the
        explanation or comment names, in the version the person worked under."""
        version, current = m.guideline_version, self.project.guideline_version
        sections = self.sections.get(version, []) if version is not None else []
        flag = self.flagged.get(m.item_id)
        # The section an explanation names is guideline text, which every viewer may
        # read, even when the explanation itself is kept from them.
        found = section_named(sections, flag[1] if flag is not None else said)
        url = None
        if version is not None and self.guideline_pages:
            url = guideline_url(self.project.name, version, found.title if found else None)
        if flag is not None:
            return GuidelineRef(
                version,
                current,
                found.title if found else flag[1],
                found.text if found else "",
                "escalation",
                case_url(self.project.name, flag[0]) if self.edge_cases else None,
                url,
            )
        if found is None:
            return GuidelineRef(version, current, url=url)
        return GuidelineRef(version, current, found.title, found.text, said_by, url=url)
