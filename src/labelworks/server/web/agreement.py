"""The Agreement page (a Quality sub-tab), the browser face of ``services.agreement``: per
field, over a period and a vendor's people (kept in the URL), Krippendorff's alpha, Fleiss'
kappa and Gwet's AC1 with their 95% bootstrap intervals first, then the annotator-by-
annotator kappa and each annotator against the rest, the labels confused with each other
and each label's kappa as charts (each with its table), and the most contested items,
linked to their pages; a spans, boxes or segments field shows its pairwise F1.

The bootstraps take seconds on a big project, so a page never waits for them: a project
with few annotations is measured in the request; a bigger one shows the report kept for
its current state and filters, or starts measuring in the background and polls (htmx)
until the report is kept, then reloads itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from labelworks.domain.errors import InvalidInput
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.web import agreement_charts, charts
from labelworks.server.web.pages import page
from labelworks.services import agreement, quality_view
from labelworks.services.agreement import AgreementReport, FieldAgreement
from labelworks.services.disagreement import AnnotatorAgreement

router = APIRouter(include_in_schema=False)
# Up to this many annotations the bootstraps take well under a second: measured inline.
INLINE = 20_000
NAMES = {
    "krippendorff_alpha": "Krippendorff's α",
    "fleiss_kappa": "Fleiss' κ",
    "gwet_ac1": "Gwet's AC1",
}
PERIODS = {"7d": ("Last 7 days", 7), "30d": ("Last 30 days", 30)}
# Krippendorff (2004, §11.4): rely on alpha >= .800; draw tentative conclusions >= .667.
VERDICTS = ((0.8, "reliable", "good"), (0.667, "tentative", "warn"), (-2.0, "not reliable", "bad"))


@dataclass(frozen=True, slots=True)
class Asked:
    """The page's filters as the URL gives them, and what they mean."""

    period: str  # "all", "7d", "30d" or "custom"
    since_text: str
    until_text: str
    vendor: str
    field: str
    since: datetime | None = None
    until: datetime | None = None

    def filters(self) -> dict[str, Any]:
        """The service's filter arguments."""
        return {"since": self.since, "until": self.until, "vendor": self.vendor or None}

    def query(self) -> str:
        """The filters as a query string (for the poll), without the empty ones."""
        pairs = {
            "period": "" if self.period in ("all", "custom") else self.period,
            "since": self.since_text,
            "until": self.until_text,
            "vendor": self.vendor,
            "field": self.field,
        }
        return urlencode({k: v for k, v in pairs.items() if v})


def _asked(period: str, since: str, until: str, vendor: str, field: str, today: date) -> Asked:
    """The filters; a preset period starts at midnight UTC ``n - 1`` days before today (so
    the cache key holds all day), a custom ``until`` day is included whole."""
    start, end = None, None
    since, until = since.strip(), until.strip()
    if period in PERIODS:
        start = datetime.combine(today - timedelta(days=PERIODS[period][1] - 1), time())
        since = until = ""
    else:
        start = agreement.moment(since, "since") if since else None
        end = agreement.moment(until, "until") if until else None
        if end is not None and len(until) == 10:  # a day: all of it
            end += timedelta(days=1)
        period = "custom" if since or until else "all"
    return Asked(period, since, until, vendor.strip(), field.strip(), start, end)


Table = tuple[list[str], list[list[Any]]]


def _tables(f: FieldAgreement) -> dict[str, Table]:
    """The field's charts' tables: ``(columns, rows)`` each."""
    out: dict[str, Table] = {
        "labels": (["label", "κ"], [[str(lab), _two(k)] for lab, k in f.labels]),
        "rest": (
            ["annotator", "items", "label pairs", "agree", "κ", "95% interval"],
            [_rest_row(a) for a in f.with_rest],
        ),
    }
    if f.pairs is not None:
        p = f.pairs
        out["pairs"] = (
            ["annotator", "mean κ with the others", *p.annotators],
            [
                [who, _two(p.mean[i]), *(_two(k) if i != j else "" for j, k in enumerate(row))]
                for i, (who, row) in enumerate(zip(p.annotators, p.kappa, strict=True))
            ],
        )
    if f.confusion is not None:
        c = f.confusion
        out["confusion"] = (
            ["one said \\ another said", *map(str, c.labels)],
            [[str(lab), *row] for lab, row in zip(c.labels, c.counts, strict=True)],
        )
    if f.structured is not None:
        s = f.structured
        out["f1"] = (
            ["annotator", "F1 with the others", *s.annotators],
            [
                [who, _two(v), *(_two(x) if i != j else "" for j, x in enumerate(row))]
                for i, (who, v, row) in enumerate(
                    zip(s.annotators, s.annotator_f1, s.pair_f1, strict=True)
                )
            ],
        )
    return out


