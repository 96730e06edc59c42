"""The ASGI application factory."""

from __future__ import annotations

import html

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from labelworks import __version__
from labelworks.config import Settings
from labelworks.server import errors
from labelworks.services import projects as project_service
from labelworks.storage import migration
from labelworks.storage.engine import Database


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the app; an embedded SQLite database is created and migrated on start."""
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
    )
    app.state.settings = settings
    app.state.db = db
    errors.install(app)

    @app.get("/api/health", operation_id="health", tags=["system"])
    def health() -> dict[str, str]:
        """Liveness and the database kind in use."""
        return {"status": "ok", "version": __version__, "database": db.dialect}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request) -> str:
        rows = project_service.list_projects(db)
        items = "".join(
            f"<li><b>{html.escape(p.name)}</b> — {html.escape(p.description)} "
            f"(overlap {p.overlap})</li>"
            for p in rows
        )
        return _INDEX.format(
            version=__version__,
            projects=items or "<li>no projects yet</li>",
            base=html.escape(str(request.base_url)),
        )

    return app


_INDEX = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>labelworks</title>
<style>body{{font-family:system-ui,sans-serif;max-width:44rem;margin:3rem auto;line-height:1.5}}
code{{background:#f3f3f3;padding:0 .3em}}</style></head>
<body><h1>labelworks {version}</h1>
<p>This server holds these projects:</p><ul>{projects}</ul>
<p>The web labeling interface is coming; today you work through the CLI
(<code>labelworks --help</code>) and this HTTP server.</p>
<ul><li><a href="{base}docs">API documentation (OpenAPI / Swagger UI)</a></li>
<li><a href="{base}api/health">/api/health</a></li></ul>
</body></html>"""
