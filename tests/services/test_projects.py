"""Applying project specs: creation, idempotence, guideline versions, unsafe changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.services.builders import SENTIMENT, add_annotators, load_texts

from labelworks.domain.errors import InvalidSpec, UnsafeSpecChange
from labelworks.domain.spec import ProjectSpec, parse_spec, spec_from_dict
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.projects import (
    ApplyResult,
    apply_spec,
    effective_spec_yaml,
    get_project,
    list_projects,
    load_spec_file,
)
from labelworks.storage.engine import Database

RULES = "# Rules\nBe kind."


def _spec(**overrides: Any) -> ProjectSpec:
    return spec_from_dict({**SENTIMENT, **overrides})


def _state(db: Database) -> tuple[object, ...]:
    """What a refused apply must leave untouched: the row, spec and guideline version."""
    view = get_project(db, "sentiment")
    row = view.row
    return (
        row.spec,
        row.overlap,
        row.spec_revision,
        row.guideline_version,
        view.guidelines.version if view.guidelines else None,
    )


def _annotate(db: Database, value: dict[str, Any]) -> None:
    """One annotator leases item 1 and submits ``value``."""
    [who] = add_annotators(db, "sentiment", 1, prefix="worker")
    task = next_task_for(db, "sentiment", who)
    assert task is not None
    submit_annotation(db, task.assignment_id, who, value=value, seconds=1.0, idempotency_key="k")


def test_apply_creates_revision_one_with_guidelines_v1(db: Database) -> None:
    """The first apply creates the project at spec revision 1 and guidelines v1."""
    result = apply_spec(db, _spec(guidelines_changelog="first cut"), guidelines=RULES)
    assert result == ApplyResult("sentiment", "created", 1, 1, True, [])
    view = get_project(db, "sentiment")
    assert (view.row.name, view.row.description, view.row.overlap, view.row.lease_minutes) == (
        "sentiment",
        "Sentiment of product reviews",
        2,
        30,
    )
    assert view.guidelines is not None
    assert (view.guidelines.version, view.guidelines.content, view.guidelines.changelog) == (
        1,
        RULES,
        "first cut",
    )
    assert [p.name for p in list_projects(db)] == ["sentiment"]


def test_apply_without_guidelines_has_no_version(db: Database) -> None:
    """A project created without guidelines has no guideline version."""
    assert apply_spec(db, _spec(), guidelines=None) == ApplyResult(
        "sentiment", "created", 1, None, False, []
    )
    assert get_project(db, "sentiment").guidelines is None


def test_reapply_is_unchanged(db: Database) -> None:
    """Applying the same spec and guidelines again changes nothing."""
    apply_spec(db, _spec(), guidelines=RULES)
    before = _state(db)
    assert apply_spec(db, _spec(), guidelines=RULES) == ApplyResult(
        "sentiment", "unchanged", 1, 1, False, []
    )
    assert _state(db) == before


def test_guidelines_change_makes_a_new_version_with_its_changelog(
    request: pytest.FixtureRequest, db: Database
) -> None:
    """New guideline text becomes v2 carrying the spec's changelog line; the spec stays rev 1."""
    apply_spec(db, _spec(), guidelines=RULES)
    result = apply_spec(db, _spec(), guidelines=RULES + "\nSarcasm counts as meant.")
    assert result == ApplyResult("sentiment", "updated", 1, 2, True, [])
    # The changelog line is part of the spec, so the spec moves to revision 2 too.
    changed = _spec(guidelines_changelog="sarcasm rule")
    result = apply_spec(db, changed, guidelines=RULES + "\nSarcasm: label what is meant.")
    assert result == ApplyResult("sentiment", "updated", 2, 3, True, [])
    view = get_project(db, "sentiment")
    assert view.guidelines is not None
    assert (view.guidelines.version, view.guidelines.content, view.guidelines.changelog) == (
        3,
        RULES + "\nSarcasm: label what is meant.",
        "sarcasm rule",
    )


