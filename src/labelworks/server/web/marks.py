"""Annotations marked on an item's text and timeline, as the item, Review and Adjudication
pages show them: per annotator, the text with their spans highlighted in each label's colour,
and the segments of audio, video or a series as bars on one lane per annotator. Written here
as HTML and SVG (no script draws them); a mark that not every annotator of the field made
is set off (dashed), which is where they disagree.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from typing import Any

from markupsafe import Markup, escape

from labelworks.domain.fields import FieldSpec, SegmentsField, SpansField
from labelworks.services.adjudication import Case

COLOURS = 6  # CSS classes l0..l5: one per label of the field, in turn
LONGEST = 20_000  # characters of text marked; longer texts keep the table only
LANE = 18  # pixels of each annotator's lane
WIDTH = 1000


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _marks(value: Any) -> list[tuple[float, float, str]]:
    """The well-formed (start, end, label) marks of one annotation's field value."""
    out = []
    for m in value if isinstance(value, list) else []:
        ok = isinstance(m, dict) and _number(m.get("start")) and _number(m.get("end"))
        if ok and m["end"] > m["start"]:
            out.append((float(m["start"]), float(m["end"]), str(m.get("label", ""))))
    return out


def _answers(field: FieldSpec, case: Case) -> list[tuple[str, list[tuple[float, float, str]]]]:
    """Each annotator who answered the field, with their marks."""
    return [(alias, _marks(v[field.name])) for alias, v in case.annotations if field.name in v]


def _shared(answers: list[tuple[str, list[tuple[float, float, str]]]]) -> set[Any]:
    """The marks every annotator of the field made."""
    sets = [set(marks) for _, marks in answers]
    return set.intersection(*sets) if sets else set()


def _pieces(
    text: str, marks: list[tuple[float, float, str]]
) -> Iterator[tuple[str, list[tuple[float, float, str]]]]:
    """The text cut where any mark starts or ends, each piece with the marks covering it."""
    cuts = sorted({0, len(text), *(int(s) for s, _, _ in marks), *(int(e) for _, e, _ in marks)})
    cuts = [c for c in cuts if 0 <= c <= len(text)]
    for a, b in itertools.pairwise(cuts):
        yield text[a:b], [m for m in marks if m[0] <= a and b <= m[1]]


def _highlighted(text: str, marks: list[tuple[float, float, str]], field: SpansField,
                 shared: set[Any]) -> Markup:  # fmt: skip
    parts = []
    for piece, covering in _pieces(text, marks):
        if not covering:
            parts.append(str(escape(piece)))
            continue
        labels = sorted({label for _, _, label in covering})
        colour = field.labels.index(labels[0]) % COLOURS if labels[0] in field.labels else 0
        off = " off" if any(m not in shared for m in covering) else ""
        tip = escape(", ".join(labels) + (" (not everyone marked this)" if off else ""))
        parts.append(
            f'<mark class="l{colour}{off}" title="{tip}" data-label="{escape(labels[0])}">'
            f"{escape(piece)}</mark>"
        )
    return Markup("".join(parts))  # every text in it went through escape()


def span_layers(fields: list[FieldSpec], case: Case) -> dict[str, Markup]:
    """Per text key of the payload, each annotator's copy of the text with their spans."""
    out: dict[str, Markup] = {}
    for f in fields:
        text = case.payload.get(f.source) if isinstance(f, SpansField) else None
        if not isinstance(f, SpansField) or not isinstance(text, str) or len(text) > LONGEST:
            continue
        answers = _answers(f, case)
        if not answers:
            continue
        shared = _shared(answers)
        rows = [
            f'<div class="span-row"><span class="who">{escape(alias)}</span>'
            f'<div class="text marked">{_highlighted(text, marks, f, shared)}</div></div>'
            for alias, marks in answers
        ]
        title = escape(f"{f.name}: each annotator's spans")
        block = f'<div class="span-layers" data-testid="span-layers"><p class="muted">{title}</p>'
        out[f.source] = Markup(out.get(f.source, "") + block + "".join(rows) + "</div>")
    return out


def segment_tracks(fields: list[FieldSpec], case: Case) -> dict[str, Markup]:
    """Per media key of the payload, an SVG timeline with one lane of segments per
    annotator, on the item's duration (the field's ``duration_key``) or else up to the last
    segment's end."""
    out: dict[str, Markup] = {}
    for f in fields:
        if not isinstance(f, SegmentsField):
            continue
        answers = _answers(f, case)
        ends = [e for _, marks in answers for _, e, _ in marks]
        given: Any = case.payload.get(f.duration_key) if f.duration_key else None
        scale = float(given) if _number(given) and given > 0 else max(ends, default=0.0)
        if not answers or scale <= 0:
            continue
        shared = _shared(answers)
        label = escape(f"{f.name}: each annotator's segments on a 0–{scale:g} s timeline")
        rows = []
        for alias, marks in answers:
            bars = []
            for start, end, tag in marks:
                x, w = WIDTH * start / scale, WIDTH * (end - start) / scale
                colour = f.labels.index(tag) % COLOURS if tag in f.labels else 0
                off = " off" if (start, end, tag) not in shared else ""
                tip = escape(f"{alias}: {tag} {start:g}–{end:g} s")
                bars.append(
                    f'<rect class="l{colour}{off}" x="{x:.1f}" y="0" width="{w:.1f}" '
                    f'height="{LANE}"><title>{tip}</title></rect>'
                )
            rows.append(
                f'<div class="span-row"><span class="who">{escape(alias)}</span>'
                f'<svg class="track" viewBox="0 0 {WIDTH} {LANE}" preserveAspectRatio="none" '
                f'height="{LANE}" role="img" aria-label="{escape(alias)}: {len(marks)} '
                f'segments">{"".join(bars)}</svg></div>'
            )
        legend = f'<p class="muted">{label}</p>'
        block = f'<div class="span-layers" data-testid="segment-tracks">{legend}{"".join(rows)}'
        out[f.source] = Markup(f"{out.get(f.source, '')}{block}</div>")
    return out


def mark_layers(fields: list[FieldSpec], case: Case) -> dict[str, Markup]:
    """``span_layers`` and ``segment_tracks`` together, per payload key."""
    layers = span_layers(fields, case)
    for key, track in segment_tracks(fields, case).items():
        layers[key] = Markup(layers[key] + track) if key in layers else track
    return layers
