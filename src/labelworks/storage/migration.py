"""Schema migrations: Alembic scripts shipped inside the package, one linear history."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from labelworks.storage.engine import Database

_SCRIPTS = Path(__file__).with_name("migrations")


def _config(db: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    """The newest migration shipped with this version of labelworks."""
    head = ScriptDirectory.from_config(_config_without_db()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError("no migrations shipped")
    return head


def current_revision(db: Database) -> str | None:
    """The revision the database is at (``None`` for an empty database)."""
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the database up to ``revision`` (idempotent)."""
    cfg = _config(db)
    with db.engine.connect() as conn, _foreign_keys_deferred(conn), conn.begin():
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        _check_foreign_keys(conn)


@contextmanager
def _foreign_keys_deferred(conn: Connection) -> Iterator[None]:
    """SQLite: foreign keys off while migrations run. A batch migration rebuilds a table
    by copy, drop and rename, and dropping a table others refer to would otherwise delete
    (or refuse) the rows that refer to it. SQLite only lets the setting change outside a
    transaction, hence on the driver's connection before ours begins."""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(conn: Connection) -> None:
    """Refuse to commit a migration that left a dangling reference (SQLite, where the
    constraints were off while it ran)."""
    if conn.dialect.name != "sqlite":
        return
    dangling = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    if dangling:
        raise RuntimeError(f"a migration left rows with dangling references: {dangling[:5]}")


def _config_without_db() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    return cfg
