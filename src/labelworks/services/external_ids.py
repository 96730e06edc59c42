"""The external-id rules of an import, checked with the database's help.

An external id may appear once per file, and may only come back in a later import with the
same payload (then the row is a duplicate). Keeping every id of the file in memory to check
the first rule cost ~130 bytes per row; instead the items this import inserted are the
record (the unique index on ``(project_id, external_id)`` refuses a second one), and only
the ids of rows skipped as duplicates, of which the database keeps no trace, stay in memory.

The exact check (``_check``) runs when a batch may break a rule: the project had items
before the import, a cheap look at the batch finds a repeat, the insert is refused, or a
skipped row's id was inserted earlier in this import. It judges the batch against the items
from before it (those the batch itself inserted are told apart by their line), so it
reports the first bad row of the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NoReturn

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from labelworks.domain.errors import InvalidImport, Location
from labelworks.pipelines.rows import ImportRow
from labelworks.storage import items as item_store
from labelworks.storage.items import NewItem


class _Recheck(Exception):
    """A skipped row may break a rule: leave the batch for the exact check."""


class ExternalIds:
    """Inserts an import's batches while holding its external-id rules."""

    def __init__(
        self, conn: Connection, project_id: int, import_id: int, source: str, *, prior: bool
    ) -> None:
        self.conn = conn
        self.project_id = project_id
        self.import_id = import_id
        self.source = source
        self.prior = prior  # the project had items before this import: check every batch
        self.skipped: dict[str, int] = {}  # id -> line, of rows skipped as duplicates

    def insert(self, batch: Sequence[ImportRow], items: Sequence[NewItem], now: datetime) -> int:
        """Insert a batch (``items`` are its rows, ready to store); how many were new."""
        with_ids = [r for r in batch if r.external_id is not None]
        checked = bool(with_ids) and (self.prior or self._suspect(with_ids))
        if checked:
            self._check(with_ids, batch[0].line)
        try:
            with item_store.batch_guard(self.conn):
                inserted = item_store.insert_batch(
                    self.conn, self.project_id, self.import_id, items, now
                )
                if inserted < len(items) and with_ids:
                    self._remember_skipped(with_ids, recheck=not checked)
        except (IntegrityError, _Recheck):
            self._check(with_ids, batch[0].line)
            raise
        return inserted

    def _suspect(self, with_ids: Sequence[ImportRow]) -> bool:
        """Whether a row repeats an id of the batch or of an earlier skipped row."""
        seen: set[str | None] = set()
        skipped = self.skipped
        for r in with_ids:
            if r.external_id in seen or r.external_id in skipped:
                return True
            seen.add(r.external_id)
        return False

    def _remember_skipped(self, with_ids: Sequence[ImportRow], *, recheck: bool) -> None:
        found = self._found(with_ids)
        for r in with_ids:
            assert r.external_id is not None
            item = found.get(r.external_id)
            if item is not None and item.import_id == self.import_id:
                if item.import_line == r.line:
                    continue  # inserted
                if recheck:  # skipped, and its id was inserted by an earlier batch
                    raise _Recheck
            self.skipped[r.external_id] = r.line

    def _found(self, with_ids: Sequence[ImportRow]) -> dict[str, item_store.ExistingExternal]:
        ids = [r.external_id for r in with_ids if r.external_id is not None]
        found = item_store.existing_external_ids(self.conn, self.project_id, ids)
        return {f.external_id: f for f in found}

    def _check(self, with_ids: Sequence[ImportRow], first_line: int) -> None:
        """Raise ``InvalidImport`` at the first row that breaks a rule.

        Items that this batch (from ``first_line`` on) inserted before it was refused are
        left out: the check judges the batch against what came before it.
        """
        found = self._found(with_ids)
        seen: dict[str, int] = {}
        for r in with_ids:
            external_id = r.external_id
            assert external_id is not None
            item = found.get(external_id)
            if (
                item is not None
                and item.import_id == self.import_id
                and (item.import_line or 0) >= first_line
            ):
                item = None
            first = seen.get(external_id) or self.skipped.get(external_id)
            if first is None and item is not None and item.import_id == self.import_id:
                first = item.import_line
            if first is not None:
                self._fail(r.line, f"external_id '{external_id}' repeats the one on line {first}")
            if item is not None and item.content_hash != r.content_hash:
                self._fail(
                    r.line,
                    f"external id '{external_id}' already belongs to item {item.item_id}, "
                    "whose payload differs",
                )
            seen[external_id] = r.line

    def _fail(self, line: int, message: str) -> NoReturn:
        raise InvalidImport(
            message, location=Location(file=self.source, line=line, field="external_id")
        )
