"""Warning signs about an annotator's work, each with its rule and a plain-language
explanation that says what was measured, against what, and how sure it is.

- **too_fast**: their median time per item is under a plausible floor — a spec'd floor
  when one is given, else a quarter (``FAST_SHARE``) of the team's median person. Half of
  their answers took less than that, which is faster than reading the item allows.
- **straight_lining**: one label given far more often than the rest of the team gives
  it. For each label, a one-sided binomial test of their count against the share the
  other people gave it; p-values are multiplied by the number of labels (Bonferroni), and
  the sign needs the adjusted p under ``STRAIGHT_ALPHA`` and their share at least
  ``STRAIGHT_MARGIN`` above the team's.
- **guideline_drop**: gold accuracy fell after their first annotation on the newest
  guideline version: a two-proportion z-test (pooled), two-sided p under ``DROP_ALPHA``,
  with at least ``DROP_MIN`` gold answers on each side.
- **idle_leases**: they hold a task far longer than people take to submit one
  (``IDLE_FACTOR`` times the team's typical lease-to-submit time, as the caller measures
  it, and at least ``IDLE_MIN_SECONDS``), or let ``LAPSE_MIN`` or more leases lapse, at
  least ``LAPSE_SHARE`` of the leases they took in the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.stats import binom, norm

from labelworks.stats.aggregation.gold import wilson_interval
from labelworks.stats.ratings import FloatArray, IntArray

FAST_SHARE = 0.25
FAST_MIN = 10
STRAIGHT_ALPHA = 0.01
STRAIGHT_MARGIN = 0.15
STRAIGHT_MIN = 20
DROP_ALPHA = 0.05
DROP_MIN = 5
IDLE_FACTOR = 3.0
IDLE_MIN_SECONDS = 600.0
LAPSE_MIN = 3
LAPSE_SHARE = 0.10

__all__ = [
    "Sign",
    "binomial_excess",
    "guideline_drop",
    "idle_leases",
    "straight_lining",
    "too_fast",
    "two_proportion_test",
]


@dataclass(frozen=True, slots=True)
class Sign:
    """One warning sign: a stable ``code``, a short ``title``, the ``explanation`` people
    read, and the numbers behind it (``evidence``)."""

    code: str
    title: str
    explanation: str
    evidence: dict[str, float | int | str | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "title": self.title,
            "explanation": self.explanation,
            "evidence": dict(self.evidence),
        }


def _s(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 100 else f"{seconds:.0f} s"


def _duration(seconds: float) -> str:
    minutes = seconds / 60
    if minutes < 120:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.0f} h"
    return f"{minutes / 1440:.0f} days"


def _p(p: float) -> str:
    return "p < 0.0001" if p < 1e-4 else f"p = {p:.4f}" if p < 0.01 else f"p = {p:.3f}"


def too_fast(
    medians: FloatArray, counts: IntArray, *, floor_seconds: float | None = None
) -> list[Sign | None]:
    """The too-fast sign for each person (``None`` where it does not apply). ``medians``:
    each person's median seconds per item; ``counts``: how many timed answers it rests on
    (people with fewer than ``FAST_MIN`` are neither judged nor part of the team median)."""
    medians = np.asarray(medians, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.int64)
    judged = np.isfinite(medians) & (counts >= FAST_MIN)
    if floor_seconds is not None:
        floor = float(floor_seconds)
        rule = f"the project's floor of {_s(floor)} per item"
        team = float("nan")
    else:
        if not judged.any():
            return [None] * medians.size
        team = float(np.median(medians[judged]))
        floor = FAST_SHARE * team
        rule = (
            f"a quarter of the team's typical {_s(team)} per item (the median of everyone's "
            f"medians), i.e. {_s(floor)}"
        )
    out: list[Sign | None] = []
    for k in range(medians.size):
        if not judged[k] or not medians[k] < floor:
            out.append(None)
            continue
        out.append(
            Sign(
                "too_fast",
                "Faster than a plausible floor",
                f"Half of their {int(counts[k])} timed answers took under {_s(medians[k])}, "
                f"below {rule}. Answers that quick are unlikely to come from reading the "
                "item: look at a few of them.",
                {
                    "median_seconds": float(medians[k]),
                    "floor_seconds": floor,
                    "team_median_seconds": None if np.isnan(team) else team,
                    "answers": int(counts[k]),
                },
            )
        )
    return out


def binomial_excess(count: int, n: int, base: float) -> float:
    """One-sided binomial p-value: the chance of ``count`` or more of ``n`` answers being
    one label when each is that label with probability ``base``."""
    if count <= 0:
        return 1.0
    return float(binom.sf(count - 1, n, base))


def straight_lining(counts: IntArray, labels: list[str]) -> list[Sign | None]:
    """The straight-lining sign for each person from ``counts`` (people × labels: how
    often each gave each label of the field). Each person is compared with the rest of
    the team (their own answers left out of the base rate)."""
    counts = np.asarray(counts, dtype=np.int64)
    n_labels = len(labels)
    totals = counts.sum(axis=0)
    everyone = int(totals.sum())
    out: list[Sign | None] = []
    for k in range(counts.shape[0]):
        mine = counts[k]
        n = int(mine.sum())
        rest = everyone - n
        if n < STRAIGHT_MIN or rest <= 0 or n_labels < 2:
            out.append(None)
            continue
        base = (totals - mine) / rest
        best: tuple[float, int, float] | None = None
        for j in range(n_labels):
            share = mine[j] / n
            if share - base[j] < STRAIGHT_MARGIN:
                continue
            adjusted = min(1.0, binomial_excess(int(mine[j]), n, float(base[j])) * n_labels)
            if best is None or adjusted < best[0]:
                best = (adjusted, j, binomial_excess(int(mine[j]), n, float(base[j])))
        if best is None or best[0] >= STRAIGHT_ALPHA:
            out.append(None)
            continue
        adjusted, j, raw = best
        share = mine[j] / n
        out.append(
            Sign(
                "straight_lining",
                f"Gives '{labels[j]}' far more than the team",
                f"{int(mine[j])} of their {n} answers ({share:.0%}) were '{labels[j]}', "
                f"where the rest of the team gave it {base[j]:.0%} of the time. By chance "
                f"that would happen with {_p(raw)}; after allowing for the {n_labels} labels "
                f"that could have stood out (Bonferroni), {_p(adjusted)}. They may be "
                "answering without reading, or misreading what the label means.",
                {
                    "label": labels[j],
                    "count": int(mine[j]),
                    "answers": n,
                    "share": float(share),
                    "team_share": float(base[j]),
                    "p_value": raw,
                    "p_adjusted": adjusted,
                    "labels_tested": n_labels,
                },
            )
        )
    return out


def two_proportion_test(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test of ``k1/n1`` against
    ``k2/n2`` (1.0 when the pooled share is 0 or 1: nothing to tell apart)."""
    if n1 == 0 or n2 == 0:
        return 1.0
    pooled = (k1 + k2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (k1 / n1 - k2 / n2) / se
    return float(2 * norm.sf(abs(z)))


def guideline_drop(
    before_correct: IntArray,
    before_total: IntArray,
    after_correct: IntArray,
    after_total: IntArray,
    version: int | None,
) -> list[Sign | None]:
    """The guideline-drop sign for each person: gold accuracy before against after their
    first annotation under guideline ``version`` (the newest)."""
    kb, nb = np.asarray(before_correct), np.asarray(before_total)
    ka, na = np.asarray(after_correct), np.asarray(after_total)
    lb, hb = wilson_interval(kb, nb)
    la, ha = wilson_interval(ka, na)
    out: list[Sign | None] = []
    for k in range(kb.size):
        if version is None or nb[k] < DROP_MIN or na[k] < DROP_MIN:
            out.append(None)
            continue
        before, after = kb[k] / nb[k], ka[k] / na[k]
        p = two_proportion_test(int(kb[k]), int(nb[k]), int(ka[k]), int(na[k]))
        if not (after < before and p < DROP_ALPHA):
            out.append(None)
            continue
        out.append(
            Sign(
                "guideline_drop",
                f"Gold accuracy fell after guideline version {version}",
                f"Before they started on version {version}: {int(kb[k])} of {int(nb[k])} gold "
                f"answers right ({before:.0%}, 95% interval {lb[k]:.0%}–{hb[k]:.0%}); since: "
                f"{int(ka[k])} of {int(na[k])} ({after:.0%}, {la[k]:.0%}–{ha[k]:.0%}). A "
                f"two-proportion test puts the drop at {_p(p)}. Check they read what "
                "changed in the guidelines.",
                {
                    "version": version,
                    "before_correct": int(kb[k]),
                    "before_total": int(nb[k]),
                    "after_correct": int(ka[k]),
                    "after_total": int(na[k]),
                    "p_value": p,
                },
            )
        )
    return out


def idle_leases(
    held_seconds: FloatArray,
    lapsed: IntArray,
    leases: IntArray,
    typical_seconds: float | None,
) -> list[Sign | None]:
    """The idle-lease sign for each person. ``held_seconds``: how long the task they hold
    now has been held (NaN: none held); ``lapsed``: leases that ran out without a submit
    in the period; ``leases``: leases they took in the period; ``typical_seconds``: the
    team's typical time from lease to submit (``None`` when nobody submitted yet)."""
    held = np.asarray(held_seconds, dtype=np.float64)
    lapsed = np.asarray(lapsed, dtype=np.int64)
    leases = np.asarray(leases, dtype=np.int64)
    limit = max(IDLE_MIN_SECONDS, IDLE_FACTOR * (typical_seconds or 0.0))
    out: list[Sign | None] = []
    for k in range(held.size):
        holding = bool(np.isfinite(held[k]) and held[k] > limit)
        lapsing = bool(lapsed[k] >= LAPSE_MIN and lapsed[k] >= LAPSE_SHARE * max(leases[k], 1))
        if not holding and not lapsing:
            out.append(None)
            continue
        said = []
        if holding:
            typical = (
                f"the team typically submits within {_s(typical_seconds)}"
                if typical_seconds
                else "nobody has submitted yet to compare with"
            )
            said.append(
                f"They have held a task for {_duration(float(held[k]))} without submitting it "
                f"({typical}; the limit here is {_duration(limit)})."
            )
        if lapsing:
            said.append(
                f"{int(lapsed[k])} of the {int(leases[k])} tasks they took in the period ran "
                "out without a submit."
            )
        said.append("Work they hold is work nobody else can do: ask whether they are stuck.")
        out.append(
            Sign(
                "idle_leases",
                "Holds tasks without submitting",
                " ".join(said),
                {
                    "held_seconds": float(held[k]) if np.isfinite(held[k]) else None,
                    "limit_seconds": limit,
                    "typical_seconds": typical_seconds,
                    "lapsed": int(lapsed[k]),
                    "leases": int(leases[k]),
                },
            )
        )
    return out
