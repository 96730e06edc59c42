"""The ASGI application factory."""

from __future__ import annotations

import gc
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from labelworks import __version__
from labelworks.config import Settings
from labelworks.domain.login_policy import LoginRules
from labelworks.jobs.queue import JobQueue
from labelworks.server import errors
from labelworks.server.api import (
    activity,
    agreement,
    audit,
    consistency,
    delivery,
    escalations,
    gold,
    guidelines,
    items,
    people,
    preview,
    projects,
    quality,
    system,
    work,
)
from labelworks.server.api import assist as assist_api
from labelworks.server.api import capacity as capacity_api
from labelworks.server.api import coaching as coaching_api
from labelworks.server.api import dataset_exports as dataset_exports_api
from labelworks.server.api import dataset_imports as dataset_imports_api
from labelworks.server.api import duplicates as duplicates_api
from labelworks.server.api import evaluation as evaluation_api
from labelworks.server.api import experiments as experiments_api
from labelworks.server.api import generations as generations_api
from labelworks.server.api import jobs as jobs_api
from labelworks.server.api import judges as judges_api
from labelworks.server.api import label_studio as label_studio_api
from labelworks.server.api import lots as lots_api
from labelworks.server.api import media as media_api
from labelworks.server.api import members as members_api
from labelworks.server.api import people_analytics as people_analytics_api
from labelworks.server.api import pii as pii_api
from labelworks.server.api import project_removal as removal_api
from labelworks.server.api import prompts as prompts_api
from labelworks.server.api import qualification as qualification_api
from labelworks.server.api import report as report_api
from labelworks.server.api import reviews as reviews_api
from labelworks.server.api import sources as sources_api
from labelworks.server.api import spec_history as spec_history_api
from labelworks.server.api import vendors as vendors_api
from labelworks.server.api import webhooks as webhooks_api
from labelworks.server.bodies import BodyLimits
from labelworks.server.security import SESSION_COOKIE, SecurityHeaders
from labelworks.server.web import adjudication as adjudication_pages
from labelworks.server.web import agreement as agreement_pages
from labelworks.server.web import audit as audit_pages
from labelworks.server.web import capacity as capacity_pages
from labelworks.server.web import coaching as coaching_pages
from labelworks.server.web import consistency as consistency_pages
from labelworks.server.web import dataset_imports as dataset_import_pages
from labelworks.server.web import duplicates as duplicate_pages
from labelworks.server.web import escalations as escalation_pages
from labelworks.server.web import evaluation as evaluation_pages
from labelworks.server.web import experiments as experiment_pages
from labelworks.server.web import generations as generation_pages
from labelworks.server.web import items as item_pages
from labelworks.server.web import jobs as job_pages
from labelworks.server.web import judges as judge_pages
from labelworks.server.web import leaderboard as leaderboard_pages
from labelworks.server.web import lots as lot_pages
from labelworks.server.web import media, pages
from labelworks.server.web import media_files as media_file_routes
from labelworks.server.web import media_settings as media_pages
from labelworks.server.web import members as member_pages
from labelworks.server.web import model as model_pages
from labelworks.server.web import model_curve as model_curve_pages
from labelworks.server.web import people as people_pages
from labelworks.server.web import people_analytics as people_analytics_pages
from labelworks.server.web import privacy as privacy_pages
from labelworks.server.web import project as project_pages
from labelworks.server.web import project_settings as settings_pages
from labelworks.server.web import prompts as prompt_pages
from labelworks.server.web import quality as quality_pages
from labelworks.server.web import report as report_pages
from labelworks.server.web import review as review_pages
from labelworks.server.web import simulate as simulate_pages
from labelworks.server.web import spec_editor as spec_editor_pages
from labelworks.server.web import spec_history as spec_history_pages
from labelworks.server.web import transfer as transfer_pages
from labelworks.server.web import vendors as vendor_pages
from labelworks.server.web import webhooks as webhook_pages
from labelworks.services import privacy
from labelworks.storage import migration
from labelworks.storage.engine import Database

WEB = Path(__file__).with_name("web")


def json_text(value: object, indent: int | None = None) -> str:
    """JSON for people to read: real characters (autoescaping makes it safe), unlike
    ``|tojson``, whose ``\\u003c`` escapes are meant for script blocks."""
    return json.dumps(value, indent=indent, ensure_ascii=False, sort_keys=True)


