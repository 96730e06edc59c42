"""A project's Duplicates and Sampling pages (under its Settings tab).

- **Duplicates**: a form (text or image key, threshold), the clusters found with their
  members side by side (texts, or thumbnails of local images) and a button that keeps the
  earliest item of each cluster and deletes the others (``services.duplicates``).
- **Sampling**: a form (strategy, n, keys, target project, seed); *Preview* shows the
  allocation per stratum and the picks without copying, *Sample* copies them into the
  target (``services.sampling``). The preview's seed is put back in the form, so sampling
  after a preview copies exactly what the preview showed.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelworks.domain.access import Actor, wall
from labelworks.domain.errors import InvalidInput, LabelworksError, Location, PermissionDenied
from labelworks.server.bodies import RawBody
from labelworks.server.deps import DB, AppSettings, CurrentActor, MayManage
from labelworks.server.errors import status_for
from labelworks.server.security import CSRF_FIELD
from labelworks.server.web.pages import check_form_csrf, flash, page, take_flash
from labelworks.services import duplicates, sampling
from labelworks.services import projects as project_service
from labelworks.services.duplicates import DuplicateReport
from labelworks.storage.engine import Database

router = APIRouter(include_in_schema=False)
DUPLICATES = "/projects/{project}/settings/duplicates"
SAMPLING = "/projects/{project}/settings/sample"
SHOWN = 50  # clusters and picks shown on a page
Form = dict[str, str]


def _form(raw: bytes) -> Form:
    parsed = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
    form = {k: v[0] for k, v in parsed.items() if v}
    for key, value in form.items():
        if "\x00" in value:
            raise InvalidInput(
                f"{key} must not contain a NUL character", location=Location(field=key)
            )
    return form


def _threshold(text: str) -> float:
    try:
        return float(text) if text.strip() else duplicates.DEFAULT_THRESHOLD
    except ValueError:
        raise InvalidInput(f"threshold must be a number, not '{text[:40]}'") from None


def _whole(text: str, name: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, not '{text[:40]}'") from None


def media_src(project: str, path: str) -> str | None:
    """The media route's URL for a local image path (remote ones are not shown)."""
    if not path or "://" in path or path.startswith("/"):
        return None
    return f"/media/{quote(project, safe='')}/{quote(path)}"


@router.get(DUPLICATES, response_class=HTMLResponse)
def duplicates_page(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    settings: AppSettings,
    _may: MayManage,
    kind: str = "text",
    key: str = "",
    threshold: str = "",
) -> HTMLResponse:
    """The form; with a key, the clusters found and the keep-one button."""
    report: DuplicateReport | None = None
    error = None
    status = 200
    form = {
        "kind": kind if kind in ("text", "image") else "text",
        "key": key,
        "threshold": threshold,
    }
    if key:
        try:
            report = duplicates.find_duplicates(
                db,
                project,
                text_key=key if form["kind"] == "text" else None,
                image_key=key if form["kind"] == "image" else None,
                threshold=_threshold(threshold),
                media_root=Path(settings.data_dir) / "media",
                actor=actor,
            )
        except InvalidInput as exc:
            error, status = str(exc), status_for(exc)
    else:
        project_service.get_project(db, project, actor=actor)
        if wall(actor) is not None:  # as finding would say once a key is given
            raise PermissionDenied(
                "finding duplicates reads every vendor's items; vendors' staff may not"
            )
    return page(
        request,
        "duplicates.html",
        actor,
        status=status,
        project=project,
        form=form,
        report=report,
        shown=report.clusters[:SHOWN] if report else [],
        media_src=media_src,
        error=error,
        notice=take_flash(request),
        tab="settings",
    )


@router.post(f"{DUPLICATES}/keep-one")
def keep_one(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    settings: AppSettings,
    _may: MayManage,
    raw: RawBody,
) -> Response:
    """Keep the earliest item of each cluster; back to the clusters with what happened."""
    form = _form(raw)
    check_form_csrf(request, form.get(CSRF_FIELD, ""))
    kind, key = form.get("kind", "text"), form.get("key", "")
    back = (
        DUPLICATES.format(project=quote(project, safe=""))
        + "?"
        + urlencode({"kind": kind, "key": key, "threshold": form.get("threshold", "")})
    )
    try:
        kept = duplicates.keep_one(
            db,
            project,
            text_key=key if kind != "image" else None,
            image_key=key if kind == "image" else None,
            threshold=_threshold(form.get("threshold", "")),
            media_root=Path(settings.data_dir) / "media",
            actor=actor,
        )
    except LabelworksError as exc:
        flash(request, str(exc), ok=False)
        return RedirectResponse(back, status_code=303)
    n = len(kept.removed)
    flash(request, f"Kept one item per cluster: deleted {n:,} item{'' if n == 1 else 's'}.")
    return RedirectResponse(back, status_code=303)


def _sampling(
    request: Request,
    db: Database,
    actor: Actor,
    project: str,
    form: Form,
    *,
    result: sampling.SampleResult | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    targets = [p.name for p in project_service.list_projects(db, actor=actor) if p.name != project]
    return page(
        request,
        "sampling.html",
        actor,
        status=status,
        project=project,
        form=form,
        targets=targets,
        result=result,
        picks=result.picks[:SHOWN] if result else [],
        strategies=sampling.STRATEGIES,
        error=error,
        notice=take_flash(request),
        tab="settings",
    )


@router.get(SAMPLING, response_class=HTMLResponse)
def sampling_page(
    request: Request, project: str, db: DB, actor: CurrentActor, _may: MayManage
) -> HTMLResponse:
    """The sampling form."""
    project_service.get_project(db, project, actor=actor)
    return _sampling(request, db, actor, project, {"strategy": "random", "n": "100"})


@router.post(SAMPLING, response_class=HTMLResponse)
def sample(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    settings: AppSettings,
    _may: MayManage,
    raw: RawBody,
) -> Response:
    """Preview (``action=preview``) or copy the sample; the page again with the outcome."""
    form = _form(raw)
    check_form_csrf(request, form.get(CSRF_FIELD, ""))
    form.pop(CSRF_FIELD, None)
    preview = form.get("action") != "sample"
    try:
        n = _whole(form.get("n", ""), "n")
        result = sampling.sample_items(
            db,
            project,
            strategy=form.get("strategy", ""),
            n=0 if n is None else n,
            into=form.get("into", ""),
            by=form.get("by") or None,
            vectors=form.get("vectors") or None,
            measure=form.get("measure", "least"),
            equal=form.get("equal") == "true",
            seed=_whole(form.get("seed", ""), "seed"),
            preview=preview,
            actor=actor,
            data_dir=settings.data_dir,
        )
    except LabelworksError as exc:
        return _sampling(request, db, actor, project, form, error=str(exc), status=status_for(exc))
    if result.seed is not None:
        form["seed"] = str(result.seed)
    if preview:
        return _sampling(request, db, actor, project, form, result=result)
    there = (
        f" ({result.skipped_duplicates:,} were there already)" if result.skipped_duplicates else ""
    )
    flash(
        request,
        f"Copied {result.inserted:,} of {len(result.picks):,} sampled items into "
        f"{result.into}{there}{sampling.suggestions_note(result)}.",
    )
    return RedirectResponse(SAMPLING.format(project=quote(project, safe="")), status_code=303)
