"""Nothing CPU-heavy or blocking runs on the event loop: every route is a plain ``def``
(FastAPI runs it in the thread pool) but the health probe, which does no I/O; and the only
coroutines in any route's dependency tree are the body readers, which only await the
network, and the readers of the request and app state, which do no I/O at all."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from labelworks.config import Settings
from labelworks.server import bodies, deps
from labelworks.server.api import system
from labelworks.server.app import create_app
from labelworks.server.app import routes as all_routes

# Coroutines allowed on the loop: they await the request body and do nothing else, or only
# read the request's headers and the app's state (a thread hop would cost more than them).
ALLOWED_ASYNC = {
    bodies._body,
    bodies._spooled,
    deps.get_db,
    deps.get_settings,
}


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def test_routes_and_dependencies_stay_off_the_event_loop(tmp_path: Path) -> None:
    """No route is ``async def``; no dependency is a coroutine but the body readers; and
    the app serves exactly these routes."""
    app = create_app(Settings(data_dir=tmp_path))
    routes = all_routes()
    served = {r.path for r in app.routes if isinstance(r, APIRoute)} | {
        p for p in app.openapi()["paths"]
    }
    assert served <= {r.path for r in routes}
    async_routes = sorted(
        r.path
        for r in routes
        if inspect.iscoroutinefunction(r.endpoint) and r.endpoint is not system.health
    )
    async_deps = sorted(
        {
            f"{call.__module__}.{call.__qualname__}"
            for r in routes
            for call in _calls(r.dependant)
            if (inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call))
            and call not in ALLOWED_ASYNC
        }
    )
    assert (len(routes) > 30, async_routes, async_deps) == (True, [], [])
