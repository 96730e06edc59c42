"""Dataset exports through the service: CoNLL-2003, spaCy DocBin and Hugging Face datasets
read back by their own ecosystems' readers, the dispatch's refusals, staging and vendor walls."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import datasets
import pytest
from spacy.tokens import DocBin
from tests.services.builders import jsonl
from tests.services.dataset_world import (
    ITEM1,
    ITEM2,
    PROJECT,
    TEXTS,
    acme_manager,
    seed,
    spans,
    submit,
)

from labelworks.domain.errors import InvalidInput
from labelworks.domain.spec import spec_from_dict
from labelworks.formats.conll import tokenize
from labelworks.services import projects as project_service
from labelworks.services.dataset_exports import (
    DATASET_FORMATS,
    export_dataset,
    export_for_download,
    formats_for,
)
from labelworks.services.ingestion import import_items
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

Marks = list[tuple[int, int, str]]
ACME_ITEM1 = [m for m in ITEM1 if m[0] != 37]


def parse_conll(text: str, sources: list[str]) -> list[Marks]:
    """Each document's spans, by character offsets into its source text (the texts in
    document order), decoded from the BIO tags; every line checked for its four columns."""
    docs = [d for d in text.split("-DOCSTART- -X- -X- O\n") if d]
    assert len(docs) == len(sources)
    out: list[Marks] = []
    for doc, source in zip(docs, sources, strict=True):
        marks: Marks = []
        at = 0
        for line in doc.splitlines():
            if not line:
                continue
            token, pos, chunk, tag = line.split(" ")
            assert (pos, chunk) == ("-X-", "-X-")
            start = source.index(token, at)
            at = start + len(token)
            if tag.startswith("B-"):
                marks.append((start, at, tag[2:]))
            elif tag.startswith("I-"):
                assert marks[-1][2] == tag[2:]
                marks[-1] = (marks[-1][0], at, tag[2:])
            else:
                assert tag == "O"
        out.append(marks)
    return out


def _export(db: Database, tmp_path: Path, fmt: str, **options: Any) -> tuple[int, Path]:
    target = tmp_path / f"out-{fmt}"
    target.parent.mkdir(parents=True, exist_ok=True)
    written = export_dataset(db, PROJECT, fmt, target, media_dir=tmp_path / "media", **options)
    return written, target


def test_conll_final_labels_are_bio_tags_of_the_stated_tokenizer(
    db: Database, tmp_path: Path
) -> None:
    """The final labels of items 1 and 2 are two documents, sentences split after '.' and
    at line breaks, tags B-/I-/O; parsed back they are the final spans."""
    seed(db)
    written, target = _export(db, tmp_path, "conll")
    text = target.read_text(encoding="utf-8")
    assert written == 2
    assert text.split("\n\n")[:4] == [
        "-DOCSTART- -X- -X- O",
        "Angela -X- -X- B-PER\nMerkel -X- -X- I-PER\nmet -X- -X- O\nEmmanuel -X- -X- B-PER\n"
        "Macron -X- -X- I-PER\nin -X- -X- O\nParis -X- -X- B-LOC\n. -X- -X- O",
        "They -X- -X- O\ntalked -X- -X- O\n. -X- -X- O",
        "Berlin -X- -X- B-LOC\nagreed -X- -X- O\n! -X- -X- O",
    ]
    assert parse_conll(text, TEXTS[:2]) == [ITEM1, ITEM2]


def test_conll_all_labels_write_one_document_per_annotation(db: Database, tmp_path: Path) -> None:
    """With labels=all each annotation is a document, in the JSONL export's order."""
    seed(db)
    written, target = _export(db, tmp_path, "conll", labels="all")
    parsed = parse_conll(target.read_text(encoding="utf-8"), [TEXTS[0]] * 3 + [TEXTS[1]] * 3)
    assert (written, parsed) == (2, [ITEM1, ITEM1, ACME_ITEM1, ITEM2, ITEM2, ITEM2])


