"""The Quality page (gold accuracy per annotator with 95% intervals, paused people, the gold
items and their expert answers) and the gold form of the item page: the browser face of
``services.gold``.

The interval plots are SVG written here, on the server: no script draws them, and every
number they show is in the table next to them too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape

from labelworks.domain.access import Actor
from labelworks.domain.errors import InvalidInput, LabelworksError, PermissionDenied
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.errors import status_for
from labelworks.server.params import AfterId, RowId
from labelworks.server.security import CSRF_FIELD
from labelworks.server.web.pages import check_form_csrf, flash, item_view, page, take_flash
from labelworks.server.web.qualification import qualification_view
from labelworks.services import escalations as escalation_service
from labelworks.services import gold, qualification, quality_view
from labelworks.storage.engine import Database

router = APIRouter(include_in_schema=False)
Csrf = Form("", alias=CSRF_FIELD)
GOLD_PAGE = 100
# The interval plot: width, height and the inset of 0% and 100% from its edges.
PLOT_W, PLOT_H, PLOT_PAD = 240, 30, 12


def percent(x: float, digits: int = 0) -> str:
    """``0.8333`` as ``83%`` (``digits`` decimals at most, trailing zeros dropped)."""
    text = f"{x * 100:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def _x(value: float) -> float:
    return round(PLOT_PAD + value * (PLOT_W - 2 * PLOT_PAD), 1)


def standing(share: gold.Share, bar: float | None) -> str:
    """Where a person's interval lies against the pause bar: below, near (it straddles the
    bar), above; ``unscored`` without answers, ``scored`` without a bar."""
    if share.interval is None:
        return "unscored"
    if bar is None:
        return "scored"
    low, high = share.interval
    return "below" if high < bar else "above" if low >= bar else "near"


def interval_plot(
    who: str, share: gold.Share, bar: float | None, *, verb: str = "correct"
) -> Markup | None:
    """An SVG interval plot: a dot at the share, a whisker over the 95% Wilson interval
    and a dashed line at the auto-pause bar; ``None`` when there is nothing to plot.
    ``verb`` says what the share counts, for screen readers."""
    if share.interval is None or share.accuracy is None:
        return None
    low, high = share.interval
    label = (
        f"{who}: {percent(share.accuracy)} {verb} ({share.correct} of {share.total}), "
        f"95% interval {percent(low)} to {percent(high)}"
    )
    if bar is not None:
        label += f"; pause bar {percent(bar, 1)}"
    mid = PLOT_H / 2
    parts = [
        f'<svg class="interval {standing(share, bar)}" viewBox="0 0 {PLOT_W} {PLOT_H}" '
        f'width="{PLOT_W}" height="{PLOT_H}" role="img" aria-label="{escape(label)}">',
        f"<title>{escape(label)}</title>",
        f'<line class="track" x1="{_x(0)}" y1="{mid}" x2="{_x(1)}" y2="{mid}"/>',
        *(
            f'<line class="tick" x1="{_x(t)}" y1="{mid - 4}" x2="{_x(t)}" y2="{mid + 4}"/>'
            for t in (0, 0.25, 0.5, 0.75, 1)
        ),
    ]
    if bar is not None:
        parts.append(f'<line class="bar" x1="{_x(bar)}" y1="2" x2="{_x(bar)}" y2="{PLOT_H - 2}"/>')
    parts += [
        f'<line class="whisker" x1="{_x(low)}" y1="{mid}" x2="{_x(high)}" y2="{mid}"/>',
        *(
            f'<line class="cap" x1="{_x(v)}" y1="{mid - 6}" x2="{_x(v)}" y2="{mid + 6}"/>'
            for v in (low, high)
        ),
        f'<circle class="dot" cx="{_x(share.accuracy)}" cy="{mid}" r="5"/>',
        "</svg>",
    ]
    return Markup("".join(parts))  # every text in it went through escape()


def plot_scale(bar: float | None) -> Markup:
    """The axis above the plots' column: 0%, 50%, 100% and where the pause bar is."""
    ticks = "".join(
        f'<text x="{_x(t)}" y="12" class="{cls}">{percent(t)}</text>'
        for t, cls in ((0, "start"), (0.5, "middle"), (1, "end"))
    )
    if bar is not None:
        side, shift = ("end", -4) if bar > 0.6 else ("start", 4)
        ticks += (
            f'<line class="bar" x1="{_x(bar)}" y1="15" x2="{_x(bar)}" y2="26"/>'
            f'<text x="{_x(bar) + shift}" y="24" class="barlabel {side}">'
            f"pause bar {percent(bar, 1)}</text>"
        )
    return Markup(
        f'<svg class="scale" viewBox="0 0 {PLOT_W} 26" width="{PLOT_W}" height="26" '
        f'aria-hidden="true">{ticks}</svg>'
    )


