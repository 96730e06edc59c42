"""Request dependencies: the database, the settings, and who is asking."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from labelworks.config import Settings
from labelworks.domain.access import Action, Actor
from labelworks.domain.errors import PermissionDenied, Unauthenticated
from labelworks.server.params import ProjectName
from labelworks.server.security import CSRF_HEADER, SESSION_KEY, csrf_matches
from labelworks.services import access, auth, projects
from labelworks.services.auth import Credential
from labelworks.storage.engine import Database

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_ANONYMOUS = "log in or send 'Authorization: Bearer <token>'"


# The dependencies that only read the request or the app's state are coroutines: FastAPI
# runs a plain ``def`` dependency in the thread pool, a hop that costs more than the work.
async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def credential_of(request: Request) -> Credential | None:
    """What the caller presented: a Bearer token or the session cookie; ``None`` when
    anonymous. No I/O: checking it against the database is the caller's job.

    Cookie-authenticated writes must carry the session's CSRF token in ``X-CSRF-Token``;
    token-authenticated calls need none (a browser never attaches them by itself).
    """
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("use 'Authorization: Bearer <token>'")
        return Credential(token=token.strip())
    session = request.session.get(SESSION_KEY)
    if not isinstance(session, str):
        return None
    needs_header = request.method in _UNSAFE and not _page_form(request)
    if needs_header and not csrf_matches(request, request.headers.get(CSRF_HEADER)):
        raise PermissionDenied("missing or wrong CSRF token (send the X-CSRF-Token header)")
    return Credential(session=session)


def caller_of(request: Request) -> tuple[Database, Credential]:
    """The database and the caller's credential, for the annotators' hot routes, which read
    them in the route itself: resolving each declared dependency costs FastAPI more than
    the reading does. The service checks the credential inside its own transaction."""
    credential = credential_of(request)
    if credential is None:
        raise Unauthenticated(_ANONYMOUS)
    db: Database = request.app.state.db
    return db, credential


def optional_actor(request: Request) -> Actor | None:
    """The caller checked against the database; ``None`` when anonymous."""
    credential = credential_of(request)
    if credential is None:
        return None
    return auth.actor_for(request.app.state.db, credential)


def current_actor(request: Request) -> Actor:
    actor = optional_actor(request)
    if actor is None:
        raise Unauthenticated(_ANONYMOUS)
    return actor


def _page_form(request: Request) -> bool:
    """A plain HTML form posted to a page: the page checks the form's csrf_token field
    itself. API routes never take forms, so a cross-site form can never reach them."""
    content_type = request.headers.get("content-type", "")
    is_form = content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))
    return is_form and not request.url.path.startswith("/api/")


DB = Annotated[Database, Depends(get_db)]
AppSettings = Annotated[Settings, Depends(get_settings)]
CurrentActor = Annotated[Actor, Depends(current_actor)]


def _may_manage(project: ProjectName, db: DB, actor: CurrentActor) -> None:
    access.require(db, actor, project, Action.MANAGE)


def _may_review(project: ProjectName, db: DB, actor: CurrentActor) -> None:
    access.require(db, actor, project, Action.REVIEW)


def _may_apply_spec(project: ProjectName, db: DB, actor: CurrentActor) -> None:
    projects.check_may_apply(db, project, actor=actor)


# Declared before a body parameter, these refuse a caller before their body is read.
MayManage = Annotated[None, Depends(_may_manage)]
MayReview = Annotated[None, Depends(_may_review)]
MayApplySpec = Annotated[None, Depends(_may_apply_spec)]