def test_a_vendor_managers_conll_holds_only_their_vendors_annotations(
    db: Database, tmp_path: Path
) -> None:
    """acme's manager exports acme's annotations with labels=all, and no final labels
    (decided from every vendor's work) with labels=final."""
    ids = seed(db)
    boss = acme_manager(db, ids)
    all_written, all_target = _export(db, tmp_path, "conll", labels="all", actor=boss)
    final_written, final_target = _export(db, tmp_path / "f", "conll", actor=boss)
    all_docs = parse_conll(all_target.read_text(encoding="utf-8"), TEXTS[:2])
    assert (all_written, all_docs, final_written, final_target.read_text()) == (
        2,
        [ACME_ITEM1, ITEM2],
        0,
        "",
    )


def test_conll_refuses_overlapping_spans_and_leaves_nothing(db: Database, tmp_path: Path) -> None:
    """Overlapping spans cannot be one tag a token: refused naming the item and annotator,
    and neither the target nor a staging file is left."""
    spec = spec_from_dict(
        {
            "name": PROJECT,
            "fields": [
                {
                    "name": "entities",
                    "kind": "spans",
                    "labels": ["PER", "ORG"],
                    "allow_overlap": True,
                }
            ],
        }
    )
    project_service.apply_spec(db, spec, guidelines=None)
    import_items(db, PROJECT, jsonl([{"text": "Ada Lovelace Ltd"}]), format="jsonl", source="x")
    who = add_user(db, "ann@example.com", role="annotator", projects=[PROJECT]).user.id
    submit(db, who, 1, {"entities": spans([(0, 12, "PER"), (4, 16, "ORG")])}, "k")
    with pytest.raises(InvalidInput) as refused:
        _export(db, tmp_path / "out", "conll", labels="all")
    assert (str(refused.value), list((tmp_path / "out").iterdir())) == (
        "item 1, ann@example.com's annotation: spans 0..12 'PER' and 4..16 'ORG' overlap; "
        "CoNLL has one tag per token (the docbin format keeps overlapping spans)",
        [],
    )
    written, target = _export(db, tmp_path, "docbin", labels="all")
    doc = next(iter(DocBin().from_disk(target).get_docs(_vocab())))
    assert (written, [(s.text, s.label_) for s in doc.spans["sc"]], list(doc.ents)) == (
        1,
        [("Ada Lovelace", "PER"), ("Lovelace Ltd", "ORG")],
        [],
    )


def test_tokenizer_offsets_and_sentences() -> None:
    """Word runs and single symbols with their offsets; sentences end at . ! ? and breaks."""
    assert tokenize("Hi, Zoë-Ann!\r\nOK 3.5") == [
        [(0, 2, "Hi"), (2, 3, ","), (4, 7, "Zoë"), (7, 8, "-"), (8, 11, "Ann"), (11, 12, "!")],
        [(14, 16, "OK"), (17, 18, "3"), (18, 19, ".")],
        [(19, 20, "5")],
    ]


def _vocab() -> Any:
    import spacy

    return spacy.blank("xx").vocab


def test_docbin_holds_the_entities_and_who_labelled_them(db: Database, tmp_path: Path) -> None:
    """spaCy reads back one Doc per annotation with doc.ents equal to its spans and
    user_data naming the item and annotator."""
    seed(db)
    written, target = _export(db, tmp_path, "docbin", labels="all")
    docs = list(DocBin().from_disk(target).get_docs(_vocab()))
    got = [
        (
            doc.text,
            [(e.start_char, e.end_char, e.label_) for e in doc.ents],
            doc.user_data["id"],
            doc.user_data["annotator"],
        )
        for doc in docs
    ]
    people = ["ann0@example.com", "ann1@example.com", "worker@acme.example"]
    assert (written, got) == (
        2,
        [
            (TEXTS[0], marks, 1, who)
            for marks, who in zip([ITEM1, ITEM1, ACME_ITEM1], people, strict=True)
        ]
        + [(TEXTS[1], ITEM2, 2, who) for who in people],
    )


