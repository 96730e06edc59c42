"""``labelworks prompt`` on an embedded SQLite data directory: push (a YAML file or a plain
template; the same content again makes no version), list, show (the prompt file, which
pushes back unchanged), diff, render with --var and --vars-file, JSON for scripts, and the
exit codes of bad input (2) and of what does not exist (3)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.runner import lw

JUDGE = """\
description: Is the answer faithful?
variables:
  source: the text the answer must stay faithful to
  answer: the model's answer
parameters: {temperature: TEMP, max_tokens: 5}
template: |
  Source: {{ source }}
  Answer: {{ answer }}
"""


def _judge(tmp_path: Path, temperature: str = "0") -> Path:
    path = tmp_path / "judge.yaml"
    path.write_text(JUDGE.replace("TEMP", temperature))
    return path


def test_push_list_show_and_push_back(tmp_path: Path) -> None:
    """Two versions and an unchanged push are said as such; the list shows the latest;
    show prints version 1's file after a comment, and pushing that file back changes
    nothing (it is version 1's content, not the latest's: version 3)."""
    data = tmp_path / "data"
    said = [
        lw(data, "prompt", "push", "judge", str(_judge(tmp_path))).output,
        lw(data, "prompt", "push", "judge", str(_judge(tmp_path))).output,
        lw(data, "prompt", "push", "judge", str(_judge(tmp_path, "0.5"))).output,
    ]
    listed = json.loads(lw(data, "prompt", "list", "--json").output)
    shown = lw(data, "prompt", "show", "judge@1")
    again = tmp_path / "again.yaml"
    again.write_text(shown.output)
    back = json.loads(lw(data, "prompt", "push", "judge", str(again), "--json").output)
    assert said == [
        "prompt judge: version 1 pushed\n",
        "prompt judge: unchanged (version 1 holds the same content)\n",
        "prompt judge: version 2 pushed\n",
    ]
    assert [(p["name"], p["latest"], p["versions"], p["description"]) for p in listed] == [
        ("judge", 2, 2, "Is the answer faithful?")
    ]
    assert (shown.exit_code, shown.output.split("\n", 1)[1]) == (
        0,
        "description: Is the answer faithful?\nvariables:\n"
        "  source: the text the answer must stay faithful to\n"
        "  answer: the model's answer\nparameters:\n  temperature: 0.0\n  max_tokens: 5\n"
        "template: |\n  Source: {{ source }}\n  Answer: {{ answer }}\n",
    )
    assert shown.output.startswith("# judge@1 of 2, pushed ")
    assert (back["version"], back["created"], back["parameters"]) == (
        3,
        True,
        {"temperature": 0.0, "max_tokens": 5},
    )


def test_a_plain_template_and_show_json(tmp_path: Path) -> None:
    """A .j2 file's variables are the names it reads; show --json has the whole version and
    the list of versions."""
    data = tmp_path / "data"
    (tmp_path / "q.j2").write_text(
        "Q: {{ question }}\n{% for c in choices %}- {{ c }}\n{% endfor %}"
    )
    assert lw(data, "prompt", "push", "quiz", str(tmp_path / "q.j2")).exit_code == 0
    shown = json.loads(lw(data, "prompt", "show", "quiz", "--json").output)
    assert {k: shown[k] for k in ("name", "version", "latest", "variables", "parameters")} == {
        "name": "quiz",
        "version": 1,
        "latest": 1,
        "variables": {"question": "", "choices": ""},
        "parameters": {},
    }
    assert [v["version"] for v in shown["versions"]] == [1]


def test_diff_and_render(tmp_path: Path) -> None:
    """The diff of version 1 against the latest shows the changed parameter; render takes
    --vars-file values (any JSON) with --var winning, and prints the text or JSON."""
    data = tmp_path / "data"
    lw(data, "prompt", "push", "judge", str(_judge(tmp_path)))
    lw(data, "prompt", "push", "judge", str(_judge(tmp_path, "0.5")))
    diff = lw(data, "prompt", "diff", "judge@1", "judge")
    same = lw(data, "prompt", "diff", "judge@2", "judge@2")
    (tmp_path / "vars.json").write_text('{"source": "Paris is in France.", "answer": 1}')
    text = lw(data, "prompt", "render", "judge", "--vars-file", str(tmp_path / "vars.json"))
    rendered = lw(
        data, "prompt", "render", "judge@1", "--var", "source=S", "--var", "answer=a=b", "--json"
    )
    assert [line for line in diff.output.splitlines() if line[:1] in "+-"] == [
        "--- judge@1",
        "+++ judge@2",
        "-  temperature: 0.0",
        "+  temperature: 0.5",
    ]
    assert same.output == "versions 2 and 2 of judge are the same\n"
    assert text.output == "Source: Paris is in France.\nAnswer: 1\n"
    assert json.loads(rendered.output) == {
        "name": "judge",
        "version": 1,
        "text": "Source: S\nAnswer: a=b\n",
        "parameters": {"temperature": 0.0, "max_tokens": 5},
    }


def test_bad_input_exits_2_and_missing_things_exit_3(tmp_path: Path) -> None:
    """A template reading an undeclared variable names the file, line and field; a missing
    variable, a bad name, a --var without '=' and two prompts in one diff exit 2; an
    unknown prompt or version exits 3; nothing bad is stored."""
    data = tmp_path / "data"
    lw(data, "prompt", "push", "judge", str(_judge(tmp_path)))
    bad = tmp_path / "bad.yaml"
    bad.write_text("variables: [x]\ntemplate: |\n  {{ x }} {{ y }}\n")
    runs = [
        lw(data, "prompt", "push", "bad", str(bad)),
        lw(data, "prompt", "render", "judge", "--var", "source=s"),
        lw(data, "prompt", "push", "Bad", str(bad)),
        lw(data, "prompt", "render", "judge", "--var", "source"),
        lw(data, "prompt", "diff", "judge@1", "other@1"),
        lw(data, "prompt", "show", "nothing"),
        lw(data, "prompt", "show", "judge@7"),
    ]
    assert [(r.exit_code, r.output.strip()) for r in runs] == [
        (2, f"error [invalid_prompt] {bad}, line 1, field 'variables': the template reads "
            "variable 'y' but 'variables' does not declare it"),
        (2, "error [invalid_input] field 'variables': missing variable 'answer' (the "
            "prompt's variables: source, answer)"),
        (2, "error [invalid_input] field 'name': prompt name 'Bad' must be 1-64 characters "
            "of lowercase letters, digits, '-' and '_', starting with a letter or digit"),
        (2, "error [invalid_input] field '--var': 'source' is not KEY=VALUE"),
        (2, "error [invalid_input] compare two versions of one prompt, not 'judge' and "
            "'other'"),
        (3, "error [not_found] prompt 'nothing' does not exist"),
        (3, "error [not_found] prompt 'judge' has no version 7"),
    ]  # fmt: skip
    assert [p["name"] for p in json.loads(lw(data, "prompt", "list", "--json").output)] == ["judge"]
