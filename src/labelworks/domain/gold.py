"""Gold questions: scoring an answer against the expert's, the gold draw, and auto-pause.

Pure rules over plain values; storage keeps the answers and results, services apply them.

- A field of the expert answer is matched when the annotator's value is the same: labels and
  ratings exactly, a multi-choice as a set, free text ignoring case and runs of whitespace,
  spans, boxes and segments when every expert object is paired one to one with an answer
  object of the same label overlapping it by ``MATCH_IOU`` or more (and nothing is left over).
- An answer is correct when every field of the expert answer is matched; fields the expert
  left out are not scored.
- The gold draw is a fresh random number per lease, independent of everything the
  annotator can see, so the position of gold in someone's stream carries no pattern.
- Auto-pause fires once an annotator has ``min_gold`` scored answers (since they were last
  reinstated) and even the upper end of the Wilson interval of their accuracy is below
  ``below``: the data say, at 95% confidence, that they are worse than the bar.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labelworks.domain.fields import (
    BoxesField,
    FieldSpec,
    MultiChoiceField,
    SegmentsField,
    SpansField,
    TextField,
)

MATCH_IOU = 0.5
# z for a two-sided 95% interval; the pause rule reads the interval's upper end.
_Z95 = 1.959963984540054


def gold_draw(gold_rate: float | None, rng: random.Random | None = None) -> bool:
    """Whether this lease should try a gold item (probability ``gold_rate``)."""
    if not gold_rate:
        return False
    return (rng or _system).random() < gold_rate


_system = random.SystemRandom()


def score_answer(
    fields: Sequence[FieldSpec], expert: Mapping[str, Any], answer: Mapping[str, Any]
) -> dict[str, bool]:
    """Per field of the expert answer, whether ``answer`` matches it."""
    by_name = {f.name: f for f in fields}
    return {
        name: _matches(by_name.get(name), value, answer.get(name)) for name, value in expert.items()
    }


def is_correct(scores: Mapping[str, bool]) -> bool:
    """An answer is correct when every scored field matched (and something was scored)."""
    return bool(scores) and all(scores.values())


def _matches(field: FieldSpec | None, expected: Any, given: Any) -> bool:
    if given is None:
        return expected is None
    if isinstance(field, MultiChoiceField):
        return isinstance(given, list) and sorted(map(str, given)) == sorted(map(str, expected))
    if isinstance(field, TextField):
        return isinstance(given, str) and _normal_text(given) == _normal_text(str(expected))
    if isinstance(field, SpansField | SegmentsField):
        return _objects_match(expected, given, _interval_iou)
    if isinstance(field, BoxesField):
        return _objects_match(expected, given, _box_iou)
    return bool(given == expected)


def _normal_text(text: str) -> str:
    return " ".join(text.casefold().split())


def _interval_iou(a: Mapping[str, Any], b: Mapping[str, Any]) -> float:
    inter = min(a["end"], b["end"]) - max(a["start"], b["start"])
    union = max(a["end"], b["end"]) - min(a["start"], b["start"])
    return max(inter, 0) / union if union > 0 else 0.0


def _box_iou(a: Mapping[str, Any], b: Mapping[str, Any]) -> float:
    w = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    h = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    inter = max(w, 0) * max(h, 0)
    union = a["width"] * a["height"] + b["width"] * b["height"] - inter
    return inter / union if union > 0 else 0.0


def _objects_match(expected: Any, given: Any, iou: Any) -> bool:
    """Every expert object paired with a distinct answer object of its label at IoU >=
    ``MATCH_IOU``, and no answer object left over (greedy on the best overlap first)."""
    if not isinstance(expected, list) or not isinstance(given, list):
        return False
    if len(expected) != len(given):
        return False
    pairs = sorted(
        (
            (iou(e, g), i, j)
            for i, e in enumerate(expected)
            for j, g in enumerate(given)
            if e.get("label") == g.get("label")
        ),
        reverse=True,
    )
    used_e: set[int] = set()
    used_g: set[int] = set()
    for overlap, i, j in pairs:
        if overlap < MATCH_IOU:
            break
        if i not in used_e and j not in used_g:
            used_e.add(i)
            used_g.add(j)
    return len(used_e) == len(expected)


def wilson_bounds(correct: int, total: int) -> tuple[float, float]:
    """The 95% Wilson score interval of ``correct / total``; (nan, nan) with no answers."""
    if total <= 0:
        return (math.nan, math.nan)
    p = correct / total
    z2 = _Z95 * _Z95
    denom = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denom
    half = _Z95 * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True, slots=True)
class PauseRule:
    """``auto_pause: {min_gold: N, below: A}`` from the spec's quality section."""

    min_gold: int
    below: float


def pause_reason(rule: PauseRule | None, correct: int, total: int) -> str | None:
    """Why the annotator should be paused now, or ``None`` when they should not."""
    if rule is None or total < rule.min_gold:
        return None
    low, high = wilson_bounds(correct, total)
    if high >= rule.below:
        return None
    return (
        f"paused: {correct} of {total} gold answers correct ({correct / total:.0%}, 95% "
        f"interval {low:.0%}–{high:.0%}) is below the project's bar of {rule.below:.0%}; "
        "a manager can reinstate you"
    )
