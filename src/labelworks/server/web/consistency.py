"""The Consistency page: test–retest agreement from the consistency audits — pooled and
per annotator, per field, with 95% intervals drawn as SVG on the server, and the latest
retests side by side. The browser face of ``services.retests``."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from labelworks.server.deps import DB, CurrentActor
from labelworks.server.web.adjudication import describe
from labelworks.server.web.pages import page
from labelworks.server.web.quality import interval_plot, percent, plot_scale
from labelworks.services import quality_view, retests
from labelworks.services.gold import Share

router = APIRouter(include_in_schema=False)
# Below this many retests a person's figure is mostly noise: said so beside it.
FEW = 10


@dataclass(frozen=True, slots=True)
class Figure:
    """A same-answer share written out: ``90%``, ``9 of 10``, ``60–98%``, its plot."""

    share: str
    count: str
    interval: str
    plot: Markup | None


def figure(who: str, s: Share) -> Figure:
    return Figure(
        share="" if s.accuracy is None else percent(s.accuracy),
        count=f"{s.correct} of {s.total}",
        interval="" if s.interval is None else "–".join(map(percent, s.interval)),
        plot=interval_plot(who, s, None, verb="the same both times"),
    )


@dataclass(frozen=True, slots=True)
class FieldRow:
    name: str
    figure: Figure
    kappa: str  # "0.82", or "" when undefined or not categorical


def _fields(fields: list[retests.FieldConsistency]) -> list[FieldRow]:
    return [
        FieldRow(f.field, figure(f.field, f.pairs), "" if f.kappa is None else f"{f.kappa:.2f}")
        for f in fields
    ]


@dataclass(frozen=True, slots=True)
class PersonRow:
    person: retests.AnnotatorConsistency
    figure: Figure
    fields: list[FieldRow]
    few: bool


@dataclass(frozen=True, slots=True)
class PairRow:
    pair: retests.RetestPair
    first: str
    second: str
    gap: str  # time between the two answers, in words
    changed: list[str]  # the fields answered differently


def _gap(pair: retests.RetestPair) -> str:
    if pair.first_at is None:
        return ""
    seconds = max((pair.at - pair.first_at).total_seconds(), 0.0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'' if n == 1 else 's'} later"
    return "under a minute later"


def rule_text(report: retests.RetestReport) -> str:
    if report.rate is None:
        return ""
    return (
        f"{percent(report.rate, 1)} of the tasks each annotator gets re-serve one of their own "
        f"earlier items, at least {report.after} of their annotations old, unannounced"
    )


@router.get("/projects/{project}/consistency", response_class=HTMLResponse)
def consistency_page(request: Request, project: str, db: DB, actor: CurrentActor) -> HTMLResponse:
    report = retests.retest_report(db, project, actor=actor)  # the review right; vendor walls
    return page(
        request,
        "consistency.html",
        actor,
        report=report,
        rule=rule_text(report),
        overall=figure("everyone", report.same),
        fields=_fields(report.fields),
        rows=[
            PersonRow(a, figure(a.email, a.same), _fields(a.fields), a.same.total < FEW)
            for a in report.annotators
        ],
        pairs=[
            PairRow(
                p,
                "set aside before the retest" if p.first is None else describe(p.first),
                describe(p.second),
                _gap(p),
                [
                    k
                    for k in {**(p.first or {}), **p.second}
                    if (p.first or {}).get(k) != p.second.get(k)
                ]
                if p.first is not None
                else [],
            )
            for p in report.recent
        ],
        scale=plot_scale(None),
        few=FEW,
        consensus=quality_view.consensus_summary(db, project, actor=actor),
    )