def test_spec_change_bumps_the_revision(request: pytest.FixtureRequest, db: Database) -> None:
    """A changed description and lease time make spec revision 2 and update the row."""
    apply_spec(db, _spec(), guidelines=RULES)
    result = apply_spec(db, _spec(description="Reviews", lease_minutes=10), guidelines=RULES)
    assert result == ApplyResult("sentiment", "updated", 2, 1, False, [])
    row = get_project(db, "sentiment").row
    assert (row.description, row.lease_minutes, row.spec_revision) == ("Reviews", 10, 2)


UNSAFE = [
    pytest.param(
        {"fields": [{"name": "sentiment", "kind": "choice", "labels": ["negative", "neutral"]}]},
        "label 'positive' of field 'sentiment' is in use and would be removed",
        id="label-in-use-removed",
    ),
    pytest.param(
        {
            "fields": [
                {
                    "name": "sentiment",
                    "kind": "multi_choice",
                    "labels": ["positive", "negative", "neutral"],
                }
            ]
        },
        "field 'sentiment' has annotations and would change kind from choice to multi_choice",
        id="kind-changed",
    ),
    pytest.param(
        {"fields": [{"name": "topic", "kind": "choice", "labels": ["food", "tech"]}]},
        "field 'sentiment' has annotations and would be removed",
        id="field-in-use-removed",
    ),
]


@pytest.mark.parametrize(("change", "reason"), UNSAFE)
def test_unsafe_change_is_refused_and_changes_nothing(
    db: Database, change: dict[str, Any], reason: str
) -> None:
    """A change that invalidates annotations raises UnsafeSpecChange naming why; nothing moves."""
    apply_spec(db, _spec(), guidelines=RULES)
    load_texts(db, "sentiment", ["great", "awful"])
    _annotate(db, {"sentiment": "positive"})
    before = _state(db)
    with pytest.raises(UnsafeSpecChange) as caught:
        apply_spec(db, _spec(**change), guidelines=RULES + "\nmore")
    assert caught.value.details == {"reasons": [reason]}
    assert str(caught.value) == (
        f"this change would invalidate existing annotations: {reason} "
        "(apply with --force to do it anyway)"
    )
    assert _state(db) == before


@pytest.mark.parametrize(("change", "reason"), UNSAFE)
def test_unsafe_change_goes_through_with_force(
    request: pytest.FixtureRequest, db: Database, change: dict[str, Any], reason: str
) -> None:
    """With force the same change is applied and the forced reason is reported."""
    apply_spec(db, _spec(), guidelines=RULES)
    load_texts(db, "sentiment", ["great"])
    _annotate(db, {"sentiment": "positive"})
    result = apply_spec(db, _spec(**change), guidelines=RULES, force=True)
    assert result == ApplyResult("sentiment", "updated", 2, 1, False, [reason])
    assert get_project(db, "sentiment").spec == _spec(**change)


def test_removing_an_unused_label_is_safe(request: pytest.FixtureRequest, db: Database) -> None:
    """Removing a label nobody used needs no force."""
    apply_spec(db, _spec(), guidelines=RULES)
    load_texts(db, "sentiment", ["great"])
    _annotate(db, {"sentiment": "positive"})
    fields = [{"name": "sentiment", "kind": "choice", "labels": ["positive", "negative"]}]
    assert apply_spec(db, _spec(fields=fields), guidelines=RULES) == ApplyResult(
        "sentiment", "updated", 2, 1, False, []
    )


def test_raising_overlap_offers_full_items_again(
    request: pytest.FixtureRequest, db: Database
) -> None:
    """An item full at overlap 1 is offered to a second annotator once overlap becomes 2."""
    apply_spec(db, _spec(overlap=1), guidelines=RULES)
    load_texts(db, "sentiment", ["only item"])
    _annotate(db, {"sentiment": "positive"})
    [other] = add_annotators(db, "sentiment", 1, prefix="other")
    assert next_task_for(db, "sentiment", other) is None
    apply_spec(db, _spec(overlap=2), guidelines=RULES)
    task = next_task_for(db, "sentiment", other)
    assert task is not None and (task.item_id, task.payload) == (1, {"text": "only item"})


