"""An LLM judge for the arena (``campaign_world``): a registry prompt, a spec with judges,
and the rule a local chat server answers by — the judge knows each output's model from its
letter (``reply A3`` is atlas's) and prefers the stronger one, except that between
neighbours in strength it picks whichever output is shown first (a position bias)."""

from __future__ import annotations

import re
from typing import Any

from tests.services.campaign_world import ARENA, MODELS

from labelworks.domain.prompts import parse_prompt
from labelworks.domain.spec import spec_from_dict
from labelworks.services.projects import apply_spec
from labelworks.services.prompts import push_prompt
from labelworks.services.specs import stored_spec
from labelworks.storage import projects as project_store
from labelworks.storage.engine import Database

JUDGE_PROMPT = """\
description: Pairwise judge
variables: [prompt, response_a, response_b]
parameters: {temperature: 0, max_tokens: 20}
template: |
  Question: {{ prompt }}
  [Response A]
  {{ response_a }}
  [End A]
  [Response B]
  {{ response_b }}
  [End B]
  Which response is better? Answer [[A]], [[B]] or [[C]] for a tie.
"""
_SHOWN = re.compile(r"\[Response A\]\n(.*?)\n\[End A\]\n\[Response B\]\n(.*?)\n\[End B\]", re.S)


def letter_rank(text: str) -> int:
    """0 for atlas's output, 1 for birch's… (outputs are 'reply <letter><n>…')."""
    return ord(text.split()[1][0]) - ord("A")


def biased_judge(body: dict[str, Any]) -> str:
    """The arena judge's reply: the stronger model, but the first shown between neighbours."""
    found = _SHOWN.search(body["messages"][-1]["content"])
    assert found is not None
    first, second = letter_rank(found.group(1)), letter_rank(found.group(2))
    if abs(first - second) == 1:
        return "Both are close; the first reads better. [[A]]"
    return "Verdict: [[A]]" if first < second else "Verdict: [[B]]"


def judge_arena(db: Database, url: str, *, name: str = "gpt-judge", **options: Any) -> None:
    """Push the judge prompt and give the arena's campaign a judge at ``url``."""
    push_prompt(db, "pairwise-judge", parse_prompt(JUDGE_PROMPT))
    with db.read() as conn:
        row = project_store.by_name(conn, ARENA)
        assert row is not None
        spec = stored_spec(row.spec).model_dump(mode="json", exclude_none=True)
    judge = {"endpoint": url, "model": "judge-1", "prompt": "pairwise-judge@1", **options}
    spec["evaluation"]["judges"] = {name: judge}
    apply_spec(db, spec_from_dict(spec), guidelines=None)


__all__ = ["ARENA", "MODELS", "biased_judge", "judge_arena", "letter_rank"]
