"""Many annotators at once: every assignment invariant holds on every database."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select
from tests.services.builders import add_annotators, load_texts, make_project

from labelworks.domain.errors import LeaseLost
from labelworks.services.assignment import next_task_for, skip_task, submit_annotation
from labelworks.services.auth import Credential
from labelworks.services.users import add_user
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.tables import annotations_table as notes
from labelworks.storage.tables import assignments, items, late_submissions

THREADS = 16
CYCLES = 2000
LABELS = ["positive", "negative", "neutral"]


def test_sixteen_annotators_never_break_an_invariant(db: Database) -> None:
    """16 threads doing 2,000+ next/submit cycles with skips, retries and lease expiry
    end with no item over its overlap, no item served twice to anyone, and every
    accepted or refused submission accounted for."""
    project = make_project(db, overlap=3, lease_minutes=10)
    load_texts(db, project, [f"concurrent review {i}" for i in range(800)])
    people = add_annotators(db, project, THREADS)
    accepted: dict[int, tuple[int, str]] = {}  # annotation id -> (annotator, label)
    refused: list[tuple[int, int]] = []  # (assignment id, annotator)
    served: list[tuple[int, int]] = []  # (annotator, item) each time a new lease was given
    errors: list[BaseException] = []
    cycles = Counter[int]()
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def annotator(who: int, seed: int) -> None:
        rng = random.Random(seed)
        start.wait()
        previous: int | None = None
        try:
            while sum(cycles.values()) < CYCLES + THREADS * 20:
                # Now and then this annotator's clock runs an hour ahead, which reclaims
                # everybody's live leases and forces the after-expiry paths.
                skew = timedelta(hours=1) if rng.random() < 0.03 else timedelta(0)
                task = next_task_for(db, project, who, now=utcnow() + skew)
                if task is None:
                    return
                if task.assignment_id != previous:
                    with lock:
                        served.append((who, task.item_id))
                previous = task.assignment_id
                roll = rng.random()
                if roll < 0.07:
                    skip_task(db, task.assignment_id, who, reason="unsure")
                    continue
                label = rng.choice(LABELS)
                key = f"{who}-{task.assignment_id}"
                try:
                    result = submit_annotation(
                        db,
                        task.assignment_id,
                        who,
                        value={"sentiment": label},
                        seconds=rng.uniform(1, 9),
                        idempotency_key=key,
                    )
                    if roll < 0.2:  # a double-click: the retry must create nothing
                        again = submit_annotation(
                            db,
                            task.assignment_id,
                            who,
                            value={"sentiment": label},
                            seconds=1.0,
                            idempotency_key=key,
                        )
                        assert again.annotation_id == result.annotation_id
                        assert not again.created
                    with lock:
                        accepted[result.annotation_id] = (who, label)
                        cycles[who] += 1
                except LeaseLost:
                    with lock:
                        refused.append((task.assignment_id, who))
                        cycles[who] += 1
        except BaseException as exc:  # surfaced after join
            errors.append(exc)

    threads = [threading.Thread(target=annotator, args=(who, i)) for i, who in enumerate(people)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(cycles.values()) >= CYCLES

    with db.read() as conn:
        stored = {
            r.id: (r.annotator_id, r.value)
            for r in conn.execute(
                select(
                    notes.c.id,
                    notes.c.annotator_id,
                    notes.c.value,
                )
            )
        }
        per_item = dict(
            conn.execute(select(notes.c.item_id, func.count()).group_by(notes.c.item_id)).all()
        )
        pairs = conn.execute(select(notes.c.item_id, notes.c.annotator_id)).all()
        late = sorted(
            conn.execute(
                select(late_submissions.c.assignment_id, late_submissions.c.annotator_id)
            ).all()
        )
        leased = dict(
            conn.execute(
                select(assignments.c.item_id, func.count())
                .where(assignments.c.state == "leased")
                .group_by(assignments.c.item_id)
            ).all()
        )
        counters = conn.execute(select(items.c.id, items.c.n_submitted, items.c.n_leased)).all()

    # Nothing submitted is lost, nothing is stored twice, and values are what was sent.
    assert stored == {
        i: (who, f'{{"sentiment":"{label}"}}') for i, (who, label) in accepted.items()
    }
    assert late == sorted(refused)
    # No item ever exceeds its overlap.
    assert max(per_item.values()) <= 3
    # No annotator annotated, or was served, the same item twice.
    assert len(pairs) == len(set(pairs))
    assert len(served) == len(set(served))
    # The counters that drive the queue agree with the rows.
    assert [(i, s, n) for i, s, n in counters] == [
        (i, per_item.get(i, 0), leased.get(i, 0)) for i, _, _ in counters
    ]


def test_one_annotators_parallel_requests_share_one_lease(db: Database) -> None:
    """Twelve requests from one annotator at once, by API token as the server makes them
    and by user id as the CLI does, all get the same single lease."""
    project = make_project(db, overlap=1, lease_minutes=10)
    load_texts(db, project, [f"parallel review {i}" for i in range(50)])
    added = add_user(db, "racer@example.com", role="annotator", projects=[project], with_token=True)
    assert added.token is not None
    callers = [Credential(token=added.token), added.user.id] * 6
    start = threading.Barrier(len(callers))
    got: list[int] = []
    errors: list[BaseException] = []

    def ask(who: int | Credential) -> None:
        start.wait()
        try:
            task = next_task_for(db, project, who)
            assert task is not None
            got.append(task.assignment_id)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(who,)) for who in callers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.read() as conn:
        leases = conn.execute(select(func.count()).select_from(assignments)).scalar_one()
    assert (errors, len(set(got)), len(got), leases) == ([], 1, 12, 1)
