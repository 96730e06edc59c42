"""The health probe and the API documentation page."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from labelworks import __version__
from labelworks.server.deps import DB

router = APIRouter()

_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>labelworks API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/vendor/swagger-ui-5.35.0.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui-bundle-5.35.0.js"></script>
<script src="/static/js/docs.js"></script>
</body></html>"""


@router.get("/api/health", operation_id="health", tags=["system"])
async def health(db: DB) -> dict[str, str]:
    """Liveness and the database kind in use.

    A coroutine, the one route that is: it does no I/O, and answering on the event loop
    itself (no trip to the thread pool) makes it a probe of the loop's own liveness.
    """
    return {"status": "ok", "version": __version__, "database": db.dialect}


@router.get("/docs", include_in_schema=False)
def docs() -> HTMLResponse:
    """Swagger UI from vendored files: no CDN, works offline, fits the CSP."""
    return HTMLResponse(_DOCS_PAGE)