def test_lowering_overlap_withdraws_started_items(
    request: pytest.FixtureRequest, db: Database
) -> None:
    """An item with one annotation at overlap 2 is no longer offered once overlap becomes 1."""
    apply_spec(db, _spec(overlap=2), guidelines=RULES)
    load_texts(db, "sentiment", ["first", "second"])
    _annotate(db, {"sentiment": "positive"})
    [other] = add_annotators(db, "sentiment", 1, prefix="other")
    apply_spec(db, _spec(overlap=1), guidelines=RULES)
    task = next_task_for(db, "sentiment", other)
    assert task is not None and task.item_id == 2


SPEC_WITH_PATH = """\
name: sentiment
fields:
  - name: sentiment
    kind: choice
    labels: [positive, negative]
guidelines: guides/sentiment.md
"""


def test_load_spec_file_reads_guidelines_relative_to_the_spec(tmp_path: Path) -> None:
    """A guidelines path is resolved against the spec file's folder, not the cwd."""
    (tmp_path / "specs" / "guides").mkdir(parents=True)
    (tmp_path / "specs" / "guides" / "sentiment.md").write_text("# Guide\nBe fair.\n")
    spec_file = tmp_path / "specs" / "spec.yaml"
    spec_file.write_text(SPEC_WITH_PATH)
    spec, guidelines = load_spec_file(spec_file)
    assert (spec.name, spec.guidelines, guidelines) == (
        "sentiment",
        "guides/sentiment.md",
        "# Guide\nBe fair.\n",
    )


def test_load_spec_file_inline_guidelines(tmp_path: Path) -> None:
    """Inline Markdown guidelines come back as they are."""
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(SPEC_WITH_PATH.replace("guides/sentiment.md", "'Label the mood.'"))
    assert load_spec_file(spec_file)[1] == "Label the mood."


def test_load_spec_file_missing_guidelines_names_the_file(tmp_path: Path) -> None:
    """A guidelines file that does not exist is an InvalidSpec naming spec and target."""
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(SPEC_WITH_PATH)
    with pytest.raises(InvalidSpec) as caught:
        load_spec_file(spec_file)
    target = tmp_path / "guides" / "sentiment.md"
    assert caught.value.to_dict() == {
        "code": "invalid_spec",
        "message": f"{spec_file}, field 'guidelines': guidelines file {target} cannot be read "
        "(No such file or directory)",
        "location": {"file": str(spec_file), "line": None, "field": "guidelines"},
    }


def test_load_spec_file_guidelines_not_utf8_names_the_file(tmp_path: Path) -> None:
    """Guidelines that are not UTF-8 are refused with the byte offset and the file."""
    (tmp_path / "guides").mkdir()
    (tmp_path / "guides" / "sentiment.md").write_bytes(b"# Guide\n\xff\xfe oops")
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(SPEC_WITH_PATH)
    with pytest.raises(InvalidSpec) as caught:
        load_spec_file(spec_file)
    target = tmp_path / "guides" / "sentiment.md"
    assert caught.value.to_dict() == {
        "code": "invalid_spec",
        "message": f"{spec_file}, field 'guidelines': guidelines file {target} is not valid "
        "UTF-8 (byte 8)",
        "location": {"file": str(spec_file), "line": None, "field": "guidelines"},
    }


def test_load_spec_file_missing_or_not_utf8_spec(tmp_path: Path) -> None:
    """A missing spec file or one that is not UTF-8 is an InvalidSpec naming it."""
    missing = tmp_path / "nope.yaml"
    with pytest.raises(InvalidSpec) as caught:
        load_spec_file(missing)
    assert str(caught.value) == f"spec file {missing} does not exist"
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(InvalidSpec) as caught:
        load_spec_file(bad)
    assert str(caught.value) == f"spec file {bad} is not valid UTF-8 (invalid continuation byte)"


def test_effective_spec_yaml_round_trips(db: Database) -> None:
    """The effective YAML parses back to the very spec that was applied, defaults included."""
    spec = _spec(
        priority=3,
        guidelines_changelog="v1",
        quality={"gold_rate": 0.1, "custom": {"x": 1}},
    )
    apply_spec(db, spec, guidelines=RULES)
    text = effective_spec_yaml(db, "sentiment")
    assert parse_spec(text) == spec
    assert "lease_minutes: 30" in text and "allow_remote_media: false" in text