# Every route the app serves, in matching order: the annotators' work first (most requests,
# and every route tried before the matching one costs a regex), pages last (the loosest).
ROUTERS: tuple[APIRouter, ...] = (
    work.router,
    preview.router,
    system.router,
    projects.router,
    dataset_exports_api.router,
    dataset_imports_api.router,
    report_api.router,
    label_studio_api.router,
    activity.router,
    removal_api.router,
    spec_history_api.router,
    items.router,
    people.router,
    people_analytics_api.router,
    members_api.router,
    gold.router,
    guidelines.router,
    audit.router,
    qualification_api.router,
    quality.router,
    consistency.router,
    agreement.router,
    reviews_api.router,
    lots_api.router,
    experiments_api.router,
    webhooks_api.router,
    sources_api.router,
    media_api.router,
    pii_api.router,
    assist_api.router,
    evaluation_api.router,
    prompts_api.router,
    judges_api.router,
    generations_api.router,
    jobs_api.router,
    vendors_api.router,
    capacity_api.router,
    duplicates_api.router,
    escalations.router,
    coaching_api.router,
    delivery.router,
    media.router,
    media_file_routes.router,
    pages.router,
    spec_editor_pages.router,  # before the project pages: /projects/new is no project
    project_pages.router,
    item_pages.router,
    settings_pages.router,
    spec_history_pages.router,
    people_pages.router,
    people_analytics_pages.router,
    vendor_pages.router,
    capacity_pages.router,
    coaching_pages.router,
    member_pages.router,
    privacy_pages.router,
    webhook_pages.router,
    transfer_pages.router,
    dataset_import_pages.router,
    report_pages.router,
    media_pages.router,
    quality_pages.router,
    consistency_pages.router,
    agreement_pages.router,
    audit_pages.router,
    adjudication_pages.router,
    escalation_pages.router,
    review_pages.router,
    lot_pages.router,
    experiment_pages.router,
    job_pages.router,
    model_pages.router,
    model_curve_pages.router,
    evaluation_pages.router,
    leaderboard_pages.router,
    judge_pages.router,
    generation_pages.router,
    simulate_pages.router,
    prompt_pages.router,
    duplicate_pages.router,
)


def routes() -> list[APIRoute]:
    """The routes of ``ROUTERS``, for the error mapping's ``Allow`` and for tests."""
    return [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]


@asynccontextmanager
async def _job_consumer(app: FastAPI) -> AsyncIterator[None]:
    """A server process's own job consumer, when the queue is embedded (no Redis): the
    one-command demo runs its jobs with nothing else running."""
    settings: Settings = app.state.settings
    consumer = None
    if not settings.redis_url and settings.embedded_job_threads > 0:
        queue = JobQueue(settings, app.state.db)
        app.state.job_queue = queue
        consumer = queue.consumer(settings.embedded_job_threads, in_server=True)
        consumer.start()
    try:
        yield
    finally:
        if consumer is not None:
            consumer.stop()


def create_app(
    settings: Settings | None = None,
    database: Database | None = None,
    *,
    run_jobs: bool = False,
) -> FastAPI:
    """Build the app; an embedded SQLite database is created and migrated on start.
    ``run_jobs`` starts a job consumer in the process while the app runs (``serve``)."""
    settings = settings or Settings()
    db = database or Database(
        settings.effective_database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    if db.is_sqlite:
        migration.upgrade(db)
    app = FastAPI(
        title="labelworks",
        version=__version__,
        description="Self-hosted ML data and annotation operations.",
        docs_url=None,  # served by the system router from vendored files
        redoc_url=None,
        lifespan=_job_consumer if run_jobs else None,
    )
    app.state.settings = settings
    privacy.install_setting(settings.pii_analyser)
    app.state.db = db
    templates = Jinja2Templates(directory=str(WEB / "templates"))
    templates.env.filters["json_text"] = json_text
    app.state.templates = templates
    app.state.login_rules = LoginRules(
        per_client=settings.login_attempts_per_client,
        per_identity=settings.login_attempts_per_email,
        window_seconds=settings.login_window_seconds,
        session_seconds=settings.session_hours * 3600,
    )
    app.add_middleware(
        BodyLimits,
        limits={
            "request": settings.max_request_bytes,
            "spec": settings.max_spec_bytes,
            "import": settings.max_import_bytes,
        },
    )
    app.add_middleware(SecurityHeaders, media_origins=media.presigned_origins(settings))
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.ensure_secret_key(),
        session_cookie=SESSION_COOKIE,
        max_age=int(settings.session_hours * 3600),
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    errors.install(app)
    app.mount("/static", StaticFiles(directory=str(WEB / "static")), name="static")

    for router in ROUTERS:
        app.include_router(router)
    app.state.allowed_methods = [(r.path_regex, frozenset(r.methods or ())) for r in routes()]
    return app


def serve_app() -> FastAPI:
    """The app of one server process: ``labelworks serve``'s factory.

    Everything built by then (modules, routes, schemas, the engine) lives as long as the
    process, yet every full collection of the cyclic garbage collector would walk all of
    it again: under a large import that is 200 ms pauses with the GIL held (the event loop,
    health probes included, waits) and half the import's time. Frozen, it is never walked.
    """
    app = create_app(run_jobs=True)
    gc.collect()
    gc.freeze()
    return app
