"""Prompt documents: parsing YAML and plain templates, the declared variables against the
ones the template reads, model parameters, the sandbox, strict rendering and the diff."""

from __future__ import annotations

from typing import Any

import pytest

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import InvalidInput
from labelworks.domain.prompts import (
    PromptContent,
    may_push_prompts,
    parse_prompt,
    parse_ref,
    prompt_diff,
    prompt_from_dict,
    prompt_from_template,
    render_prompt,
)

JUDGE = """description: Is the answer faithful?
variables:
  source: the text the answer must stay faithful to
  answer: the model's answer
parameters: {model: judge-1, temperature: 0, max_tokens: 5, stop: [END]}
template: |
  Source: {{ source }}
  Answer: {{ answer }}
  Reply yes or no.
"""


def _error(call: Any, *args: Any, **kwargs: Any) -> tuple[str, str | None, int | None, str]:
    """The prompt error ``call`` raises: its code, field, line and message."""
    with pytest.raises(InvalidInput) as raised:
        call(*args, **kwargs)
    location = raised.value.location
    assert location is not None
    return raised.value.code, location.field, location.line, raised.value.message


def test_a_yaml_prompt_is_read_whole_and_writes_back_the_same() -> None:
    """Template, described variables in order, the parameters given (temperature as a
    number) and the description; its YAML reads back equal, and renders."""
    content = parse_prompt(JUDGE, source="judge.yaml")
    assert content == PromptContent(
        template="Source: {{ source }}\nAnswer: {{ answer }}\nReply yes or no.\n",
        variables={
            "source": "the text the answer must stay faithful to",
            "answer": "the model's answer",
        },
        parameters={"model": "judge-1", "temperature": 0.0, "max_tokens": 5, "stop": ["END"]},
        description="Is the answer faithful?",
    )
    assert parse_prompt(content.to_yaml()) == content
    assert render_prompt(content, {"source": "Paris is in France.", "answer": "yes"}) == (
        "Source: Paris is in France.\nAnswer: yes\nReply yes or no.\n"
    )


def test_variables_as_a_list_and_the_hash_ignore_order_only() -> None:
    """A list declares names without descriptions and is written back as a list; the hash
    is the same for the variables in another order, and differs for any other change."""
    text = "variables: [a, b]\ntemplate: '{{ a }}{{ b }}'\n"
    content = parse_prompt(text)
    swapped = parse_prompt("variables: [b, a]\ntemplate: '{{ a }}{{ b }}'\n")
    described = parse_prompt("variables: {a: x, b: ''}\ntemplate: '{{ a }}{{ b }}'\n")
    assert (content.variables, content.document()["variables"]) == ({"a": "", "b": ""}, ["a", "b"])
    assert (content.content_hash == swapped.content_hash, content == described) == (True, False)
    assert content.content_hash != described.content_hash


def test_a_plain_template_declares_what_it_reads_in_order() -> None:
    """A template file's variables are the names it reads, first appearance first, not the
    ones it sets or loops over, nor Jinja's own names; it has no parameters."""
    text = "{% set n = items|length %}{{ question }}{% for x in items %}{{ loop.index }}{{ x }}"
    content = prompt_from_template(text + "{% endfor %}{{ range(n)|list }}", source="q.j2")
    assert (list(content.variables), content.parameters, content.description) == (
        ["items", "question"],
        {},
        "",
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (
            JUDGE.replace("Reply yes", "{{ rubric }} Reply yes"),
            (
                "variables",
                2,
                "the template reads variable 'rubric' but 'variables' does not declare it",
            ),
        ),
        (
            JUDGE.replace("  answer: the model's answer\n", "  answer: a\n  extra: b\n  more: c\n"),
            (
                "variables",
                2,
                "'variables' declares variables 'extra', 'more' but the template never reads them",
            ),
        ),
        (
            JUDGE.replace("temperature: 0", "temprature: 0"),
            (
                "parameters.temprature",
                5,
                "unknown key 'temprature' (did you mean 'temperature'?); allowed keys: model, "
                "temperature, max_tokens, top_p, stop, seed",
            ),
        ),
        (
            JUDGE.replace("temperature: 0", "temperature: 2.5"),
            ("parameters.temperature", 5, "must be at most 2, got 2.5"),
        ),
        (
            JUDGE.replace("max_tokens: 5", "max_tokens: '5'"),
            ("parameters.max_tokens", 5, "must be an integer, got '5'"),
        ),
        (
            JUDGE.replace("Reply yes", "{% if %} Reply yes"),
            (
                "template",
                9,
                "the template does not parse: Expected an expression, got 'end of statement "
                "block' (template line 3)",
            ),
        ),
        (
            JUDGE.replace("variables:\n", "variables: 5\nvariables:\n"),
            ("variables", 3, "duplicate key 'variables' (first given on line 2)"),
        ),
        (
            "template: hi\n",
            ("variables", 1, "missing required key 'variables'"),
        ),
        (
            "variables: [range]\ntemplate: '{{ range }}'\n",
            ("variables[0]", 1, "'range' is a name every template has; call it otherwise"),
        ),
        ("variables: []\ntemplate: '  '\n", ("template", 2, "the template is empty")),
    ],
)
def test_mistakes_are_named_by_field_and_line(text: str, found: tuple[str, int, str]) -> None:
    """Each mistake is an invalid_prompt error naming the field, its line and the problem."""
    assert _error(parse_prompt, text, source="p.yaml") == ("invalid_prompt", *found)


