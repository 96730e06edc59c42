"""A campaign's leaderboard page (under the Evaluation tab): the ratings with their
intervals as a chart and a table, the win-rate matrix, ties, position bias, agreement
between evaluators, length-controlled ratings, per-category boards, and the placement
record; for a rating campaign each criterion's means and agreement. The browser face of
``services.leaderboards``."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from labelworks.domain.errors import InvalidInput
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.web import evaluation_charts as charts
from labelworks.server.web.pages import page
from labelworks.server.web.quality import percent
from labelworks.services import evaluation
from labelworks.services.leaderboards import LeaderboardReport, leaderboard_report

router = APIRouter(include_in_schema=False)


def _ratings_chart(models: list[dict[str, Any]], title: str) -> dict[str, Any]:
    rows = [
        {
            "value": m["model"],
            "items": m["battles"],
            "estimate": m["rating"],
            "low": m["low"],
            "high": m["high"],
            "flagged": False,
        }
        for m in models
    ]
    return charts.slice_estimates(rows, title, signed=False, number=",.0f")


def _rows(models: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            m["rank"],
            m["model"],
            f"{m['rating']:.0f}",
            f"{m['low']:.0f}–{m['high']:.0f}",
            f"{m['battles']:,}",
            f"{m['wins']}–{m['losses']}–{m['ties']}",
            percent(m["win_rate"], 1),
        )
        for m in models
    ]


def _criterion_chart(criterion: dict[str, Any]) -> dict[str, Any] | None:
    rows = [
        {
            "value": m["model"],
            "items": m["n"],
            "estimate": m["mean"],
            "low": m["low"],
            "high": m["high"],
            "flagged": False,
        }
        for m in criterion["models"]
        if m["low"] is not None
    ]
    if not rows:
        return None
    title = f"{criterion['field']}: mean rating per model"
    return charts.slice_estimates(rows, title, signed=False, number=".2f")


@router.get("/projects/{project}/leaderboard", response_class=HTMLResponse)
def leaderboard_page(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    by: str = Query("", max_length=200),
) -> Response:
    evaluation.eval_runs(db, project, actor=actor, limit=1)  # the project and the right
    report: LeaderboardReport | None = None
    problem: str | None = None
    try:
        report = leaderboard_report(db, project, by=by.strip() or None, actor=actor)
    except InvalidInput as exc:
        problem = exc.message
    board = report.board if report is not None else None
    models = board["models"] if board else []
    names = [m["model"] for m in models]
    # The matrix in the board's order (best first), as stats.leaderboard gives it.
    categories = {
        value: {"rows": _rows(found["models"]), "battles": found["battles"]}
        for value, found in (report.categories if report else {}).items()
    }
    return page(
        request,
        "leaderboard.html",
        actor,
        project=project,
        report=report,
        problem=problem,
        board=board,
        by=by,
        ratings=_ratings_chart(models, "Ratings with 95% intervals") if models else None,
        rows=_rows(models),
        matrix=charts.win_matrix(names, board["win_rates"]) if board else None,
        matrix_columns=["model \\ against", *names],
        matrix_rows=[
            (a, *("–" if x is None else percent(x) for x in board["win_rates"][i]))
            for i, a in enumerate(names)
        ]
        if board
        else [],
        controlled=_rows(board["length_controlled"])
        if board and board["length_controlled"]
        else [],
        categories=categories,
        criteria=[
            {
                **c,
                "chart": _criterion_chart(c),
                "rows": [
                    (
                        m["model"],
                        "–" if m["mean"] is None else f"{m['mean']:.2f}",
                        "–" if m["low"] is None else f"{m['low']:.2f}–{m['high']:.2f}",
                        m["n"],
                    )
                    for m in c["models"]
                ],
            }
            for c in (report.criteria if report else [])
        ],
        percent=percent,
        here=f"/projects/{quote(project)}/evaluation",
    )
