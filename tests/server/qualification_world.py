"""A project with a qualification test and members at every stage of it, built through the
services: the world of the qualification API, SDK, CLI and page tests.

Project ``qual``: 4 ordinary items and 6 gold items (the expert says ``pos`` each time,
with a marked explanation); the test is 2 questions, both right to pass, one retry.
Pat (acme) passed; Fay (globex) failed both attempts and is blocked; Mo answered one
question right; Neo has not started; the managers and the reviewer have not started either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tests.services.builders import jsonl

from labelworks.domain.spec import spec_from_dict
from labelworks.services import assignment, ingestion
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

T0 = datetime(2026, 1, 1, 12, 0, 0)
WHY = "EXPERT-WHY-"
SPEC: dict[str, Any] = {
    "name": "qual",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}],
    "overlap": 1,
    "quality": {"qualification": {"items": 2, "pass": 1.0, "retries": 1}},
}
# who -> (email, role, vendor, name)
PEOPLE: dict[str, tuple[str, str, str | None, str]] = {
    "admin": ("root@example.com", "admin", None, ""),
    "manager": ("boss@example.com", "manager", None, "Bo Boss"),
    "acme_lead": ("lead@acme.example", "manager", "acme", ""),
    "reviewer": ("rev@example.com", "reviewer", None, ""),
    "pat": ("pat@acme.example", "annotator", "acme", "Pat Pass"),
    "fay": ("fay@globex.example", "annotator", "globex", "Fay Fail"),
    "mo": ("mo@example.com", "annotator", None, "Mo Midway"),
    "neo": ("neo@example.com", "annotator", None, "Neo New"),
}


@dataclass
class QualWorld:
    db: Database
    tokens: dict[str, str]
    ids: dict[str, int]
    clock: int = 0
    passed_at: datetime | None = None
    notes: dict[str, list[str | None]] = field(default_factory=dict)

    def tick(self) -> datetime:
        self.clock += 1
        return T0 + timedelta(seconds=self.clock)

    def answer(self, who: str, labels: list[str], project: str = "qual") -> None:
        """``who`` takes one task per label and answers it with that label."""
        uid = self.ids[who]
        for label in labels:
            task = assignment.next_task_for(self.db, project, uid, now=self.tick())
            assert task is not None
            self.notes.setdefault(who, []).append(task.progress.note if task.progress else None)
            assignment.submit_annotation(
                self.db,
                task.assignment_id,
                uid,
                value={"sentiment": label},
                seconds=1.0,
                idempotency_key=f"{who}-{self.clock}",
                now=self.tick(),
            )


def build(db: Database, spec: dict[str, Any] | None = None) -> QualWorld:
    """The project, its people (each with a token) and their answers so far."""
    apply_spec(db, spec_from_dict(spec or SPEC), guidelines="# Rules\nBe fair.")
    name = (spec or SPEC)["name"]
    rows: list[dict[str, Any]] = [{"text": f"work {i}"} for i in range(4)]
    rows += [
        {"text": f"question {i}", "gold": {"sentiment": "pos"}, "gold_explanation": f"{WHY}{i}"}
        for i in range(6)
    ]
    ingestion.import_items(db, name, jsonl(rows), format="jsonl", source="q.jsonl")
    world = QualWorld(db, {}, {})
    for key, (email, role, vendor, person) in PEOPLE.items():
        projects = None if role == "admin" else [name]
        made = add_user(
            db, email, role=role, name=person, vendor=vendor, projects=projects, with_token=True
        )
        assert made.token is not None
        world.tokens[key], world.ids[key] = made.token, made.user.id
    return world


def qualification_world(db: Database) -> QualWorld:
    """Pat passes (then labels one ordinary item), Fay fails twice, Mo answers once."""
    world = build(db)
    world.answer("pat", ["pos", "pos"])
    world.passed_at = T0 + timedelta(seconds=world.clock)
    world.answer("pat", ["neg"])
    world.answer("fay", ["neg", "neg", "neg", "pos"])
    world.answer("mo", ["pos"])
    return world
