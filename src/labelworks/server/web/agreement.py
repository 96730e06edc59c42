"""The Agreement page (a Quality sub-tab): per categorical field, Krippendorff's alpha,
Fleiss' kappa and Gwet's AC1 with their 95% bootstrap intervals, each label's kappa and the
annotator-by-annotator kappa as charts. The browser face of ``services.agreement``.

The bootstraps take seconds on a big project, so a page never waits for them: a project
with few annotations is measured in the request; a bigger one shows the report kept for
its current state, or starts measuring in the background and polls (htmx) until the report
is kept, then reloads itself."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from labelworks.server.deps import DB, CurrentActor
from labelworks.server.web import charts
from labelworks.server.web.pages import DASHBOARD_MAX_AGE, page
from labelworks.services import agreement, quality_view
from labelworks.services import projects as project_service

router = APIRouter(include_in_schema=False)
# Up to this many annotations the bootstraps take well under a second: measured inline.
INLINE = 20_000
NAMES = {
    "krippendorff_alpha": "Krippendorff's α",
    "fleiss_kappa": "Fleiss' κ",
    "gwet_ac1": "Gwet's AC1",
}


def _charts(report: agreement.AgreementReport) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for f in report.fields:
        if any(k is not None for _, k in f.labels):
            out[f"labels-{f.field}"] = charts.label_kappas(f.field, f.labels)
        if f.pairs is not None and len(f.pairs.annotators) > 1:
            out[f"pairs-{f.field}"] = charts.pair_heatmap(
                f.field, f.pairs.annotators, f.pairs.kappa, f.pairs.shared
            )
    return out


@router.get("/projects/{project}/agreement", response_class=HTMLResponse)
def agreement_page(request: Request, project: str, db: DB, actor: CurrentActor) -> HTMLResponse:
    overview = project_service.project_overview(db, project, actor=actor, max_age=DASHBOARD_MAX_AGE)
    n = 0 if overview.status is None else overview.status.annotations
    if n <= INLINE:
        report: agreement.AgreementReport | None = agreement.project_agreement(
            db, project, actor=actor
        )
    else:
        report = agreement.kept_agreement(db, project, actor=actor)
        if report is None:
            agreement.measure_later(db, project, actor=actor)
    return page(
        request,
        "agreement.html",
        actor,
        project=project,
        report=report,
        annotations=n,
        names=NAMES,
        charts={} if report is None else _charts(report),
        label_rows={}
        if report is None
        else {
            f.field: [(str(lab), "–" if k is None else f"{k:.2f}") for lab, k in f.labels]
            for f in report.fields
        },
        pair_rows={}
        if report is None
        else {
            f.field: [
                (who, "–" if m is None else f"{m:.2f}")
                for who, m in zip(f.pairs.annotators, f.pairs.mean, strict=True)
            ]
            for f in report.fields
            if f.pairs is not None
        },
        consensus=quality_view.consensus_summary(db, project, actor=actor),
    )


@router.get("/projects/{project}/agreement/ready")
def agreement_ready(project: str, db: DB, actor: CurrentActor) -> Response:
    """For the page's poll: 200 with ``HX-Refresh`` once the report is kept (htmx reloads
    the page), 204 while it is being measured."""
    if agreement.kept_agreement(db, project, actor=actor) is None:
        return Response(status_code=204)
    return Response(status_code=200, headers={"HX-Refresh": "true"})