def _hf_rows(target: Path) -> tuple[Any, list[dict[str, Any]]]:
    loaded = datasets.load_from_disk(str(target))
    return loaded.features, loaded.to_list()


def test_hf_dataset_loads_with_class_labels_and_typed_payload_columns(
    db: Database, tmp_path: Path
) -> None:
    """datasets.load_from_disk reads one row per item: payload keys as typed columns (mixed
    values as JSON text), spans with label ids, the topic as a ClassLabel."""
    seed(db)
    written, target = _export(db, tmp_path, "hf")
    features, rows = _hf_rows(target)

    def marks(given: Marks, text: str) -> list[dict[str, Any]]:
        ids = {"PER": 0, "ORG": 1, "LOC": 2}
        return [{"start": s, "end": e, "label": ids[lab], "text": text[s:e]} for s, e, lab in given]

    assert sorted(p.name for p in target.iterdir()) == [
        "data-00000-of-00001.arrow",
        "dataset_info.json",
        "state.json",
    ]
    assert (written, list(features), features["topic"].names) == (
        3,
        ["id", "external_id", "text", "year", "extra", "metadata", "entities", "topic"],
        ["politics", "sport"],
    )
    assert rows == [
        {"id": 1, "external_id": "n1", "text": TEXTS[0], "year": 2024.0, "extra": None,
         "metadata": '{"src":"a"}', "entities": marks(ITEM1, TEXTS[0]), "topic": 0},
        {"id": 2, "external_id": "n2", "text": TEXTS[1], "year": 2025.5, "extra": None,
         "metadata": "{}", "entities": marks(ITEM2, TEXTS[1]), "topic": 1},
        {"id": 3, "external_id": "n3", "text": TEXTS[2], "year": None, "extra": "[1]",
         "metadata": "{}", "entities": None, "topic": None},
    ]  # fmt: skip


def test_hf_dataset_with_all_labels_has_a_row_per_annotation(db: Database, tmp_path: Path) -> None:
    """labels=all: a row per annotation with annotator, time and seconds; an item without
    annotations is one row with null labels."""
    seed(db)
    written, target = _export(db, tmp_path, "hf", labels="all")
    _, rows = _hf_rows(target)
    people = ["ann0@example.com", "ann1@example.com", "worker@acme.example"]
    assert (
        written,
        [
            (r["id"], r["annotator"], r["seconds"], r["topic"], len(r["entities"] or []))
            for r in rows
        ],
    ) == (
        3,
        [(1, p, 2.5, 0, n) for p, n in zip(people, (4, 4, 3), strict=True)]
        + [(2, p, 2.5, 1, 2) for p in people]
        + [(3, None, None, None, 0)],
    )
    assert {r["annotated_at"] for r in rows} == {"2026-01-01T12:00:00Z", None}


def test_empty_project_exports_empty_datasets(db: Database, tmp_path: Path) -> None:
    """A project without items gives an empty CoNLL file, an empty DocBin and a dataset
    with its columns and no rows."""
    project_service.apply_spec(db, spec_from_dict({**_spans_spec()}), guidelines=None)
    conll = _export(db, tmp_path, "conll")
    docbin = _export(db, tmp_path, "docbin")
    hf = _export(db, tmp_path, "hf")
    features, rows = _hf_rows(hf[1])
    assert (
        conll[0], conll[1].read_text(), docbin[0], len(DocBin().from_disk(docbin[1])),
        hf[0], list(features), rows,
    ) == (0, "", 0, 0, 0, ["id", "external_id", "metadata", "entities"], [])  # fmt: skip


