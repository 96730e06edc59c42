"""Fixtures for service tests (the builders live in ``builders``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.services.builders import add_annotators, load_texts, make_project

from labelworks.services import ingestion
from labelworks.storage.engine import Database


@pytest.fixture
def project(db: Database) -> str:
    return make_project(db)


@pytest.fixture
def annotators(db: Database, project: str) -> list[int]:
    return add_annotators(db, project, 3)


@pytest.fixture
def loaded(db: Database, project: str) -> Callable[[int], ingestion.ImportSummary]:
    def load(n: int) -> ingestion.ImportSummary:
        return load_texts(db, project, [f"review number {i}" for i in range(n)])

    return load
