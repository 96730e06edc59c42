"""What the quality pages show beyond gold: a project's consensus at a glance, the
adjudication desk (the queue with what the page needs to show each item), an expert's
decision taken from the desk, and the crowd simulator run from a YAML spec.

The queue and the decisions are ``services.adjudication``'s, the consensus summary
``services.final_labels``' and the simulator's guard (who, and one at a time)
``services.simulation_runs``'; this module gathers them for one page each.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from labelworks.domain.access import Action, Actor
from labelworks.domain.errors import InvalidInput, NotFound, PermissionDenied
from labelworks.domain.fields import FieldSpec
from labelworks.domain.media import MediaRef, media_refs
from labelworks.domain.spec import ProjectSpec, parse_spec
from labelworks.services import final_labels, simulation_runs
from labelworks.services.access import project_for
from labelworks.services.adjudication import Case, adjudicate, adjudication_queue
from labelworks.services.final_labels import ConsensusSummary
from labelworks.services.privacy import annotation_value_for, text_for
from labelworks.services.simulation import CrowdSettings
from labelworks.services.specs import stored_spec
from labelworks.storage import decisions
from labelworks.storage.decisions import Decision
from labelworks.storage.engine import Database

# ``decide_case``'s pick of the consensus proposal (aliases are "A", "B", …).
PROPOSAL = "proposal"


def consensus_summary(
    db: Database, project: str, *, actor: Actor | None = None
) -> ConsensusSummary | None:
    """``final_labels.consensus_summary`` for pages that show it to whoever may see it:
    ``None`` for vendors' staff (final labels are decided from every vendor's work, so
    they may neither read them nor adjudicate)."""
    try:
        return final_labels.consensus_summary(db, project, actor=actor)
    except PermissionDenied:
        return None


@dataclass(frozen=True, slots=True)
class Desk:
    """A page of the adjudication queue: the cases, the project's fields (for the edit
    controls), each case's media, the project's consensus (``counts["adjudication"]`` is
    the whole queue's length) and the latest decisions experts made."""

    summary: ConsensusSummary
    fields: list[FieldSpec]
    cases: list[Case]
    media: dict[int, dict[str, MediaRef]]
    decided: list[Decision]


def adjudication_desk(
    db: Database,
    project: str,
    *,
    actor: Actor | None = None,
    after: int = 0,
    limit: int = 20,
    decided: int = 10,
) -> Desk:
    """The items waiting for an expert, oldest first, with what the page shows of them;
    refused to anyone who may not adjudicate (vendors' staff, annotators). The cases and
    the latest decisions' values and notes come as the privacy policy lets ``actor`` see
    them."""
    cases = adjudication_queue(db, project, actor=actor, after=after, limit=limit)
    summary = final_labels.consensus_summary(db, project, actor=actor)
    with db.read() as conn:
        row = project_for(conn, actor, project, Action.REVIEW)
        latest = decisions.recent_decisions(conn, row.id, decided)
    spec = stored_spec(row.spec)
    media = {
        c.item_id: media_refs(
            spec.fields, c.payload, allow_remote=spec.allow_remote_media, item_id=c.item_id
        )
        for c in cases
    }
    decided_shown = [
        replace(
            d, value=annotation_value_for(actor, spec, d.value), note=text_for(actor, spec, d.note)
        )
        for d in latest
    ]
    return Desk(
        summary=summary, fields=list(spec.fields), cases=cases, media=media, decided=decided_shown
    )


def decide_case(
    db: Database,
    project: str,
    item_id: int,
    *,
    pick: str | None = None,
    value: dict[str, Any] | None = None,
    note: str = "",
    actor: Actor | None = None,
) -> dict[str, Any]:
    """Decide an item still waiting for adjudication with one annotation's answer
    (``pick``: its alias), the consensus proposal (``pick="proposal"``) or ``value``;
    returns the label decided. An item no longer waiting (someone decided it since the
    page was loaded) is refused, so one expert never silently overrides another."""
    if (pick is None) == (value is None):
        raise InvalidInput("give either an annotation to take or a label")
    found = adjudication_queue(db, project, actor=actor, after=item_id - 1, limit=1)
    if not found or found[0].item_id != item_id:
        raise NotFound(
            f"item {item_id} is not waiting for adjudication (it may have been decided already)"
        )
    case = found[0]
    if pick == PROPOSAL:
        value = case.proposal
    elif pick is not None:
        value = dict(case.annotations).get(pick)
        if value is None:
            raise InvalidInput(f"item {item_id} has no annotation {pick!r}")
    assert value is not None
    adjudicate(db, project, item_id, value=value, note=note, actor=actor)
    return value


def check_may_simulate(actor: Actor | None) -> None:
    """Refuse the simulator to anyone who may not create projects (reviewers, annotators)."""
    simulation_runs.check_may_simulate(actor)


def simulate_spec(
    text: str, settings: CrowdSettings, *, actor: Actor | None = None, source: str = "spec"
) -> tuple[ProjectSpec, dict[str, Any]]:
    """Parse a YAML spec (``InvalidSpec`` with every problem's line) and run its quality
    settings on a simulated crowd through ``simulation_runs``: managers and admins, one
    simulation at a time in this process, whether asked for here or through the API."""
    check_may_simulate(actor)
    spec = parse_spec(text, source=source)
    data = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    return spec, simulation_runs.run_simulation(data, settings, actor=actor, source=source)
