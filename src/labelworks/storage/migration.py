"""Schema migrations: Alembic scripts shipped inside the package, one linear history."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

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
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def _config_without_db() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    return cfg