def test_the_sandbox_refuses_internals_at_push_and_at_render() -> None:
    """A template reading an underscore attribute (as an attribute or a constant key) is
    refused when pushed; one reaching it through ``attr`` is refused when rendered, as is
    calling a method that would change a variable."""
    pushed = [
        _error(prompt_from_template, "{{ ''.__class__ }}"),
        _error(prompt_from_template, "{{ x['__globals__'] }}"),
        _error(prompt_from_template, "{% include 'other' %}"),
    ]
    assert pushed == [
        ("invalid_prompt", None, 1, "the template reads '__class__': attributes starting "
         "with '_' are refused"),
        ("invalid_prompt", None, 1, "the template reads '__globals__': attributes starting "
         "with '_' are refused"),
        ("invalid_prompt", None, 1, "a prompt cannot include, import or extend another template"),
    ]  # fmt: skip
    sneaky = prompt_from_template("{{ x|attr('__class__') }}")
    mutating = prompt_from_template("{{ x.append(1) }}{{ x }}")
    with pytest.raises(InvalidInput) as refused:
        render_prompt(sneaky, {"x": "text"})
    with pytest.raises(InvalidInput) as changed:
        render_prompt(mutating, {"x": [0]})
    assert (refused.value.message, changed.value.message) == (
        "the sandbox refused the template: access to attribute '__class__' of 'str' object "
        "is unsafe.",
        "the sandbox refused the template: access to attribute 'append' of 'list' object is "
        "unsafe.",
    )


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ 'x' * 2000000 }}", "a repetition over 1,000,000 is refused"),
        ("{{ 2 ** 100000 }}", "an exponent over 256 is refused"),
        (
            "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
            "the template's loops take more than 100,000 steps",
        ),
        (
            "{% for i in range(99999) %}{{ x }}{% endfor %}",
            "the output is over 1,000,000 characters",
        ),
    ],
)
def test_rendering_is_bounded(template: str, message: str) -> None:
    """A huge repetition, power, loop or output stops with the sandbox's refusal."""
    content = prompt_from_template(template)
    with pytest.raises(InvalidInput) as refused:
        render_prompt(content, dict.fromkeys(content.variables, "x" * 20))
    assert refused.value.message == f"the sandbox refused the template: {message}"


def test_rendering_needs_exactly_the_variables() -> None:
    """Missing and unknown variables are named together with the declared ones; a value the
    template cannot use is the template's failure."""
    content = parse_prompt(JUDGE)
    with pytest.raises(InvalidInput) as wrong:
        render_prompt(content, {"source": "s", "answr": "a"})
    looped = prompt_from_template("{% for x in items %}{{ x.name }}{% endfor %}")
    with pytest.raises(InvalidInput) as failed:
        render_prompt(looped, {"items": [{"title": "t"}]})
    assert (wrong.value.message, wrong.value.details) == (
        "missing variable 'answer'; unknown variable 'answr' (the prompt's variables: "
        "source, answer)",
        {"missing": ["answer"], "unknown": ["answr"]},
    )
    assert failed.value.message == "the template failed: 'dict object' has no attribute 'name'"


def test_a_json_document_is_checked_the_same_way() -> None:
    """The API's JSON body is validated like a file, without lines; not a mapping is said."""
    content = prompt_from_dict({"variables": ["q"], "template": "{{ q }}?"})
    assert content == PromptContent("{{ q }}?", {"q": ""}, {})
    assert _error(prompt_from_dict, ["x"], source="request body") == (
        "invalid_prompt",
        None,
        None,
        "a prompt must be a mapping with 'template' and 'variables'; this one is a list",
    )


def test_the_diff_covers_description_variables_parameters_and_template() -> None:
    """Two versions' diff shows each changed line of their prompt files."""
    old = parse_prompt(JUDGE)
    new = parse_prompt(
        JUDGE.replace("temperature: 0", "temperature: 0.5").replace("Reply yes", "Say yes")
    )
    diff = prompt_diff(old, new, old_label="judge@1", new_label="judge@2")
    changed = [line for line in diff.splitlines() if line[:1] in "+-"]
    assert changed == [
        "--- judge@1",
        "+++ judge@2",
        "-  temperature: 0.0",
        "+  temperature: 0.5",
        "-  Reply yes or no.",
        "+  Say yes or no.",
    ]
    assert prompt_diff(old, old, old_label="a", new_label="b") == ""


def test_references_and_who_may_push() -> None:
    """NAME is the latest, NAME@N version N; a bad name or version is refused; admins,
    managers outside vendors and the local operator may push."""
    assert (parse_ref("judge"), parse_ref("judge@12")) == (("judge", None), ("judge", 12))
    assert [_error(parse_ref, ref)[3] for ref in ("Judge", "judge@0", "judge@x")] == [
        "prompt name 'Judge' must be 1-64 characters of lowercase letters, digits, '-' and "
        "'_', starting with a letter or digit",
        "'judge@0': the version after '@' must be a positive whole number",
        "'judge@x': the version after '@' must be a positive whole number",
    ]
    actors = [
        Actor(1, "a@x", Role.ADMIN, vendor="v"),
        Actor(2, "m@x", Role.MANAGER),
        Actor(3, "v@x", Role.MANAGER, vendor="v"),
        Actor(4, "r@x", Role.REVIEWER),
        Actor(5, "n@x", Role.ANNOTATOR),
        None,
    ]
    assert [may_push_prompts(a) for a in actors] == [True, True, False, False, False, True]
