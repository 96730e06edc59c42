"""``labelworks export --format conll|docbin|hf …`` end to end on an embedded SQLite data
directory: files and folders written and read back by their ecosystems' readers; refusals
exit 2 with one line and write nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import datasets
import pytest
from spacy.tokens import DocBin
from tests.cli.runner import lw
from tests.services.dataset_world import ITEM1, ITEM2, TEXTS, seed
from tests.services.test_dataset_exports import parse_conll

from labelworks.config import Settings
from labelworks.storage import migration
from labelworks.storage.engine import Database


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """The news world (spans and a topic, final labels for items 1 and 2)."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = Database(Settings(data_dir=folder).effective_database_url)
    migration.upgrade(db)
    seed(db)
    db.dispose()
    yield folder


def test_conll_and_docbin_files(data_dir: Path, tmp_path: Path) -> None:
    """CoNLL and DocBin files hold the final spans, and the command says what it wrote."""
    conll = lw(data_dir, "export", "news", "--format", "conll", "-o", str(tmp_path / "n.conll"))
    docbin = lw(data_dir, "export", "news", "--format", "docbin", "-o", str(tmp_path / "n.spacy"))
    import spacy

    docs = DocBin().from_disk(tmp_path / "n.spacy").get_docs(spacy.blank("xx").vocab)
    assert (
        conll.exit_code,
        flat(conll.stdout),
        parse_conll((tmp_path / "n.conll").read_text(encoding="utf-8"), TEXTS[:2]),
        docbin.exit_code,
        [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in docs],
    ) == (
        0,
        f"exported 2 items from news to {tmp_path / 'n.conll'} (CoNLL-2003 BIO tags (spans "
        "fields), final labels)",
        [ITEM1, ITEM2],
        0,
        [ITEM1, ITEM2],
    )


def test_hf_folder_with_all_annotations(data_dir: Path, tmp_path: Path) -> None:
    """--labels all writes a datasets folder with a row per annotation (and one for the
    item without any)."""
    result = lw(
        data_dir, "export", "news", "--format", "hf", "--labels", "all", "-o", str(tmp_path / "ds")
    )
    rows = datasets.load_from_disk(str(tmp_path / "ds")).to_list()
    assert (result.exit_code, [r["id"] for r in rows]) == (0, [1, 1, 1, 2, 2, 2, 3])


def test_refusals_exit_2_and_write_nothing(data_dir: Path, tmp_path: Path) -> None:
    """A non-empty folder, a missing -o, a format without its field kind, bad --labels and
    --labels on jsonl are each refused in one line; nothing is written."""
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    runs = [
        ("--format", "hf", "-o", str(full)),
        ("--format", "conll"),
        ("--format", "coco", "-o", str(tmp_path / "c.json")),
        ("--format", "conll", "--labels", "some", "-o", str(tmp_path / "x.conll")),
        ("--format", "jsonl", "--labels", "all"),
    ]
    results = [lw(data_dir, "export", "news", *args) for args in runs]
    assert [(r.exit_code, flat(r.stderr)) for r in results] == [
        (2, f"error [invalid_input] {full} exists and is not an empty directory; the hf format "
            "writes a directory: give a new path"),
        (2, "error [invalid_input] the conll format needs -o PATH (a file)"),
        (2, "error [invalid_input] the coco format needs a boxes field; project 'news' has only "
            "choice, spans fields"),
        (2, "error [invalid_input] --labels must be final or all, not 'some'"),
        (2, "error [invalid_input] --labels applies to the dataset formats (coco, yolo, voc, "
            "conll, docbin, hf, labelstudio)"),
    ]  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "full"]
    assert [p.name for p in full.iterdir()] == ["keep.txt"]
