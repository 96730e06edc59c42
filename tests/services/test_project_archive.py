"""Archiving a project through the service layer, on every database: refused while work is
open unless forced, then off the list, no leases and no imports, and back on unarchive;
a vendor's staff may not."""

from __future__ import annotations

import pytest
from tests.services.builders import add_annotators, load_texts, make_project

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import Conflict, LabelworksError, PermissionDenied
from labelworks.services.assignment import next_task_for
from labelworks.services.project_archive import archive_project, unarchive_project
from labelworks.services.projects import list_projects
from labelworks.services.users import add_user
from labelworks.storage.engine import Database


def test_archive_stops_work_and_unarchive_brings_it_back(db: Database) -> None:
    """Two open items refuse a plain archive; forced, the project leaves the list, leases
    and imports are refused naming the state; unarchived, work is served again."""
    project = make_project(db)
    (ann,) = add_annotators(db, project, 1)
    load_texts(db, project, ["one", "two"])
    lead = add_user(db, "lead@acme.example", role="manager", projects=[project], vendor="acme")
    walled = Actor(id=lead.user.id, email="lead@acme.example", role=Role.MANAGER, vendor="acme")
    refused: dict[str, type[LabelworksError]] = {}
    for what, call in {
        "open work": lambda: archive_project(db, project),
        "vendor": lambda: archive_project(db, project, force=True, actor=walled),
    }.items():
        with pytest.raises(LabelworksError) as caught:
            call()
        refused[what] = type(caught.value)
    done = archive_project(db, project, force=True)
    listed = (
        [p.name for p in list_projects(db)],
        [p.name for p in list_projects(db, archived=True)],
    )
    with pytest.raises(Conflict) as lease:
        next_task_for(db, project, ann)
    with pytest.raises(Conflict) as imported:
        load_texts(db, project, ["three"])
    back = unarchive_project(db, project)
    task = next_task_for(db, project, ann)
    assert (
        refused,
        done.open_items,
        listed,
        "is archived" in str(lease.value) and "takes no new work" in str(lease.value),
        "takes no imports" in str(imported.value),
        (back.archived_at, back.open_items),
        task is not None,
        [p.name for p in list_projects(db)],
    ) == (
        {"open work": Conflict, "vendor": PermissionDenied},
        2,
        ([], [project]),
        True,
        True,
        (None, 2),
        True,
        [project],
    )
