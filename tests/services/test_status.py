"""Project status as the CLI and the API render it: times rounded, time per item."""

from __future__ import annotations

from tests.services.builders import add_annotators, load_texts, make_project

from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.status import project_status
from labelworks.storage.engine import Database


def test_status_rounds_summed_seconds_and_gives_the_time_per_item(db: Database) -> None:
    """Seconds summed from float clocks (131.903 + 111.264 is 243.16699999999997) read to a
    tenth of a second, with the mean per submitted item; None for someone with none yet."""
    project = make_project(db, overlap=1)
    load_texts(db, project, ["a", "b", "c", "d"])
    busy, idle = add_annotators(db, project, 2)
    for n, seconds in enumerate((131.903, 111.264)):
        task = next_task_for(db, project, busy)
        assert task is not None
        submit_annotation(
            db,
            task.assignment_id,
            busy,
            value={"sentiment": "positive"},
            seconds=seconds,
            idempotency_key=f"k{n}",
        )
    assert next_task_for(db, project, idle) is not None
    assert project_status(db, project).to_dict()["annotators"] == [
        {
            "email": "ann0@example.com",
            "submitted": 2,
            "skipped": 0,
            "leased": 0,
            "seconds": 243.2,
            "seconds_per_item": 121.6,
        },
        {
            "email": "ann1@example.com",
            "submitted": 0,
            "skipped": 0,
            "leased": 1,
            "seconds": 0.0,
            "seconds_per_item": None,
        },
    ]
