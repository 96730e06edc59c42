"""Finished annotations restored with an import (a project moved or restored with its
history): inside the import's transaction, batch by batch, then settled once at the end.

Each annotation is stored as a submit stores it (``storage.history``): a closed assignment,
the annotation with its annotator, time, seconds and guideline version, the item's
counters and queue pool, the annotator's membership and count of the day; items that reach
their overlap get their final label from the project's consensus method, as after a
submit. Review sampling and gold scoring are not replayed: they were decided when the work
was first done. Final labels in the file are not read (consensus decides them again).
"""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

from sqlalchemy import Connection

from labelworks.domain.access import Actor, Role, may_grant
from labelworks.domain.access import wall as vendor_wall
from labelworks.domain.errors import InvalidImport, Location, PermissionDenied
from labelworks.pipelines.content_hash import compact_json
from labelworks.pipelines.rows import ImportRow
from labelworks.services.access import a_role
from labelworks.services.specs import stored_spec
from labelworks.storage import history as history_store
from labelworks.storage import items as item_store
from labelworks.storage import users as user_store
from labelworks.storage.history import RestoredAnnotation
from labelworks.storage.projects import ProjectRow


class HistoryImport:
    """Restores the ``annotations`` of the rows of one import, one batch at a time."""

    def __init__(
        self,
        conn: Connection,
        project: ProjectRow,
        import_id: int,
        *,
        source: str,
        create_annotators: bool,
        actor: Actor | None,
        now: datetime,
        cache_scope: str,
    ) -> None:
        self.conn = conn
        self.project = project
        self.import_id = import_id
        self.source = source
        self.create_annotators = create_annotators
        self.actor = actor
        self.now = now
        self.cache_scope = cache_scope
        self.user_ids: dict[str, int] = {}
        self.items: set[int] = set()
        self.restored = 0
        self.created: list[str] = []

    def store(self, batch: list[ImportRow]) -> None:
        """Store the history of the batch's rows that created their item (a duplicate row
        brings none, as it brings no pre-annotations)."""
        rows = [r for r in batch if r.annotations]
        if not rows:
            return
        self._know_annotators(rows)
        created = item_store.ids_for_hashes(
            self.conn, self.project.id, self.import_id, [r.content_hash for r in rows]
        )
        records: list[RestoredAnnotation] = []
        counts: dict[int, int] = {}
        for r in rows:
            item_id, line = created.get(r.content_hash, (None, None))
            if item_id is None or line != r.line:
                continue
            for index, a in enumerate(r.annotations):
                records.append(
                    RestoredAnnotation(
                        item_id=item_id,
                        annotator_id=self.user_ids[a.annotator],
                        value=compact_json(a.value),
                        created_at=a.created_at or self.now,
                        seconds=a.seconds,
                        guideline_version=a.guideline_version,
                        key=f"import:{self.import_id}:{r.line}:{index}",
                    )
                )
            counts[item_id] = len(r.annotations)
        history_store.insert_history(self.conn, self.project.id, records)
        history_store.add_submitted(self.conn, counts, self.project.overlap)
        self.items.update(counts)
        self.restored += len(records)

    def finish(self) -> None:
        """Count the members' day again and decide the items that reached their overlap."""
        for user_id in sorted(set(self.user_ids.values())):
            history_store.recount_day(self.conn, self.project.id, user_id, self.now)
        spec = stored_spec(self.project.spec)
        # The settings ``consensus.method_of`` reads: without them no final labels are kept.
        if not self.items or (
            spec.quality.consensus is None and spec.quality.dynamic_overlap is None
        ):
            return
        # Imported here: consensus loads numpy and scipy (about 75 MB and a second), which
        # only an import that restores history into a project keeping final labels needs.
        from labelworks.services import consensus

        for item_id in history_store.full_items(self.conn, self.items, self.project.overlap):
            consensus.settle(self.conn, self.cache_scope, spec, self.project.id, item_id, self.now)

    def _know_annotators(self, rows: list[ImportRow]) -> None:
        wanted = {a.annotator for r in rows for a in r.annotations} - self.user_ids.keys()
        if not wanted:
            return
        walled = vendor_wall(self.actor)
        found = history_store.user_ids(self.conn, wanted, only_vendor=walled)
        missing = wanted - found.keys()
        only = "" if walled is None else f" (you import the work of {walled}'s people only)"
        if missing and walled is not None and self.create_annotators:
            # Someone of another vendor cannot be created again: as unknown as nobody.
            elsewhere = set(history_store.user_ids(self.conn, missing))
            if elsewhere:
                self._refuse(rows, elsewhere, only)
        if missing and not self.create_annotators:
            self._refuse(rows, missing, only)
        if missing:
            found.update(self._create(sorted(missing)))
        for email, user_id in found.items():
            user_store.add_membership(self.conn, self.project.id, user_id, self.now)
            self.user_ids[email] = user_id

    def _refuse(self, rows: list[ImportRow], missing: set[str], why: str) -> NoReturn:
        line, field, email = _first_missing(rows, missing)
        raise InvalidImport(
            f"unknown annotator {email}{why}: add them first (labelworks user add) or import "
            "with --create-annotators (API: create_annotators=true)",
            location=Location(file=self.source, line=line, field=field),
        )

    def _create(self, emails: list[str]) -> dict[str, int]:
        """Annotator accounts without a password: they sign in after a password reset."""
        vendor = None
        if self.actor is not None:
            if not may_grant(self.actor, Role.ANNOTATOR):
                raise PermissionDenied(f"{a_role(self.actor.role)} may not create annotators")
            vendor = vendor_wall(self.actor)
        out: dict[str, int] = {}
        for email in emails:
            out[email] = user_store.create(
                self.conn,
                email=email,
                name="",
                role=Role.ANNOTATOR.value,
                vendor=vendor,
                team=None,
                password_hash=None,
                now=self.now,
            )
            self.created.append(email)
        return out


def _first_missing(rows: list[ImportRow], missing: set[str]) -> tuple[int, str, str]:
    for r in rows:
        for index, a in enumerate(r.annotations):
            if a.annotator in missing:
                return r.line, f"annotations[{index}].annotator", a.annotator
    raise AssertionError("a missing annotator is in some row")