@dataclass(frozen=True, slots=True)
class PersonRow:
    """One annotator's line of the report, with its numbers written out."""

    person: gold.AnnotatorGold
    accuracy: str
    interval: str
    standing: str
    plot: Markup | None
    fields: list[tuple[str, str, str]]  # (field, "9 of 10", "90%")


def _row(a: gold.AnnotatorGold, bar: float | None) -> PersonRow:
    share = a.overall
    return PersonRow(
        person=a,
        accuracy="" if share.accuracy is None else percent(share.accuracy),
        interval="" if share.interval is None else "–".join(map(percent, share.interval)),
        standing=standing(share, bar),
        plot=interval_plot(a.name or a.email, share, bar),
        fields=[
            (name, f"{s.correct} of {s.total}", percent(s.accuracy or 0.0))
            for name, s in a.fields.items()
        ],
    )


def rule_text(report: gold.GoldReport) -> tuple[str, str]:
    """The gold rate and the auto-pause rule, in words."""
    rate = report.gold_rate
    served = (
        f"{percent(rate, 1)} of the tasks each annotator gets are gold questions"
        if rate
        else "Gold questions are not served: the spec's quality.gold_rate is not set"
    )
    rule = report.auto_pause
    if rule is None:
        return served, "Off: nobody is paused automatically (set quality.auto_pause in the spec)"
    return served, (
        f"Once someone has answered at least {rule['min_gold']} gold questions since they "
        f"were last reinstated, they are paused when even the top of the 95% interval of "
        f"their accuracy is below {percent(rule['below'], 1)}"
    )


def _quality(
    request: Request,
    db: Database,
    actor: Actor,
    project: str,
    *,
    after: int = 0,
    notice: tuple[str, bool] | None = None,
    status: int = 200,
) -> HTMLResponse:
    report = gold.gold_report(db, project, actor=actor)  # the review right; vendor walls
    try:  # expert answers: managers and admins outside any vendor only
        answers: list[gold.GoldAnswer] | None = gold.gold_answers(
            db, project, actor=actor, after=after, limit=GOLD_PAGE
        )
    except PermissionDenied:
        answers = None
    bar = None if report.auto_pause is None else float(report.auto_pause["below"])
    rows = [_row(a, bar) for a in report.annotators]
    correct = sum(a.overall.correct for a in report.annotators)
    total = sum(a.overall.total for a in report.annotators)
    served, rule = rule_text(report)
    return page(
        request,
        "quality.html",
        actor,
        status=status,
        report=report,
        rows=rows,
        scale=plot_scale(bar),
        rate=percent(report.gold_rate, 1) if report.gold_rate else "off",
        served=served,
        rule=rule,
        scored=(correct, total, percent(correct / total) if total else ""),
        paused=sum(1 for a in report.annotators if a.paused),
        answers=answers,
        after=after,
        next_after=answers[-1].item_id if answers and len(answers) == GOLD_PAGE else None,
        notice=notice,
        consensus=quality_view.consensus_summary(db, project, actor=actor),
        escalations=escalation_service.open_count_for(db, project, actor=actor),
        qualification=qualification_view(db, project, actor, report),
    )


@router.get("/projects/{project}/quality", response_class=HTMLResponse)
def quality_page(
    request: Request, project: str, db: DB, actor: CurrentActor, after: AfterId = 0
) -> HTMLResponse:
    return _quality(request, db, actor, project, after=after, notice=take_flash(request))


