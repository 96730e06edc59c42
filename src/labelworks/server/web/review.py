"""The Review page: the pending queue of sampled annotations, each with its item's content,
its annotator, why it was picked and its value, to accept with one click, reject with a
reason code or fix; and each annotator's outcomes with their 95% intervals. The browser
face of ``services.reviews``.

The fix form's field names follow the project's fields (``value.<field>``,
``json.<field>``, read as the Adjudication page reads them), so its route reads the form
body itself. The interval plots are SVG written here, on the server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape

from labelworks.domain.access import Actor
from labelworks.domain.errors import LabelworksError
from labelworks.domain.fields import (
    ChoiceField,
    FieldSpec,
    MultiChoiceField,
    RatingField,
    TextField,
)
from labelworks.domain.media import media_refs
from labelworks.domain.spec import ProjectSpec, ReviewSpec
from labelworks.server.bodies import RawBody
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.errors import status_for
from labelworks.server.params import MAX_ROW_ID, AfterId, RowId
from labelworks.server.security import CSRF_FIELD
from labelworks.server.web.adjudication import SIMPLE, describe, value_from_form
from labelworks.server.web.content import Shown, content_of
from labelworks.server.web.marks import mark_layers
from labelworks.server.web.overlays import box_overlays
from labelworks.server.web.pages import check_form_csrf, flash, page, take_flash
from labelworks.server.web.quality import PLOT_H, PLOT_PAD, PLOT_W, percent, plot_scale
from labelworks.services import projects as project_service
from labelworks.services import quality_view, reviews
from labelworks.services.adjudication import Case
from labelworks.services.reviews import MAX_COMMENT, ReviewOutcomes, ReviewRow
from labelworks.storage.engine import Database

router = APIRouter(include_in_schema=False)
QUEUE_PAGE = 20
# A refused decision: the review, what went wrong, and the form as it was sent.
Refused = tuple[int, str, dict[str, list[str]]]


@dataclass(frozen=True, slots=True)
class ReviewCard:
    """One pending review as the page shows it, with its forms' state (as the refused
    form left them, when it was this one)."""

    review: ReviewRow
    content: list[Shown]
    why: str  # why it was picked, in a few words
    why_long: str
    own: bool  # the viewer's own work: someone else reviews it
    chosen: dict[str, list[str]]  # the fix controls' state, per field
    reason: str
    comment: str
    opened: str  # the form shown open: "reject", "fix" or ""
    error: str | None


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    """One annotator's line of the outcomes table, with its numbers written out."""

    outcome: ReviewOutcomes
    acceptance: str
    interval: str
    plot: Markup | None


def _x(value: float) -> float:
    return round(PLOT_PAD + value * (PLOT_W - 2 * PLOT_PAD), 1)


def acceptance_plot(o: ReviewOutcomes) -> Markup | None:
    """An SVG interval plot of the share accepted: a dot at it and a whisker over its 95%
    Wilson interval, drawn like the Quality page's; ``None`` while nothing is decided."""
    if o.acceptance is None or o.interval is None:
        return None
    low, high = o.interval
    label = (
        f"{o.annotator}: {percent(o.acceptance)} accepted ({o.accepted} of {o.decided}), "
        f"95% interval {percent(low)} to {percent(high)}"
    )
    mid = PLOT_H / 2
    parts = [
        f'<svg class="interval" viewBox="0 0 {PLOT_W} {PLOT_H}" width="{PLOT_W}" '
        f'height="{PLOT_H}" role="img" aria-label="{escape(label)}">',
        f"<title>{escape(label)}</title>",
        f'<line class="track" x1="{_x(0)}" y1="{mid}" x2="{_x(1)}" y2="{mid}"/>',
        *(
            f'<line class="tick" x1="{_x(t)}" y1="{mid - 4}" x2="{_x(t)}" y2="{mid + 4}"/>'
            for t in (0, 0.25, 0.5, 0.75, 1)
        ),
        f'<line class="whisker" x1="{_x(low)}" y1="{mid}" x2="{_x(high)}" y2="{mid}"/>',
        *(
            f'<line class="cap" x1="{_x(v)}" y1="{mid - 6}" x2="{_x(v)}" y2="{mid + 6}"/>'
            for v in (low, high)
        ),
        f'<circle class="dot" cx="{_x(o.acceptance)}" cy="{mid}" r="5"/>',
        "</svg>",
    ]
    return Markup("".join(parts))  # every text in it went through escape()