def _rest_row(a: AnnotatorAgreement) -> list[Any]:
    k = a.kappa
    return [a.annotator, a.items, a.pairs, _share(a.percent), _two(k.value), _range(k.low, k.high)]


def _two(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def _share(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


def _range(low: float | None, high: float | None) -> str:
    return "–" if low is None or high is None else f"{low:.2f} to {high:.2f}"


def _charts(f: FieldAgreement) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if f.pairs is not None and len(f.pairs.annotators) > 1:
        p = f.pairs
        out["pairs"] = charts.pair_heatmap(f.field, p.annotators, p.kappa, p.shared)
    if any(a.kappa.value is not None for a in f.with_rest):
        out["rest"] = agreement_charts.with_rest(f.field, f.with_rest)
    if f.confusion is not None and len(f.confusion.labels) > 1:
        out["confusion"] = agreement_charts.confusion_heatmap(f.field, f.confusion)
    if any(k is not None for _, k in f.labels):
        out["labels"] = charts.label_kappas(f.field, f.labels)
    s = f.structured
    if s is not None and len(s.annotators) > 1:
        out["f1"] = agreement_charts.f1_heatmap(f.field, s.annotators, s.pair_f1, s.shared)
    return out


def verdict(value: float | None) -> tuple[str, str] | None:
    """How to read an alpha: ``(words, tone)``."""
    if value is None:
        return None
    return next((words, tone) for bar, words, tone in VERDICTS if value >= bar)


@router.get("/projects/{project}/agreement", response_class=HTMLResponse)
def agreement_page(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    period: str = Query("", max_length=20),
    since: str = Query("", max_length=64),
    until: str = Query("", max_length=64),
    vendor: str = Query("", max_length=200),
    field: str = Query("", max_length=200),
) -> HTMLResponse:
    choices = agreement.agreement_choices(db, project, actor=actor)  # the rights first
    n = choices.annotations
    report: AgreementReport | None = None
    error = None
    asked = Asked(period, since, until, vendor, field)
    try:
        asked = _asked(period, since, until, vendor, field, datetime.now(UTC).date())
        filters = asked.filters()
        one = asked.field or None
        if n <= INLINE:
            report = agreement.project_agreement(db, project, field=one, actor=actor, **filters)
        else:  # the last report kept, refreshed in the background when the project moved
            report = agreement.kept_agreement(
                db, project, field=one, latest=True, actor=actor, state=choices.state, **filters
            )
            if report is None or report.annotations != n:
                agreement.measure_later(db, project, actor=actor, **filters)
    except InvalidInput as exc:
        error = exc.message
    return page(
        request,
        "agreement.html",
        actor,
        status=200 if error is None else 422,
        project=project,
        report=report,
        error=error,
        asked=asked,
        periods=PERIODS,
        choices=choices,
        annotations=n,
        stale=report is not None and n > INLINE and report.annotations != n,
        names=NAMES,
        verdict=verdict,
        charts={} if report is None else {f.field: _charts(f) for f in report.fields},
        tables={} if report is None else {f.field: _tables(f) for f in report.fields},
        consensus=quality_view.consensus_summary(db, project, actor=actor),
    )


@router.get("/projects/{project}/agreement/ready")
def agreement_ready(
    project: str,
    db: DB,
    actor: CurrentActor,
    period: str = Query("", max_length=20),
    since: str = Query("", max_length=64),
    until: str = Query("", max_length=64),
    vendor: str = Query("", max_length=200),
    after: int = Query(-1, ge=-1, le=2**31 - 1),
) -> Response:
    """For the page's poll: 200 with ``HX-Refresh`` (htmx reloads the page) once a report
    with the page's filters is kept that was measured at another annotation count than
    ``after``, the one the page shows (-1: none); 204 while it is being measured."""
    asked = _asked(period, since, until, vendor, "", datetime.now(UTC).date())
    kept = agreement.kept_agreement(db, project, latest=True, actor=actor, **asked.filters())
    if kept is None or kept.annotations == after:
        return Response(status_code=204)
    return Response(status_code=200, headers={"HX-Refresh": "true"})
