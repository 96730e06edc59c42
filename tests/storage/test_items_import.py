"""The bulk insert under imports: counts, duplicates skipped, the connection put back."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from tests.services.builders import make_project

from labelworks.storage import items as item_store
from labelworks.storage import migration
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.items import NewItem
from labelworks.storage.tables import items, projects


def _project(db: Database) -> int:
    name = make_project(db)
    with db.read() as conn:
        return int(conn.execute(select(projects.c.id).where(projects.c.name == name)).scalar_one())


def _item(line: int, text: str, external_id: str | None = None) -> NewItem:
    payload = f'{{"text":"{text}"}}'
    return NewItem(external_id, payload, "{}", f"hash-{text}", line)


def test_insert_batch_counts_new_items_and_skips_known_payloads(db: Database) -> None:
    """Items go in in order with their lines; a payload already stored is passed over."""
    project = _project(db)
    now = utcnow()
    with db.write() as conn, item_store.bulk_load(conn):
        first = item_store.start_import(conn, project, source="a", fmt="jsonl", now=now)
        counts = [
            item_store.insert_batch(conn, project, first, [_item(1, "a", "x"), _item(2, "b")], now),
            item_store.insert_batch(conn, project, first, [_item(3, "a"), _item(4, "c")], now),
        ]
    with db.read() as conn:
        stored = conn.execute(
            select(items.c.external_id, items.c.payload, items.c.import_line).order_by(items.c.id)
        ).all()
    assert counts == [2, 1]
    assert [tuple(r) for r in stored] == [
        ("x", '{"text":"a"}', 1),
        (None, '{"text":"b"}', 2),
        (None, '{"text":"c"}', 4),
    ]


def test_sqlite_page_cache_is_put_back_even_after_a_failed_import(tmp_path: Path) -> None:
    """The import's larger page cache does not stay on the pooled connection."""
    db = Database(f"sqlite:///{tmp_path / 'cache.db'}")
    migration.upgrade(db)
    with db.write() as conn:
        usual = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    with pytest.raises(RuntimeError), db.write() as conn, item_store.bulk_load(conn):
        during = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
        raise RuntimeError("the import failed")
    with db.write() as conn:
        after = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    db.dispose()
    assert (during, after) == (-32 * 1024, usual)