def _spans_spec() -> dict[str, Any]:
    return {"name": PROJECT, "fields": [{"name": "entities", "kind": "spans", "labels": ["X"]}]}


def test_formats_a_project_lacks_the_field_kind_for_are_refused(
    db: Database, tmp_path: Path
) -> None:
    """A choice-only project is offered no span or box format, and asking for one is
    refused naming the field kind it needs; an unknown format names the known ones."""
    spec = spec_from_dict(
        {"name": "topics", "fields": [{"name": "t", "kind": "choice", "labels": ["a", "b"]}]}
    )
    project_service.apply_spec(db, spec, guidelines=None)
    errors = []
    for fmt in ("conll", "coco", "nope"):
        with pytest.raises(InvalidInput) as refused:
            export_dataset(db, "topics", fmt, tmp_path / fmt, media_dir=tmp_path)
        errors.append(str(refused.value))
    assert ([f.name for f in formats_for(spec)], errors) == (
        ["hf", "labelstudio"],
        [
            "the conll format needs a spans field; project 'topics' has only choice fields",
            "the coco format needs a boxes field; project 'topics' has only choice fields",
            f"unknown dataset format 'nope' (use one of {', '.join(sorted(DATASET_FORMATS))})",
        ],
    )


def test_directory_formats_refuse_a_non_empty_directory(db: Database, tmp_path: Path) -> None:
    """hf writes into a new or empty directory, never over files already there; bad
    labels are refused before anything is written."""
    seed(db)
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InvalidInput) as refused:
        export_dataset(db, PROJECT, "hf", full, media_dir=tmp_path)
    with pytest.raises(InvalidInput) as bad_labels:
        export_dataset(db, PROJECT, "hf", tmp_path / "x", media_dir=tmp_path, labels="some")  # type: ignore[arg-type]
    written = export_dataset(db, PROJECT, "hf", empty, media_dir=tmp_path)
    assert (
        str(refused.value),
        str(bad_labels.value),
        written,
        sorted(p.name for p in full.iterdir()),
        len(list(empty.iterdir())),
    ) == (
        f"{full} exists and is not an empty directory; the hf format writes a directory: "
        "give a new path",
        "labels must be 'final' or 'all', not 'some'",
        3,
        ["keep.txt"],
        3,
    )


def test_progress_reports_and_a_cancelled_export_leaves_nothing(
    db: Database, tmp_path: Path
) -> None:
    """The writer reports (done, total) per item; a callback that raises cancels the
    export and no file or staging folder remains."""
    seed(db)
    seen: list[tuple[int, int]] = []
    _export(db, tmp_path / "a", "conll", progress=lambda d, t: seen.append((d, t)))

    class Cancelled(Exception):
        pass

    def cancel(done: int, total: int) -> None:
        raise Cancelled

    (tmp_path / "b").mkdir()
    with pytest.raises(Cancelled):
        export_dataset(
            db, PROJECT, "hf", tmp_path / "b" / "ds", media_dir=tmp_path, progress=cancel
        )
    assert (seen, list((tmp_path / "b").iterdir())) == ([(1, 3), (2, 3), (3, 3)], [])


def test_a_download_zips_a_directory_format_under_one_folder(db: Database, tmp_path: Path) -> None:
    """The hf download is a zip of the dataset folder named PROJECT-hf; a file format is
    the file itself."""
    seed(db)
    hf = export_for_download(db, PROJECT, "hf", media_dir=tmp_path)
    conll = export_for_download(db, PROJECT, "conll", media_dir=tmp_path)
    with zipfile.ZipFile(hf.path) as archive:
        names = sorted(archive.namelist())
    assert (hf.filename, hf.media_type, hf.items, names, conll.filename, conll.items) == (
        "news-hf.zip",
        "application/zip",
        3,
        ["news-hf/data-00000-of-00001.arrow", "news-hf/dataset_info.json", "news-hf/state.json"],
        "news-conll.conll",
        2,
    )
