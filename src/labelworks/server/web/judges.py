"""A campaign's LLM judges (under the Evaluation tab): the judges of the spec with what they
have answered and a Run button for managers, and each judge's calibration against the
people: agreement and Cohen's κ with their intervals, position bias, the two leaderboards
side by side, the confusion of their verdicts, agreement per category and the items where
they disagree most (also as CSV, ``?format=csv``); a rating campaign's judge score by
score (``judge_scores``). The browser face of ``services.judges`` and
``services.judge_calibration``."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelworks.domain.access import Action, Actor, allowed
from labelworks.domain.errors import InvalidInput, NotFound
from labelworks.formats import escape_formula
from labelworks.jobs import records
from labelworks.server.api.jobs import job_queue
from labelworks.server.deps import DB, AppSettings, CurrentActor
from labelworks.server.security import CSRF_FIELD
from labelworks.server.web import judge_charts, judge_scores
from labelworks.server.web.judge_scores import interval
from labelworks.server.web.pages import check_form_csrf, flash, page, take_flash
from labelworks.server.web.quality import percent
from labelworks.services import projects as project_service
from labelworks.services.judge_calibration import judge_calibration, wire
from labelworks.services.judges import JudgeSummary, list_judges
from labelworks.stats.judge_calibration import VERDICTS, Verdict, human_consensus

router = APIRouter(include_in_schema=False)
# Landis & Koch (1977): the words people read κ with, by lower bound.
KAPPA_WORDS = ((0.81, "almost perfect"), (0.61, "substantial"), (0.41, "moderate"),
               (0.21, "fair"), (0.0, "slight"))  # fmt: skip
CSV_COLUMNS = (
    "item_id", "external_id", "category", "left", "right", "people_left", "people_right",
    "people_tie", "people", "judge", "judge_in_order", "judge_swapped", "gap",
)  # fmt: skip
ACTIVE = ("queued", "running")


@dataclass(frozen=True, slots=True)
class JudgeCard:
    """A judge as its card shows it: the summary, where it answers, and a running job."""

    judge: JudgeSummary
    host: str
    prompt_link: str
    running: int | None


def endpoint_host(endpoint: str) -> str:
    """The endpoint's host and port: its path or query could carry what is not ours to
    show (a deployment name, a key some gateways take in the URL)."""
    parts = urlsplit(endpoint)
    host = parts.hostname or endpoint
    return f"{host}:{parts.port}" if parts.port else host


def prompt_link(ref: str) -> str:
    """The Prompts page of a judge's ``NAME@VERSION`` (or ``NAME``: its latest version)."""
    name, _, version = ref.partition("@")
    return f"/prompts/{quote(name)}" + (f"?version={quote(version)}" if version else "")


def kappa_words(kappa: float | None) -> str:
    """How κ is usually read (Landis & Koch 1977); below zero, worse than chance."""
    if kappa is None:
        return ""
    if kappa < 0:
        return "worse than chance"
    return next(word for low, word in KAPPA_WORDS if kappa >= low)


def may_run(actor: Actor) -> bool:
    """Whether the pages offer Run: the manage right, in a project the actor sees."""
    return allowed(actor, Action.MANAGE, member=True)


def _here(project: str) -> str:
    return f"/projects/{quote(project)}/judges"


@router.get("/projects/{project}/judges", response_class=HTMLResponse)
def judges_page(
    request: Request, project: str, db: DB, settings: AppSettings, actor: CurrentActor
) -> Response:
    problem: str | None = None
    try:
        found = list_judges(db, project, actor=actor)  # the review right, outside vendors
    except InvalidInput as exc:  # no campaign: the page says how to start one
        found, problem = [], exc.message
    spec = project_service.get_project(db, project, actor=actor).spec
    running: dict[str, int] = {}
    if found and may_run(actor):
        jobs = records.list_jobs(
            db, actor=actor, project=project, kind="judge", limit=50, data_dir=settings.data_dir
        )
        for job in reversed(jobs):  # newest last: the newest active run wins
            if job.state in ACTIVE:
                running[str(job.params.get("judge"))] = job.id
    cards = [
        JudgeCard(j, endpoint_host(j.endpoint), prompt_link(j.prompt), running.get(j.name))
        for j in found
    ]
    return page(
        request,
        "judges.html",
        actor,
        project=project,
        cards=cards,
        problem=problem,
        mode=spec.evaluation.mode if spec.evaluation else "pairwise",
        may_run=may_run(actor),
        notice=take_flash(request),
        here=_here(project),
    )


@router.post("/projects/{project}/judges/{judge}/run")
def run_judge_now(
    request: Request,
    project: str,
    judge: str,
    db: DB,
    actor: CurrentActor,
    csrf: str = Form("", alias=CSRF_FIELD),
) -> Response:
    check_form_csrf(request, csrf)
    # A judge taken out of the spec since the page was drawn is refused here, not left to
    # fail in the job.
    names = [j.name for j in list_judges(db, project, actor=actor)]
    if judge not in names:
        raise NotFound(f"project '{project}' has no judge '{judge}' (judges: {', '.join(names)})")
    job = records.create_job(db, "judge", {"judge": judge}, project=project, actor=actor)
    job_queue(request).enqueue(job.id)  # create_job checked the manage right
    flash(request, f"Judge {judge} started as job {job.id}: it asks only what it has not answered.")
    return RedirectResponse(f"/projects/{quote(project)}/jobs?kind=judge", status_code=303)


