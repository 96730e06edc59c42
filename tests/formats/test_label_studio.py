"""Label Studio configs and tasks translated into labelworks fields and rows, and back."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from tests.formats.label_studio_data import CONFIG, DATA, TEXT, annotation, box, export, result

from labelworks.domain.errors import InvalidImport, Location
from labelworks.domain.spec import spec_from_dict
from labelworks.formats.label_studio_config import (
    infer_config,
    label_config_of,
    translate_config,
)
from labelworks.formats.label_studio_json import ExportTasks
from labelworks.formats.label_studio_tasks import TaskReport, TaskTranslator


def _translator() -> TaskTranslator:
    translation = translate_config(CONFIG)
    spec = spec_from_dict({"name": "ls", "fields": translation.fields})
    return TaskTranslator(
        spec.fields,
        source="export.json",
        from_names=translation.from_names,
        ignored=translation.ignored,
    )


def test_config_becomes_fields_and_names_what_it_could_not_translate() -> None:
    """Each supported control tag becomes a field reading its object's data key; the
    polygon tag is named as untranslated and its results are to be skipped."""
    translation = translate_config(CONFIG)
    assert translation.fields == [
        {
            "required": True,
            "kind": "choice",
            "labels": ["positive", "negative", "neutral"],
            "source": "text",
            "name": "sentiment",
        },
        {
            "required": False,
            "kind": "multi_choice",
            "labels": ["price", "shipping"],
            "source": "text",
            "name": "topics",
        },
        {
            "required": False,
            "kind": "spans",
            "labels": ["PRODUCT", "BRAND"],
            "source": "text",
            "name": "ner",
        },
        {
            "required": False,
            "kind": "boxes",
            "labels": ["box", "logo"],
            "source": "image",
            "name": "objects",
        },
        {"required": False, "kind": "text", "max_length": 1_000_000, "name": "comment"},
        {"required": False, "kind": "rating", "min": 1, "max": 10, "name": "stars"},
        {
            "required": False,
            "kind": "segments",
            "media": "audio",
            "labels": ["agent", "caller"],
            "source": "audio",
            "name": "speakers",
        },
    ]
    assert translation.ignored == {"outline"}
    assert translation.untranslated == [
        '<PolygonLabels name="outline">: <PolygonLabels> has no labelworks equivalent'
    ]


def test_unsupported_tags_are_each_named() -> None:
    """Tags without an equivalent, per-region choices and dangling toNames are reported."""
    config = (
        '<View><Text name="t" value="$text"/><Image name="i" value="$img"/>'
        '<KeyPointLabels name="kp" toName="i"><Label value="eye"/></KeyPointLabels>'
        '<Choices name="per" toName="t" perRegion="true"><Choice value="a"/></Choices>'
        '<Taxonomy name="tax" toName="t"/><Choices name="lost" toName="nowhere">'
        '<Choice value="a"/></Choices><Labels name="boxy" toName="i"><Label value="x"/></Labels>'
        "</View>"
    )
    translation = translate_config(config)
    assert (translation.fields, translation.ignored) == ([], {"kp", "per", "tax", "lost", "boxy"})
    assert translation.untranslated == [
        '<KeyPointLabels name="kp">: <KeyPointLabels> has no labelworks equivalent',
        '<Choices name="per">: per-region answers have no labelworks equivalent',
        '<Taxonomy name="tax">: <Taxonomy> has no labelworks equivalent',
        '<Choices name="lost">: toName does not name an object tag of the config',
        '<Labels name="boxy">: labels on <image> are not supported',
    ]


@pytest.mark.parametrize(
    ("config", "words"),
    [
        (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><View>&lol2;</View>',
            "DTDForbidden",
        ),
        (
            '<?xml version="1.0"?><!DOCTYPE v [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            "<View>&x;</View>",
            "DTDForbidden",
        ),
        ("<View><Text name='t'", "not XML"),
        ("x" * (1024 * 1024 + 1), "larger than 1024 KiB"),
    ],
)
def test_unsafe_or_broken_configs_are_refused(config: str, words: str) -> None:
    """XML bombs, external entities, broken and oversized configs are refused."""
    with pytest.raises(InvalidImport) as caught:
        translate_config(config, source="c.xml")
    assert words in caught.value.message
    assert caught.value.location == Location(file="c.xml")


def test_tasks_become_rows_with_history_and_predictions() -> None:
    """Results turn into values (boxes in pixels), cancelled annotations and results of
    untranslated tags are skipped and counted, predictions become pre-annotations."""
    translator = _translator()
    rows = list(translator.rows(export()))
    assert rows == [
        {
            "payload": DATA,
            "external_id": "11",
            "annotations": [
                {
                    "annotator": "ann0@example.com",
                    "value": {
                        "ner": [{"start": 0, "end": 4, "label": "BRAND"}],
                        "objects": [
                            {"x": 20.0, "y": 20.0, "width": 100.0, "height": 40.0, "label": "logo"}
                        ],
                        "speakers": [{"start": 0.5, "end": 2.25, "label": "agent"}],
                        "sentiment": "negative",
                        "topics": ["shipping", "price"],
                        "comment": "late\nagain",
                        "stars": 3,
                    },
                    "created_at": "2024-05-01T10:00:00.000000Z",
                    "seconds": 12.5,
                }
            ],
            "pre_annotations": [
                {"model": "clf-v1", "score": 0.8, "value": {"sentiment": "neutral"}}
            ],
        },
        {
            "payload": {**DATA, "text": "Fine"},
            "external_id": "12",
            "annotations": [],
            "pre_annotations": [],
        },
    ]
    assert translator.report == TaskReport(
        tasks=2,
        annotations=1,
        cancelled=1,
        superseded=0,
        predictions=1,
        skipped_results=Counter({"outline": 1}),
    )


def test_numbered_users_and_repeated_annotations() -> None:
    """A user known by id gets a reserved address; someone's earlier annotation of the same
    task gives way to their latest."""
    translator = _translator()
    first = annotation(5, [result("sentiment", "review", "choices", {"choices": ["positive"]})])
    later = {
        **first,
        "created_at": "2024-06-01T00:00:00Z",
        "result": [result("sentiment", "review", "choices", {"choices": ["neutral"]})],
    }
    row = translator.row({"id": 1, "data": {"text": TEXT}, "annotations": [later, first]}, 1)
    assert [(a["annotator"], a["value"]["sentiment"]) for a in row["annotations"]] == [
        ("label-studio-user-5@label-studio.invalid", "neutral")
    ]
    assert translator.report.superseded == 1


@pytest.mark.parametrize(
    ("results", "field", "words"),
    [
        (
            [result("sentiment", "review", "choices", {"choices": ["furious"]})],
            "annotations[0].result[0].value.choices",
            "'furious' is not a label of 'sentiment'",
        ),
        (
            [result("mood", "review", "choices", {"choices": ["positive"]})],
            "annotations[0].result[0].from_name",
            "no field of the project",
        ),
        (
            [result("sentiment", "review", "rating", {"rating": 2})],
            "annotations[0].result[0].type",
            "a 'rating' result for 'sentiment'",
        ),
        (
            [{**box(1, 1, 1, 1, "box"), "original_width": None}],
            "annotations[0].result[0].original_width",
            "original_width",
        ),
        (
            [
                {
                    **box(1, 1, 1, 1, "box"),
                    "value": {**box(1, 1, 1, 1, "box")["value"], "rotation": 30},
                }
            ],
            "annotations[0].result[0].value",
            "rotated by 30 degrees",
        ),
        (
            [
                result("sentiment", "review", "choices", {"choices": ["positive"]}),
                result("sentiment", "review", "choices", {"choices": ["neutral"]}),
            ],
            "annotations[0].result[1]",
            "a second result",
        ),
    ],
)
def test_bad_results_are_refused_naming_task_and_result(
    results: list[dict[str, Any]], field: str, words: str
) -> None:
    """A label outside the field, an unknown from_name, a type that does not fit, a box
    without an image size, a rotated box or two answers to one field name the result."""
    task = {"id": 3, "data": DATA, "annotations": [annotation("a@example.com", results)]}
    with pytest.raises(InvalidImport) as caught:
        _translator().row(task, 4)
    assert caught.value.location == Location(file="export.json", line=4, field=field)
    assert words in caught.value.message


@pytest.mark.parametrize(
    ("data", "words", "line"),
    [
        (json.dumps(export())[:-40].encode(), "invalid JSON: Expecting ',' delimiter", 2),
        (json.dumps(export())[:-1].encode(), "expecting ',' or ']' at the end of the file", 2),
        (b'[{"id": 1, "data": {}}, {"id": NaN}]', "NaN is not valid JSON", 2),
        (b"[{}]  [", "extra data after the list of tasks", 1),
        (b'{"tasks": []}', "list of tasks, not a JSON object", None),
        (b" [ ] ", "has no tasks", None),
        (b"\xff\xfe[", "export.json is not UTF-8 (byte 0)", None),
    ],
)
def test_files_that_are_not_exports_are_refused(data: bytes, words: str, line: int | None) -> None:
    """A truncated export, NaN, trailing data, an object, an empty list and bad UTF-8 are
    refused, naming the task where there is one."""
    with pytest.raises(InvalidImport) as caught:
        list(ExportTasks(data, source="export.json"))
    assert words in caught.value.message
    assert caught.value.location == Location(file="export.json", line=line)


def test_tasks_are_read_one_at_a_time_as_often_as_asked() -> None:
    """The export's tasks come out in order, the same on every pass."""
    tasks = ExportTasks(("\ufeff" + json.dumps(export(), indent=2)).encode(), source="e.json")
    assert (list(tasks), list(tasks)) == (export(), export())


def test_fields_are_guessed_from_results_without_a_config() -> None:
    """Without the config, each from_name's results say its kind, labels and data key."""
    guessed = infer_config(export())
    assert [(f["name"], f["kind"], f.get("source"), f.get("labels")) for f in guessed.fields] == [
        ("sentiment", "choice", "text", ["negative", "neutral"]),
        ("topics", "multi_choice", "text", ["shipping", "price"]),
        ("ner", "spans", "text", ["BRAND"]),
        ("objects", "boxes", "image", ["logo"]),
        ("comment", "text", None, None),
        ("stars", "rating", None, None),
        ("speakers", "segments", "audio", ["agent"]),
    ]
    assert guessed.untranslated == ["results of type 'polygonlabels' for 'outline'"]


def test_a_spec_written_as_a_config_translates_back_to_its_fields() -> None:
    """label_config_of and translate_config are inverse for the supported kinds."""
    fields = translate_config(CONFIG).fields
    spec = spec_from_dict({"name": "ls", "fields": fields})
    again = translate_config(label_config_of(spec))
    assert [(f["name"], f["kind"], f.get("labels")) for f in again.fields] == [
        (f["name"], f["kind"], f.get("labels")) for f in fields
    ]
    assert again.untranslated == []
