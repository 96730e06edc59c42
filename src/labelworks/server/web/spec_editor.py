"""The spec editor's shared parts, and the New project page.

The editor (here and on a project's Settings tab) checks the YAML as it is typed: the check
route answers a fragment with every problem as the CLI reports it (``spec.yaml, line 6,
field 'fields[0].labels': …``), or, for a valid spec, the labeling page's widgets for a
sample item (``static/js/spec_editor.js`` draws them: nothing is leased or submitted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelworks.domain.access import Actor, may_create_projects
from labelworks.domain.errors import InvalidInput, InvalidSpec, LabelworksError, PermissionDenied
from labelworks.domain.media import MediaRef, media_refs
from labelworks.domain.spec import ProjectSpec
from labelworks.domain.spec_preview import SAMPLE_MEDIA, sample_payload
from labelworks.formats.json_input import load_json
from labelworks.server.bodies import LIMIT_KEY, RawBody
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.errors import status_for
from labelworks.server.security import CSRF_FIELD
from labelworks.server.web.content import media_url
from labelworks.server.web.markdown import render_markdown
from labelworks.server.web.pages import check_form_csrf, page
from labelworks.server.web.simulate import SpecProblem, spec_problems
from labelworks.services import projects as project_service
from labelworks.services.access import a_role

router = APIRouter(include_in_schema=False)

# What the editor's messages call the text in it (the CLI names the file).
SOURCE = "spec.yaml"
SAMPLE_SOURCE = "sample item"
# Spec forms carry the whole spec, guidelines included: the spec's body limit.
SPEC_FORM = {LIMIT_KEY: "spec"}
STARTER = """\
name: my-project
description: What annotators do here, in one line
fields:
  - name: sentiment
    kind: choice
    labels: [positive, negative, neutral]
    source: text          # the payload key the field is about
overlap: 1                # independent annotations per item
guidelines: |
  # Guidelines
  Pick the sentiment the author expresses.
guidelines_changelog: first version
"""


@dataclass(frozen=True, slots=True)
class SpecForm:
    """A posted editor form: the spec's text and the sample item's (empty: generated)."""

    spec: str
    sample: str = ""
    force: bool = False


def read_form(request: Request, raw: bytes) -> SpecForm:
    """The editor's fields from a posted form, once its CSRF token is checked."""
    form = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True)

    def first(name: str) -> str | None:
        values = form.get(name)
        return values[0] if values else None

    check_form_csrf(request, first(CSRF_FIELD) or "")
    return SpecForm(
        spec=(first("spec") or "").replace("\r\n", "\n"),
        sample=first("sample") or "",
        force=first("force") in ("on", "true", "1"),
    )


@dataclass(frozen=True, slots=True)
class Checked:
    """The editor's check: the spec when valid; the headline error (the CLI's one line) and
    every problem with its line when not; the labeling preview's data when valid."""

    spec: ProjectSpec | None
    error: str | None = None
    problems: list[SpecProblem] = field(default_factory=list)
    preview: dict[str, Any] | None = None
    sample_error: str | None = None
    guidelines_html: str = ""


def check_text(form: SpecForm, project: str | None) -> Checked:
    """Parse the editor's text as the CLI would a file (inline guidelines only) and, when
    it is valid, build the preview: the sample item (the form's, else one generated from
    the fields), its media, and the fields the widgets draw."""
    try:
        spec = project_service.spec_from_text(form.spec, source=SOURCE)
        if project is not None:
            spec = project_service.spec_for_project(spec, project, source=SOURCE)
    except InvalidSpec as exc:
        return Checked(None, str(exc), spec_problems(exc, form.spec))
    sample_error = None
    payload = sample_payload(spec.fields)
    if form.sample.strip():
        try:
            given = load_json(form.sample.encode("utf-8", "surrogateescape"), source=SAMPLE_SOURCE)
            if not isinstance(given, dict):
                raise InvalidInput("the sample item must be a JSON object of payload keys")
            payload = given
        except InvalidInput as exc:
            sample_error = f"{exc}; the preview shows a generated sample instead"
    return Checked(
        spec,
        preview=preview_of(spec, payload, project),
        sample_error=sample_error,
        guidelines_html=render_markdown(spec.guidelines) if spec.guidelines else "",
    )


def preview_of(spec: ProjectSpec, payload: dict[str, Any], project: str | None) -> dict[str, Any]:
    """What ``spec_editor.js`` draws: the fields as the labeling page gets them, the sample
    payload, and its media as URLs (the bundled samples, the project's media files, or
    remote URLs where the spec allows them)."""
    media = {
        key: _sample_or_project_url(project, ref)
        for key, ref in media_refs(
            spec.fields, payload, allow_remote=spec.allow_remote_media
        ).items()
    }
    return {
        "name": spec.name,
        "description": spec.description,
        "fields": [f.model_dump(mode="json", by_alias=True) for f in spec.fields],
        "payload": payload,
        "media": {key: url for key, url in media.items() if url is not None},
    }


def _sample_or_project_url(project: str | None, ref: MediaRef) -> str | None:
    if ref.where == "local" and ref.value in SAMPLE_MEDIA.values():
        return f"/static/preview/{quote(ref.value)}"
    if ref.where == "local" and project is None:
        return None  # a project that does not exist yet has no media files
    return media_url(project or "", ref)


def check_fragment(request: Request, actor: Actor, form: SpecForm, project: str | None) -> Response:
    """The check's answer: the problems or the preview, as the editor swaps it in."""
    return page(request, "spec_check.html", actor, check=check_text(form, project))


def _may_create(actor: CurrentActor) -> Actor:
    if not may_create_projects(actor):
        raise PermissionDenied(f"{a_role(actor.role)} may not create projects")
    return actor


Creator = Annotated[Actor, Depends(_may_create)]


def _new_page(
    request: Request, actor: Actor, form: SpecForm, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    return page(
        request,
        "new_project.html",
        actor,
        status=status,
        form=form,
        check=check_text(form, None),
        error=error,
    )


@router.get("/projects/new", response_class=HTMLResponse)
def new_project_page(request: Request, actor: Creator) -> HTMLResponse:
    return _new_page(request, actor, SpecForm(spec=STARTER))


@router.post("/projects/new/check", response_class=HTMLResponse, openapi_extra=SPEC_FORM)
def new_project_check(request: Request, actor: Creator, raw: RawBody) -> Response:
    return check_fragment(request, actor, read_form(request, raw), None)


@router.post("/projects/new", openapi_extra=SPEC_FORM)
def create_project(request: Request, db: DB, actor: Creator, raw: RawBody) -> Response:
    """Create the project from the editor's spec; its Overview next, or the page again
    with the problems (and the text as it was typed)."""
    form = read_form(request, raw)
    try:
        spec = project_service.spec_from_text(form.spec, source=SOURCE)
        done = project_service.apply_spec(
            db, spec, guidelines=spec.guidelines, actor=actor, new_only=True
        )
    except LabelworksError as exc:
        return _new_page(request, actor, form, error=str(exc), status=status_for(exc))
    return RedirectResponse(f"/projects/{quote(done.project)}", status_code=303)
