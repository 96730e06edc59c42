"""A project's spec history: revisions (forced ones marked) and the diff between any two,
guideline versions each readable, the spec as the editor starts it, and the dry run of an
apply, which follows the apply's own rules and changes nothing; on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from tests.services.builders import SENTIMENT, add_annotators, load_texts

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import AlreadyExists, NotFound, PermissionDenied, UnsafeSpecChange
from labelworks.domain.spec import ProjectSpec, parse_spec, spec_from_dict, spec_to_yaml
from labelworks.domain.spec_diff import diff_lines
from labelworks.services import spec_history
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.projects import apply_spec, get_project
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

RULES = "# Rules\nBe kind."


def _spec(**overrides: Any) -> ProjectSpec:
    return spec_from_dict({**SENTIMENT, **overrides})


def _fields(*labels: str) -> list[dict[str, Any]]:
    return [{"name": "sentiment", "kind": "choice", "labels": list(labels)}]


def _labelled(db: Database, label: str) -> None:
    """Items, and one annotation with ``label``."""
    load_texts(db, "sentiment", ["a", "b"])
    [who] = add_annotators(db, "sentiment", 1, prefix="worker")
    task = next_task_for(db, "sentiment", who)
    assert task is not None
    value = {"sentiment": label}
    submit_annotation(db, task.assignment_id, who, value=value, seconds=1.0, idempotency_key="k")


def _three_revisions(db: Database) -> None:
    """Revision 1 (guidelines v1), 2 (a description and guidelines v2), 3 (forced: a label
    in use removed)."""
    apply_spec(db, _spec(guidelines_changelog="first"), guidelines=RULES)
    apply_spec(
        db,
        _spec(description="Now with care", guidelines_changelog="kinder"),
        guidelines=RULES + "\nMore.",
    )
    _labelled(db, "neutral")
    spec = _spec(description="Now with care", fields=_fields("positive", "negative"))
    apply_spec(db, spec, guidelines=RULES + "\nMore.", force=True)


def test_revisions_are_listed_oldest_first_with_the_forced_one_marked(db: Database) -> None:
    _three_revisions(db)
    revisions = spec_history.spec_revisions_of(db, "sentiment")
    assert [(r.revision, r.forced) for r in revisions] == [(1, False), (2, False), (3, True)]
    assert revisions[0].created_at <= revisions[1].created_at <= revisions[2].created_at


def test_the_diff_between_any_two_revisions_is_of_their_effective_yaml(db: Database) -> None:
    """Forward, backward and to itself; the diff reads as ``diff -u`` of ``project show``."""
    _three_revisions(db)
    forward = spec_history.spec_diff(db, "sentiment", 1, 3)
    backward = spec_history.spec_diff(db, "sentiment", 3, 1)
    same = spec_history.spec_diff(db, "sentiment", 2, 2)
    lines = diff_lines(forward.diff)
    changed = {(d.kind, d.text.strip()) for d in lines if d.kind in ("add", "remove")}
    assert forward.diff.splitlines()[:2] == ["--- revision 1", "+++ revision 3"]
    assert {
        ("remove", "labels: [positive, negative, neutral]"),
        ("add", "labels: [positive, negative]"),
        ("add", "description: Now with care"),
    } <= changed
    assert ("remove", "guidelines_changelog: first") in changed  # revision 3 gives none
    assert [
        d.kind
        for d in diff_lines(backward.diff)
        if d.text.strip() == "labels: [positive, negative]"
    ] == ["remove"]
    assert (same.diff, same.a.revision, same.b.revision, forward.b.forced) == ("", 2, 2, True)


def test_a_revision_reads_back_as_it_was_applied(db: Database) -> None:
    _three_revisions(db)
    row, spec = spec_history.spec_revision(db, "sentiment", 1)
    assert (row.revision, spec.description, spec.field("sentiment").labels) == (
        1,
        "Sentiment of product reviews",
        ["positive", "negative", "neutral"],
    )


@pytest.mark.parametrize(("a", "b"), [(1, 4), (0, 1), (9, 9)])
def test_a_revision_that_does_not_exist_is_not_found(db: Database, a: int, b: int) -> None:
    _three_revisions(db)
    with pytest.raises(NotFound, match="has no spec revision"):
        spec_history.spec_diff(db, "sentiment", a, b)


def test_every_guideline_version_is_readable_with_its_changelog(db: Database) -> None:
    _three_revisions(db)
    versions = spec_history.guideline_versions_of(db, "sentiment")
    second = spec_history.guideline_version(db, "sentiment", 2)
    assert [(v.version, v.changelog) for v in versions] == [(1, "first"), (2, "kinder")]
    assert (second.content, second.changelog) == (RULES + "\nMore.", "kinder")
    with pytest.raises(NotFound, match="has no guideline version 3"):
        spec_history.guideline_version(db, "sentiment", 3)


def test_the_history_is_the_projects_own(db: Database) -> None:
    """Members see their project's history (annotators too: they see its spec); a
    non-member is told the project does not exist."""
    _three_revisions(db)
    apply_spec(db, _spec(name="other"), guidelines=None)
    member = add_user(db, "m@example.com", role="annotator", projects=["sentiment"]).user
    outsider = add_user(db, "o@example.com", role="manager", projects=["other"]).user
    as_member = Actor(member.id, member.email, Role.ANNOTATOR)
    as_outsider = Actor(outsider.id, outsider.email, Role.MANAGER)
    assert len(spec_history.spec_revisions_of(db, "sentiment", actor=as_member)) == 3
    for call in (
        lambda: spec_history.spec_revisions_of(db, "sentiment", actor=as_outsider),
        lambda: spec_history.spec_diff(db, "sentiment", 1, 2, actor=as_outsider),
        lambda: spec_history.guideline_versions_of(db, "sentiment", actor=as_outsider),
        lambda: spec_history.guideline_version(db, "sentiment", 1, actor=as_outsider),
    ):
        with pytest.raises(NotFound):
            call()


def test_the_editor_holds_the_current_guidelines_so_applying_it_keeps_them(db: Database) -> None:
    """A spec applied with its guidelines beside it (as the CLI and the demo do) is edited
    with them inline: applying the editor's text unchanged publishes no new version."""
    apply_spec(db, _spec(), guidelines=RULES)
    editor = spec_history.spec_editor(db, "sentiment")
    spec = parse_spec(editor.yaml)
    result = apply_spec(db, spec, guidelines=spec.guidelines)
    assert (spec.guidelines, editor.may_apply) == (RULES, True)
    assert (result.guidelines_changed, get_project(db, "sentiment").row.guideline_version) == (
        False,
        1,
    )


