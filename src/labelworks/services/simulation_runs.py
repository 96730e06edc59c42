"""Simulations asked for by a signed-in person (the API, pages): who may run one, the spec
given as JSON, and at most ``MAX_RUNNING`` at once in a server process, since each holds a
worker thread and a core for as long as it runs (``services.simulation`` runs it)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from labelworks.domain.access import Actor, may_create_projects
from labelworks.domain.errors import Conflict, PermissionDenied
from labelworks.domain.spec import spec_from_dict
from labelworks.services.access import a_role
from labelworks.services.simulation import CrowdSettings, simulate

MAX_RUNNING = 1
_running = threading.BoundedSemaphore(MAX_RUNNING)


def check_may_simulate(actor: Actor | None) -> None:
    """Managers and admins run simulations (``None``: a trusted local operator)."""
    if actor is not None and not may_create_projects(actor):
        raise PermissionDenied(f"{a_role(actor.role)} may not run simulations")


def run_simulation(
    spec: Mapping[str, Any],
    settings: CrowdSettings,
    *,
    baseline: bool = True,
    actor: Actor | None = None,
    source: str = "spec",
) -> dict[str, Any]:
    """Check the caller, the spec (``InvalidSpec`` naming ``source``) and the settings, then
    run ``simulate``; ``Conflict`` while another simulation runs in this process."""
    check_may_simulate(actor)
    project_spec = spec_from_dict(spec, source=source)
    settings.check()
    if not _running.acquire(blocking=False):
        raise Conflict(
            "another simulation is running on this server; try again when it has finished"
        )
    try:
        return simulate(project_spec, settings, baseline=baseline)
    finally:
        _running.release()