def _act(
    request: Request,
    db: Database,
    actor: Actor,
    project: str,
    csrf: str,
    work: Callable[[], str],
) -> Response:
    """Run one form action: back to the page with what happened (a redirect, so a reload
    does not post again), or the page again with the error."""
    check_form_csrf(request, csrf)
    try:
        message = work()
    except LabelworksError as exc:
        return _quality(
            request, db, actor, project, notice=(str(exc), False), status=status_for(exc)
        )
    flash(request, message)
    return RedirectResponse(f"/projects/{quote(project)}/quality", status_code=303)


@router.post("/projects/{project}/quality/reinstate")
def reinstate(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    email: str = Form(..., max_length=320),
    csrf: str = Csrf,
) -> Response:
    def work() -> str:
        gold.reinstate_annotator(db, project, email, actor=actor)
        return (
            f"{email} is reinstated and gets tasks again; "
            "auto-pause counts only their gold answers from now on."
        )

    return _act(request, db, actor, project, csrf, work)


@router.post("/projects/{project}/quality/requeue")
def requeue(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    email: str = Form(..., max_length=320),
    reason: str = Form("", max_length=2000),
    csrf: str = Csrf,
) -> Response:
    def work() -> str:
        n = gold.requeue_annotations(db, project, email, reason=reason.strip(), actor=actor)
        what = "1 annotation" if n == 1 else f"{n} annotations"
        return f"Sent {what} by {email} back to the queue for others to redo."

    return _act(request, db, actor, project, csrf, work)


@router.post("/projects/{project}/quality/pause")
def pause(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    email: str = Form(..., max_length=320),
    reason: str = Form("", max_length=2000),
    csrf: str = Csrf,
) -> Response:
    def work() -> str:
        gold.pause_annotator(db, project, email, reason=reason, actor=actor)
        return f"{email} is paused: they get no tasks until reinstated, and see your reason."

    return _act(request, db, actor, project, csrf, work)


@router.post("/projects/{project}/quality/qualification-retry")
def qualification_retry(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    email: str = Form(..., max_length=320),
    csrf: str = Csrf,
) -> Response:
    def work() -> str:
        qualification.allow_retry(db, project, email, actor=actor)
        return (
            f"{email} may take the qualification test again: a fresh attempt starts with "
            "their next task."
        )

    return _act(request, db, actor, project, csrf, work)


def _parsed_answer(text: str) -> dict[str, Any]:
    """The gold form's JSON, or an error that says what is wrong with it."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        line, column = getattr(exc, "lineno", None), getattr(exc, "colno", None)
        where = f" (line {line}, column {column})" if line is not None else ""
        raise InvalidInput(f"the gold answer is not valid JSON{where}: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidInput(
            'the gold answer must be a JSON object of field values, like {"sentiment": "pos"}'
        )
    return value


@router.post("/projects/{project}/items/{item_id}/gold")
def set_gold(
    request: Request,
    project: str,
    item_id: RowId,
    db: DB,
    actor: CurrentActor,
    value: str = Form(""),
    explanation: str = Form(""),
    csrf: str = Csrf,
) -> Response:
    """Make the item gold (or replace its answer); a bad answer changes nothing and is
    shown again, with what is wrong, for correcting."""
    check_form_csrf(request, csrf)
    try:
        answer = _parsed_answer(value)
        gold.mark_gold(db, project, item_id, value=answer, explanation=explanation, actor=actor)
    except LabelworksError as exc:
        status = status_for(exc)
        draft = (value, explanation)
        return item_view(
            request, db, actor, project, item_id, status=status, gold_error=str(exc), draft=draft
        )
    flash(request, f"Item {item_id} is a gold question with this answer.")
    return RedirectResponse(f"/projects/{quote(project)}/items/{item_id}", status_code=303)


@router.post("/projects/{project}/items/{item_id}/gold/remove")
def remove_gold(
    request: Request, project: str, item_id: RowId, db: DB, actor: CurrentActor, csrf: str = Csrf
) -> Response:
    """Return the item to ordinary work; its gold results stay in the record."""
    check_form_csrf(request, csrf)
    try:
        gold.unmark_gold(db, project, item_id, actor=actor)
    except LabelworksError as exc:
        return item_view(
            request, db, actor, project, item_id, status=status_for(exc), gold_error=str(exc)
        )
    flash(request, f"Item {item_id} is no longer gold: it is ordinary work again.")
    return RedirectResponse(f"/projects/{quote(project)}/items/{item_id}", status_code=303)