def _verdict(verdict: str | None, left: Any, right: Any) -> str:
    """A verdict in item terms as the model it picks ('tie'; '–' when not answered)."""
    return {"a": str(left), "b": str(right), "tie": "tie"}.get(verdict or "", "–")


def _disagreement_rows(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for d in found:
        votes: list[Verdict] = [
            v for v, n in zip(VERDICTS, d["human"], strict=True) for _ in range(n)
        ]
        people = human_consensus(votes)
        rows.append(
            {
                **d,
                "people_says": _verdict(people, d["left"], d["right"]),
                "judge_says": _verdict(d["judge"], d["left"], d["right"]),
                "in_order": _verdict(d["first"], d["left"], d["right"]),
                "swapped_says": _verdict(d["swapped"], d["left"], d["right"]),
                # Both orders answered, differently: the judge followed the position.
                "flipped": d["first"] is not None
                and d["swapped"] is not None
                and d["first"] != d["swapped"],
            }
        )
    return rows


def _board_rows(people: list[dict[str, Any]], judge: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    theirs = {m["model"]: m for m in judge}
    order = [m["model"] for m in people] + [m["model"] for m in judge if m["model"] not in {
        p["model"] for p in people}]  # fmt: skip
    mine = {m["model"]: m for m in people}

    def cells(m: dict[str, Any] | None) -> tuple[str, str, str]:
        if m is None:
            return "–", "–", "–"
        return str(m["rank"]), f"{m['rating']:.0f}", f"{m['low']:.0f}–{m['high']:.0f}"

    return [(name, *cells(mine.get(name)), *cells(theirs.get(name))) for name in order]


def _category_rows(by_category: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            value,
            f"{found['items']:,}",
            interval(found["percent"], share=True),
            interval(found["kappa"], share=False),
        )
        for value, found in by_category.items()
    ]


@router.get("/projects/{project}/judges/{judge}/calibration", response_class=HTMLResponse)
def calibration_page(
    request: Request,
    project: str,
    judge: str,
    db: DB,
    actor: CurrentActor,
    by: str = Query("", max_length=200),
    format: str = "html",
) -> Response:
    chosen = by.strip() or None
    report = wire(judge_calibration(db, project, judge, by=chosen, actor=actor))
    spec = project_service.get_project(db, project, actor=actor).spec
    pairwise = spec.evaluation is not None and spec.evaluation.mode == "pairwise"
    rating = report["rating"]
    disagreements = _disagreement_rows(report["disagreements"])
    if format == "csv" and not pairwise:  # a rating judge's list, empty before its run
        found = rating or {"disagreements": []}
        return judge_scores.disagreements_csv(report["project"], judge, found)
    if format == "csv":
        return _disagreements_csv(report, disagreements)
    overall = report["overall"]
    people, judged = report["human_board"], report["judge_board"]
    scores = None
    if rating is not None:
        scale = judge_scores.scale_of(spec.fields, rating["field"])
        scores = judge_scores.view(rating, scale, chosen)
    agreement = (rating["overall"] if rating else overall) or {}
    return page(
        request,
        "judge_calibration.html",
        actor,
        project=report["project"],
        judge=judge,
        report=report,
        by=by,
        overall=overall,
        bias=report["position_bias"],
        tau=report["tau"],
        kappa_words=kappa_words(agreement["kappa"]["value"] if agreement.get("kappa") else None),
        boards=judge_charts.boards(people, judged) if people or judged else None,
        board_rows=_board_rows(people, judged),
        confusion=judge_charts.confusion(overall["confusion"]) if overall else None,
        confusion_rows=[
            (
                judge_charts.OUTCOME_OF[h],
                *(overall["confusion"][h].get(v, 0) for v in ("a", "b", "tie")),
            )
            for h in ("a", "b", "tie")
        ]
        if overall
        else [],
        category_chart=judge_charts.per_category(
            report["by_category"], "percent", f"agreement per {chosen}"
        )
        if chosen
        else None,
        category_rows=_category_rows(report["by_category"]),
        disagreements=disagreements,
        # Nothing answered yet (a judge that never ran): the page offers the run rather
        # than the service's reason.
        waiting=report["reason"] is not None and report["prompt"] is None,
        pairwise=pairwise,
        # A rating campaign's judge is compared score by score (the API's ``rating``).
        scores=scores,
        may_run=may_run(actor),
        percent=percent,
        here=_here(report["project"]),
        evaluation=f"/projects/{quote(report['project'])}/evaluation",
    )


def _disagreements_csv(report: dict[str, Any], rows: list[dict[str, Any]]) -> Response:
    """The disagreement list for a spreadsheet: verdicts as the model they pick."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for d in rows:
        a, b, tie = d["human"]
        texts = (d["external_id"], d["category"] or "", d["left"], d["right"])
        verdicts = (d["people_says"], d["judge_says"], d["in_order"], d["swapped_says"])
        # Item texts and model names are untrusted: no cell may run as a formula.
        safe = [escape_formula(str(t)) for t in (*texts, *verdicts)]
        writer.writerow([d["item"], *safe[:4], a, b, tie, *safe[4:], f"{d['gap']:.3f}"])
    name = f"{report['project']}-{report['judge']}-disagreements.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