def test_only_those_who_manage_the_project_may_apply_from_the_editor(db: Database) -> None:
    apply_spec(db, _spec(), guidelines=RULES)
    people = {
        role: add_user(db, f"{role}@example.com", role=role, projects=["sentiment"]).user
        for role in ("manager", "reviewer", "annotator")
    }
    may = {
        role: spec_history.spec_editor(
            db, "sentiment", actor=Actor(user.id, user.email, Role(role))
        ).may_apply
        for role, user in people.items()
    }
    assert may == {"manager": True, "reviewer": False, "annotator": False}


def test_the_check_of_a_new_project_would_create_it(db: Database) -> None:
    found = spec_history.check_spec(db, _spec(), guidelines=RULES)
    assert (found.action, found.spec_revision, found.unsafe, found.guidelines_changed) == (
        "created",
        None,
        [],
        True,
    )
    assert found.diff.splitlines()[:2] == ["--- (no project)", "+++ proposed"]
    assert all(d.kind != "remove" for d in diff_lines(found.diff))
    with pytest.raises(NotFound):
        get_project(db, "sentiment")


def test_the_check_finds_what_the_apply_would_refuse_and_changes_nothing(db: Database) -> None:
    """Removing a label in use: the check lists the apply's reasons, the apply refuses with
    the same ones, nothing changed."""
    apply_spec(db, _spec(), guidelines=RULES)
    _labelled(db, "neutral")
    proposed = _spec(fields=_fields("positive", "negative"))
    found = spec_history.check_spec(db, proposed, guidelines=RULES)
    with pytest.raises(UnsafeSpecChange) as refused:
        apply_spec(db, proposed, guidelines=RULES)
    assert found.action == "updated"
    assert found.unsafe == refused.value.details["reasons"] != []
    assert "-  labels: [positive, negative, neutral]" in found.diff.splitlines()
    assert [r.revision for r in spec_history.spec_revisions_of(db, "sentiment")] == [1]


def test_the_check_of_the_same_spec_is_unchanged_and_of_new_guidelines_says_so(
    db: Database,
) -> None:
    apply_spec(db, _spec(), guidelines=RULES)
    same = spec_history.check_spec(db, _spec(), guidelines=RULES)
    guidelines = spec_history.check_spec(db, _spec(), guidelines=RULES + "\nAnd fast.")
    assert (same.action, same.diff, same.spec_revision) == ("unchanged", "", 1)
    assert (guidelines.action, guidelines.diff, guidelines.guidelines_changed) == (
        "updated",
        "",
        True,
    )


def test_the_check_asks_the_apply_permission(db: Database) -> None:
    apply_spec(db, _spec(), guidelines=RULES)
    reviewer = add_user(db, "r@example.com", role="reviewer", projects=["sentiment"]).user
    actor = Actor(reviewer.id, reviewer.email, Role.REVIEWER)
    with pytest.raises(PermissionDenied):
        spec_history.check_spec(db, _spec(), guidelines=RULES, actor=actor)
    with pytest.raises(PermissionDenied, match="a reviewer may not create projects"):
        spec_history.check_spec(db, _spec(name="fresh"), guidelines=None, actor=actor)


def test_creating_only_refuses_a_name_in_use_and_changes_nothing(db: Database) -> None:
    """``new_only`` (the New project page): an existing project is not updated, whoever
    asks; the spec stays at revision 1."""
    apply_spec(db, _spec(), guidelines=RULES)
    manager = add_user(db, "m@example.com", role="manager").user
    with pytest.raises(AlreadyExists, match="a project named 'sentiment' already exists"):
        apply_spec(
            db,
            _spec(description="taken over"),
            guidelines=None,
            new_only=True,
            actor=Actor(manager.id, manager.email, Role.MANAGER),
        )
    view = get_project(db, "sentiment")
    assert (view.row.spec_revision, view.spec.description) == (1, SENTIMENT["description"])
    assert spec_to_yaml(view.spec) == spec_to_yaml(_spec())
