"""Review: which submitted annotations a reviewer sees, and what a decision means.

- An annotator's first ``first_n`` annotations in a project are all reviewed (``first_n``);
  after that each one is, independently, with probability ``rate`` (``sample``).
- A reviewer accepts, rejects (with one of the spec's reason codes and a comment) or fixes
  (edits the value; the fix is kept beside the original, and consensus and exports use it).
- A rejected annotation is set aside and its item goes back: to the same annotator (a
  lease on it is waiting for them) or to someone else, as the spec says.
"""

from __future__ import annotations

import random
from enum import StrEnum


class Decision(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    FIX = "fix"


STATUS = {Decision.ACCEPT: "accepted", Decision.REJECT: "rejected", Decision.FIX: "fixed"}


def pick_for_review(rate: float, first_n: int, earlier: int, rng: random.Random) -> str | None:
    """Why this annotation goes to review (``first_n`` or ``sample``), or ``None``;
    ``earlier`` is how many annotations the annotator made in the project before it."""
    if earlier < first_n:
        return "first_n"
    if rate and rng.random() < rate:
        return "sample"
    return None
