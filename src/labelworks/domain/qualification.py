"""Qualification: the test an annotator passes on gold items before live work.

An attempt is ``items`` gold answers; it passes when at least ``pass`` of them are right
(the share, compared exactly: 4 of 5 passes 0.8). A failed attempt starts a new one on gold
items the annotator has not seen, up to ``retries`` times; after that they are blocked until
a manager lets them try again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Step(StrEnum):
    CONTINUE = "continue"
    PASSED = "passed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Rule:
    items: int
    pass_share: float
    retries: int


def after_answer(rule: Rule, answered: int, correct: int) -> Step:
    """Where an attempt stands after its ``answered``-th answer (``correct`` right)."""
    if answered < rule.items:
        return Step.CONTINUE
    # Compared in integers: 0.8 * 5 is 4.000000000000001 in floating point.
    return (
        Step.PASSED
        if correct * 1_000_000 >= round(rule.pass_share * 1_000_000) * answered
        else Step.FAILED
    )


def blocked(rule: Rule, failed_attempts: int) -> str | None:
    """Why the annotator may not take the test again, or ``None`` when they may."""
    if failed_attempts <= rule.retries:
        return None
    return (
        f"you did not pass the qualification test ({failed_attempts} attempt"
        f"{'s' if failed_attempts != 1 else ''}, at least {rule.pass_share:.0%} of "
        f"{rule.items} answers needed); ask a manager to let you try again"
    )


def intro(rule: Rule, failed_attempts: int, answered: int) -> str:
    """What the annotator is doing, for their progress line."""
    attempt = failed_attempts + 1
    return (
        f"qualification test, attempt {attempt} of {rule.retries + 1}: question "
        f"{answered + 1} of {rule.items}"
    )
