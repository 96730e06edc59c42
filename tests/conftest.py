"""Shared fixtures: the ``--db`` option and a migrated, empty database per test.

``--db auto`` (default) runs every test on SQLite and, when a server answers, the storage
and service tests (the folders in ``BOTH``) on PostgreSQL too; ``--db all`` makes
PostgreSQL mandatory for them (CI sets ``CI=true``, which does the same); ``--db sqlite`` or
``--db postgresql`` run every test on that one. The interfaces above the services (HTTP,
pages, CLI, SDK) reach the database only through them, so their tests run once; the hostile
input and fuzz runs stay on both, as PostgreSQL refuses what SQLite takes (NUL characters).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from labelworks.storage import migration
from labelworks.storage.engine import Database
from labelworks.storage.tables import metadata

# pytest-xdist's workers set COLUMNS=80. The CLI's Rich consoles are made when the CLI is
# imported and would keep that width, not the one each test gives CliRunner in its env.
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)

POSTGRES_ADMIN_URL = os.environ.get(
    "LABELWORKS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        default="auto",
        choices=["auto", "all", "sqlite", "postgresql"],
        help="databases for storage and service tests (default: auto)",
    )


def _postgres_reachable() -> str | None:
    """None when the server answers, else the reason it does not."""
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect means "not reachable"
        return str(exc).splitlines()[0]


def _selected(config: pytest.Config) -> tuple[list[str], str]:
    cached = getattr(config, "_lw_databases", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    choice = config.getoption("--db")
    if choice == "auto" and os.environ.get("CI", "").lower() == "true":
        choice = "all"
    note = ""
    if choice == "sqlite":
        dbs = ["sqlite"]
    elif choice == "postgresql":
        dbs = ["postgresql"]
    elif choice == "all":
        dbs = ["sqlite", "postgresql"]
    else:
        reason = _postgres_reachable()
        dbs = ["sqlite"] if reason else ["sqlite", "postgresql"]
        note = f" (postgresql not reachable, skipped: {reason})" if reason else ""
    result = (dbs, note)
    config._lw_databases = result  # type: ignore[attr-defined]
    return result


def pytest_report_header(config: pytest.Config) -> str:
    dbs, note = _selected(config)
    return f"labelworks databases: {', '.join(dbs)}{note}"


BOTH = ("storage", "services", "jobs", "sources", "security")


def _on_both(metafunc: pytest.Metafunc) -> bool:
    """Whether the test's folder is one whose tests run on both databases."""
    parts = Path(str(metafunc.definition.fspath)).parts
    return "tests" in parts and parts[parts.index("tests") + 1] in BOTH


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_kind" in metafunc.fixturenames:
        dbs, _ = _selected(metafunc.config)
        choice = metafunc.config.getoption("--db")
        once = metafunc.definition.get_closest_marker("one_database") is not None
        if len(dbs) > 1 and choice != "postgresql" and (once or not _on_both(metafunc)):
            dbs = ["sqlite"]
        metafunc.parametrize("db_kind", dbs, scope="session")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating per test is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    migration.upgrade(db)
    db.dispose()  # the last connection closing checkpoints the WAL into the main file
    return path


@pytest.fixture(scope="session")
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    reason = _postgres_reachable()
    if reason:
        pytest.fail(f"PostgreSQL is required but not reachable: {reason}")
    name = f"labelworks_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    migration.upgrade(db)
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def db(db_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty, migrated database of the kind under test."""
    if db_kind == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "labelworks.db"
        shutil.copyfile(template, path)
        database = Database(f"sqlite:///{path}")
    else:
        url: str = request.getfixturevalue("postgres_url")
        database = Database(url)
        tables = ", ".join(t.name for t in metadata.sorted_tables)
        with database.write() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield database
    database.dispose()
