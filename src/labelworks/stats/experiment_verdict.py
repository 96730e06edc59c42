"""An experiment's analysis in plain words: which arm is more accurate (or agrees more with
the final label), which is faster, how sure we are, and whether the experiment could have
seen a difference of the size that matters.

A difference is called clear when the randomisation test rejects "no difference" at the
analysis' level and the bootstrap interval leaves out 0; when only one of the two does, it
is called a hint (they can part at the edge, the test being exact and the interval
approximate).
"""

from __future__ import annotations

import math

from labelworks.stats.experiments import Analysis, Difference, Power

_UNITS = {"annotator": "annotators", "item": "items"}


def points(share: float) -> str:
    """A difference of shares in percentage points, to a tenth, without a trailing ``.0``.

    >>> points(0.06), points(-0.0125), points(0.1049)
    ('6', '-1.2', '10.5')
    """
    text = f"{share * 100:.1f}"
    text = text[:-2] if text.endswith(".0") else text
    return "0" if text == "-0" else text


def p_text(p: float | None) -> str:
    """``p = 0.03``, ``p < 0.001``; empty without a test.

    >>> p_text(0.0312), p_text(0.00001), p_text(0.5)
    ('p = 0.031', 'p < 0.001', 'p = 0.5')
    """
    if p is None:
        return ""
    if p < 0.001:
        return "p < 0.001"
    return f"p = {float(f'{p:.2g}'):g}"


def _call(d: Difference, confidence: float) -> str:
    """``clear``, ``hint`` or ``none``: the test and the interval together."""
    rejects = d.p_value is not None and d.p_value < 1 - confidence
    excludes = d.low is not None and d.high is not None and (d.low > 0 or d.high < 0)
    if rejects and excludes:
        return "clear"
    return "hint" if rejects or excludes else "none"


def _share_sentence(
    d: Difference, what: tuple[str, str], names: tuple[str, str], level: str, confidence: float
) -> str:
    """``what``: the figure's name, and the template of "the leader is ahead by x points"."""
    first, second = names
    figure, more = what
    assert d.value is not None
    test = p_text(d.p_value)
    if d.low is None or d.high is None:
        return (
            f"{second} − {first} = {points(d.value)} points of {figure}; too few units in an "
            "arm for an interval or a test."
        )
    call = _call(d, confidence)
    if call == "none":
        return (
            f"No clear difference in {figure}: {second} − {first} = {points(d.value)} points "
            f"({level} CI {points(d.low)} to {points(d.high)}, {test})."
        )
    leader, other = (second, first) if d.value >= 0 else (first, second)
    low, high = (d.low, d.high) if d.value >= 0 else (-d.high, -d.low)
    said = more.format(leader=leader, x=points(abs(d.value)), other=other)
    said += f" ({level} CI {points(low)}–{points(high)}, {test})"
    if call == "clear":
        return said + "."
    return f"A hint, not clear-cut: {said}; the test and the interval disagree at the edge."


def _power_sentence(power: Power | None, figure: str, unit: str, effect: str) -> str | None:
    if power is None:
        return None
    said = (
        f"The experiment had {power.power:.0%} power to detect {effect} in {figure} "
        f"(ICC {power.icc:.2f}{', read as 0' if power.icc < 0 else ''}, "
        f"design effect {power.design_effect:.1f})"
    )
    if power.power >= 0.8 or power.units_for_80 is None:
        return said + "."
    return (
        f"{said}; about {power.units_for_80:,} {_UNITS.get(unit, unit)} per arm, each giving "
        f"about {power.cluster_size:.0f} answers, would give 80%."
    )


def _time_sentence(a: Analysis, names: tuple[str, str], level: str) -> str | None:
    d = a.differences["log_seconds"]
    first, second = (a.arms[0].log_seconds.value, a.arms[1].log_seconds.value)
    if d.value is None or first is None or second is None:
        return None
    means = (
        f"geometric mean {math.exp(second):.1f} s in {names[1]}, "
        f"{math.exp(first):.1f} s in {names[0]}"
    )
    if d.low is None or d.high is None:
        return f"Time per item: {means}; too few units in an arm for an interval."

    def change(log_ratio: float) -> str:
        ratio = math.exp(log_ratio) - 1
        return f"{abs(ratio):.0%} {'more' if ratio >= 0 else 'less'}"

    test = p_text(d.p_value)
    call = _call(d, a.confidence)
    if call == "none":
        return (
            f"No clear difference in time per item: {means} ({level} CI from "
            f"{change(d.low)} to {change(d.high)}, {test})."
        )
    ratio = math.exp(d.value) - 1
    faster = ratio < 0
    low, high = sorted((abs(math.exp(d.low) - 1), abs(math.exp(d.high) - 1)))
    said = (
        f"{names[1]} takes {abs(ratio):.0%} {'less' if faster else 'more'} time per item than "
        f"{names[0]} ({means}; {level} CI {low:.0%}–{high:.0%}, {test})"
    )
    return said + "." if call == "clear" else f"A hint, not clear-cut: {said}."


def verdict(analysis: Analysis, names: tuple[str, str], unit: str = "annotator") -> list[str]:
    """The analysis in sentences: gold accuracy and agreement with the final label (where
    both arms have some), then time per item; each with its interval, test and power."""
    level = f"{analysis.confidence:.0%}"
    sentences: list[str] = []
    effect = f"{points(analysis.min_effect)} points"
    compared = False
    for metric, what in (
        (
            "gold_accuracy",
            ("gold accuracy", "{leader} is {x} points more accurate on gold than {other}"),
        ),
        (
            "agreement",
            (
                "agreement with the final label",
                "{leader} agrees with the final label {x} points more often than {other}",
            ),
        ),
    ):
        d = analysis.differences[metric]
        if d.value is None:
            continue
        sentences.append(_share_sentence(d, what, names, level, analysis.confidence))
        said = _power_sentence(analysis.power[metric], what[0], unit, effect)
        if said is not None:
            sentences.append(said)
        compared = True
    if not compared:
        sentences.append(
            "No quality comparison yet: neither gold answers nor final labels in both arms."
        )
    timing = _time_sentence(analysis, names, level)
    if timing is not None:
        sentences.append(timing)
        said = _power_sentence(
            analysis.power["log_seconds"],
            "time per item",
            unit,
            f"a {analysis.min_time_change:.0%} change",
        )
        if said is not None:
            sentences.append(said)
    return sentences