def outcome_row(o: ReviewOutcomes) -> OutcomeRow:
    return OutcomeRow(
        outcome=o,
        acceptance="" if o.acceptance is None else percent(o.acceptance),
        interval="" if o.interval is None else "–".join(map(percent, o.interval)),
        plot=acceptance_plot(o),
    )


def overall(outcomes: list[ReviewOutcomes]) -> tuple[str, str]:
    """The share accepted over everyone and its 95% interval, written out ("" when
    nothing is decided)."""
    pooled = ReviewOutcomes(
        "",
        None,
        pending=0,
        accepted=sum(o.accepted for o in outcomes),
        rejected=sum(o.rejected for o in outcomes),
        fixed=sum(o.fixed for o in outcomes),
    )
    row = outcome_row(pooled)
    return row.acceptance, row.interval


def why_text(review: ReviewRow, rule: ReviewSpec | None) -> tuple[str, str]:
    """Why the annotation is in the queue: a short tag and a sentence."""
    if review.why == "first_n":
        if rule is not None and rule.first_n == 1:
            return (
                "their first",
                f"{review.annotator}'s first annotation in this project, which is always reviewed.",
            )
        n = f" {rule.first_n}" if rule is not None and rule.first_n else ""
        return (
            f"one of their first{n}",
            f"One of {review.annotator}'s first{n} annotations in this project: "
            "every one of them is reviewed.",
        )
    rate = f" {percent(rule.rate, 1)}" if rule is not None and rule.rate else ""
    return (
        f"random{rate} sample",
        f"Drawn at random: {rate.strip() or 'a share'} of each annotator's later "
        "annotations are reviewed.",
    )


def controls(fields: list[FieldSpec], value: dict[str, Any]) -> dict[str, list[str]]:
    """The fix controls' state for a value: chosen labels or points, text, or JSON."""
    chosen: dict[str, list[str]] = {}
    for f in fields:
        v = value.get(f.name)
        if v is None:
            continue
        if isinstance(f, MultiChoiceField) and isinstance(v, list):
            chosen[f.name] = [str(x) for x in v]
        elif isinstance(f, ChoiceField | RatingField | TextField):
            chosen[f.name] = [str(v)]
        else:
            chosen[f.name] = [json.dumps(v, ensure_ascii=False, indent=1)]
    return chosen


def _first(form: dict[str, list[str]], key: str, default: str = "") -> str:
    return (form.get(key) or [default])[0]


def _card(
    project: str, spec: ProjectSpec, actor: Actor, r: ReviewRow, refused: Refused | None
) -> ReviewCard:
    fields = list(spec.fields)
    value = r.value or {}
    media = media_refs(fields, r.payload, allow_remote=spec.allow_remote_media, item_id=r.item_id)
    case = Case(r.item_id, r.external_id, r.payload, {}, 1.0, [("", value)], {})
    why, why_long = why_text(r, spec.quality.review)
    mine = refused is not None and refused[0] == r.id
    form = refused[2] if refused is not None and mine else {}
    decision = _first(form, "decision")
    drafted = {
        f.name: form.get(f"value.{f.name}", []) + form.get(f"json.{f.name}", []) for f in fields
    }
    return ReviewCard(
        review=r,
        content=content_of(
            project, r.payload, media, box_overlays(fields, case), mark_layers(fields, case)
        ),
        why=why,
        why_long=why_long,
        own=r.annotator == actor.email,
        chosen=drafted if mine and decision == "fix" else controls(fields, value),
        reason=_first(form, "reason"),
        comment=_first(form, "comment"),
        opened=decision if decision in ("reject", "fix") else "",
        error=refused[1] if refused is not None and mine else None,
    )


