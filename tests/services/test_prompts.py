"""The prompt registry's services: pushing versions (the same content again makes none),
listing, showing, diffing and rendering, and who may push; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import InvalidInput, NotFound, PermissionDenied
from labelworks.domain.prompts import PromptContent, prompt_from_dict
from labelworks.services import prompts
from labelworks.storage.engine import Database

MANAGER = Actor(7, "lead@example.com", Role.MANAGER)


def _content(template: str = "Summarise: {{ text }}", **extra: object) -> PromptContent:
    return prompt_from_dict({"variables": {"text": "what to summarise"}, "template": template,
                             **extra})  # fmt: skip


def test_pushes_number_versions_and_the_same_content_makes_none(db: Database) -> None:
    """Version 1, then 2 for a change, then nothing new for the same content again (the
    latest comes back, created false); going back to version 1's content makes version 3."""
    first = prompts.push_prompt(db, "summary", _content(), actor=MANAGER)
    second = prompts.push_prompt(db, "summary", _content("Sum up: {{ text }}"))
    again = prompts.push_prompt(db, "summary", _content("Sum up: {{ text }}"), actor=MANAGER)
    back = prompts.push_prompt(db, "summary", _content())
    seen = [(p.row.version, p.created, p.row.created_by) for p in (first, second, again, back)]
    assert seen == [
        (1, True, "lead@example.com"),
        (2, True, None),
        (2, False, None),
        (3, True, None),
    ]
    assert back.row.content_hash == first.row.content_hash


def test_list_show_and_versions(db: Database) -> None:
    """The list has each prompt by name with its latest version, count and description;
    show gives the latest or the version asked for, with its content as pushed."""
    prompts.push_prompt(db, "summary", _content())
    prompts.push_prompt(db, "summary", _content(description="Short summaries"))
    prompts.push_prompt(db, "judge", prompt_from_dict({"variables": [], "template": "Judge."}))
    listed = [(p.name, p.latest, p.versions, p.description) for p in prompts.list_prompts(db)]
    latest = prompts.show_prompt(db, "summary")
    first = prompts.show_prompt(db, "summary", 1)
    assert listed == [("judge", 1, 1, ""), ("summary", 2, 2, "Short summaries")]
    assert (latest.version, latest.content, first.version, first.content) == (
        2,
        _content(description="Short summaries"),
        1,
        _content(),
    )
    detail = prompts.prompt_detail(db, "summary", 1)
    assert (detail.row, [r.version for r in detail.versions]) == (first, [1, 2])


def test_missing_prompts_and_versions_are_not_found(db: Database) -> None:
    """An unknown prompt, a version it does not have, and a bad name each say what."""
    prompts.push_prompt(db, "summary", _content())
    found = []
    for call in (
        lambda: prompts.show_prompt(db, "nothing"),
        lambda: prompts.show_prompt(db, "summary", 4),
        lambda: prompts.prompt_detail(db, "summary", 3),
        lambda: prompts.diff_prompt(db, "summary", 1, 2),
        lambda: prompts.show_prompt(db, "Bad Name"),
    ):
        with pytest.raises((NotFound, InvalidInput)) as raised:
            call()
        found.append((raised.value.code, raised.value.message))
    assert found == [
        ("not_found", "prompt 'nothing' does not exist"),
        ("not_found", "prompt 'summary' has no version 4"),
        ("not_found", "prompt 'summary' has no version 3"),
        ("not_found", "prompt 'summary' has no version 2"),
        (
            "invalid_input",
            "prompt name 'Bad Name' must be 1-64 characters of lowercase letters, digits, '-' "
            "and '_', starting with a letter or digit",
        ),
    ]


def test_diff_and_render(db: Database) -> None:
    """The diff of two versions names them and shows the template's change; rendering uses
    the version asked for (the latest by default) and names a missing variable."""
    prompts.push_prompt(db, "summary", _content(parameters={"temperature": 0.2}))
    prompts.push_prompt(db, "summary", _content("Sum up: {{ text }}"))
    found = prompts.diff_prompt(db, "summary", 1, 2)
    latest = prompts.render(db, "summary", {"text": "a long story"})
    first = prompts.render(db, "summary", {"text": "a long story"}, 1)
    with pytest.raises(InvalidInput) as missing:
        prompts.render(db, "summary", {})
    assert [line for line in found.diff.splitlines() if line[:1] in "+-"] == [
        "--- summary@1",
        "+++ summary@2",
        "-parameters:",
        "-  temperature: 0.2",
        "-template: 'Summarise: {{ text }}'",
        "+template: 'Sum up: {{ text }}'",
    ]
    assert (latest.row.version, latest.text, first.row.version, first.text) == (
        2,
        "Sum up: a long story",
        1,
        "Summarise: a long story",
    )
    assert missing.value.message == ("missing variable 'text' (the prompt's variables: text)")


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [
        (Actor(1, "admin@example.com", Role.ADMIN), True),
        (MANAGER, True),
        (Actor(2, "vendor@example.com", Role.MANAGER, vendor="acme"), False),
        (Actor(3, "reviewer@example.com", Role.REVIEWER), False),
        (Actor(4, "annotator@example.com", Role.ANNOTATOR), False),
    ],
)
def test_only_admins_and_managers_push(db: Database, actor: Actor, allowed: bool) -> None:
    """Admins and managers push; a vendor's manager, reviewers and annotators are refused
    and nothing is written; everyone reads."""
    if allowed:
        assert prompts.push_prompt(db, "summary", _content(), actor=actor).created
    else:
        with pytest.raises(PermissionDenied):
            prompts.push_prompt(db, "summary", _content(), actor=actor)
    listed = [p.name for p in prompts.list_prompts(db, actor=actor)]
    assert listed == (["summary"] if allowed else [])


def test_concurrent_pushes_each_get_their_own_version(db: Database) -> None:
    """Four pushes of different content at once make versions 1-4, none lost."""
    barrier = threading.Barrier(4)
    made: list[int] = []

    def push(n: int) -> None:
        barrier.wait()
        made.append(prompts.push_prompt(db, "race", _content(f"{n}: {{{{ text }}}}")).row.version)

    threads = [threading.Thread(target=push, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = sorted(r.content.template[0] for r in prompts.prompt_detail(db, "race").versions)
    assert (sorted(made), stored) == ([1, 2, 3, 4], ["0", "1", "2", "3"])