def _desk(
    request: Request,
    db: Database,
    actor: Actor,
    project: str,
    *,
    after: int = 0,
    notice: tuple[str, bool] | None = None,
    refused: Refused | None = None,
    status: int = 200,
) -> HTMLResponse:
    queue = reviews.review_queue(db, project, actor=actor, after=after, limit=QUEUE_PAGE)
    outcomes = reviews.review_report(db, project, actor=actor)
    view = project_service.get_project(db, project, actor=actor)
    spec = view.spec
    cards = [_card(view.row.name, spec, actor, r, refused) for r in queue]
    if refused is not None and not any(c.error for c in cards):
        notice = (f"{refused[1]}. Nothing was changed.", False)
    fields = list(spec.fields)
    return page(
        request,
        "review.html",
        actor,
        status=status,
        project=view.row.name,
        rule=spec.quality.review,
        fields=fields,
        simple=[isinstance(f, SIMPLE) for f in fields],
        one_click=len(fields) == 1 and isinstance(fields[0], ChoiceField),
        cards=cards,
        pending=sum(o.pending for o in outcomes),
        decided=sum(o.decided for o in outcomes),
        fixed=sum(o.fixed for o in outcomes),
        rejected=sum(o.rejected for o in outcomes),
        overall=overall(outcomes),
        rows=[outcome_row(o) for o in outcomes],
        scale=plot_scale(None),
        after=after,
        next_after=queue[-1].id if len(queue) == QUEUE_PAGE else None,
        notice=notice,
        consensus=quality_view.consensus_summary(db, project, actor=actor),
        max_comment=MAX_COMMENT,
    )


@router.get("/projects/{project}/review", response_class=HTMLResponse)
def review_page(
    request: Request, project: str, db: DB, actor: CurrentActor, after: AfterId = 0
) -> HTMLResponse:
    return _desk(request, db, actor, project, after=after, notice=take_flash(request))


def _done(db: Database, project: str, review_id: int, actor: Actor) -> str:
    """What the decision did, in a sentence, read back from the review."""
    found = reviews.review_queue(
        db, project, actor=actor, status=None, after=review_id - 1, limit=1
    )
    if not found or found[0].id != review_id:
        return f"Review {review_id} is decided."
    r = found[0]
    whose = f"item {r.item_id} by {r.annotator}"
    if r.status == "accepted":
        return f"Accepted {whose}."
    if r.status == "fixed":
        return f"Fixed {whose}: {describe(r.fixed_value or {})}. The original is kept beside it."
    rule = project_service.get_project(db, project, actor=actor).spec.quality.review
    where = (
        "it went back to the queue for someone else"
        if rule is not None and rule.rejected_to == "others"
        else f"it waits for {r.annotator} as their next task"
    )
    return f"Rejected {whose} ({r.reason}): {where}."


@router.post("/projects/{project}/review/{review_id}")
def decide(
    request: Request, project: str, review_id: RowId, db: DB, actor: CurrentActor, raw: RawBody
) -> Response:
    """Decide one review: ``decision`` accept, reject (with ``reason``) or fix (with the
    controls' value), each with an optional ``comment``; back to the queue with what was
    done, or the page with the error at the review and the form as it was sent."""
    form = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
    check_form_csrf(request, _first(form, CSRF_FIELD))
    decision = _first(form, "decision")
    reason = _first(form, "reason") or None
    comment = _first(form, "comment").strip()
    after = _after(_first(form, "after", "0"))
    try:
        value = None
        if decision == "fix":
            fields = list(project_service.get_project(db, project, actor=actor).spec.fields)
            value = value_from_form(fields, form)
        reviews.decide_review(
            db,
            project,
            review_id,
            decision=decision,
            reason=reason if decision == "reject" else None,
            comment=comment,
            value=value,
            actor=actor,
        )
    except LabelworksError as exc:
        refused = (review_id, str(exc).rstrip("."), form)
        return _desk(
            request, db, actor, project, after=after, refused=refused, status=status_for(exc)
        )
    flash(request, _done(db, project, review_id, actor))
    back = f"/projects/{quote(project)}/review" + (f"?after={after}" if after else "")
    return RedirectResponse(back, status_code=303)


def _after(text: str) -> int:
    """The queue page the form was on (``after``), 0 when missing or not an id."""
    return int(text) if text.isdigit() and int(text) <= MAX_ROW_ID else 0
