"""Spans and segments marked on an item's text and timeline (server/web/marks.py): each
annotator's marks in their label's colour, set off where not everyone made them, escaped."""

from __future__ import annotations

from typing import Any

from labelworks.domain.fields import SegmentsField, SpansField
from labelworks.server.web.marks import segment_tracks, span_layers
from labelworks.services.adjudication import Case


def _case(payload: dict[str, Any], *answers: tuple[str, dict[str, Any]]) -> Case:
    return Case(1, None, payload, {}, 0.0, list(answers), {})


def test_spans_are_highlighted_per_annotator_and_disagreements_set_off() -> None:
    """Both mark "Ann" as PER (shared); only A marks "Bo" as ORG (set off); B's copy has no
    mark there; an annotator who did not answer the field has no row."""
    field = SpansField(name="who", labels=["PER", "ORG"])
    per = {"start": 0, "end": 3, "label": "PER"}
    case = _case(
        {"text": "Ann & Bo"},
        ("A", {"who": [per, {"start": 6, "end": 8, "label": "ORG"}]}),
        ("B", {"who": [per]}),
        ("C", {"other": 1}),
    )
    html = str(span_layers([field], case)["text"])
    assert html == (
        '<div class="span-layers" data-testid="span-layers">'
        '<p class="muted">who: each annotator&#39;s spans</p>'
        '<div class="span-row"><span class="who">A</span><div class="text marked">'
        '<mark class="l0" title="PER" data-label="PER">Ann</mark> &amp; '
        '<mark class="l1 off" title="ORG (not everyone marked this)" data-label="ORG">Bo</mark>'
        "</div></div>"
        '<div class="span-row"><span class="who">B</span><div class="text marked">'
        '<mark class="l0" title="PER" data-label="PER">Ann</mark> &amp; Bo</div></div></div>'
    )


def test_segments_are_bars_on_a_lane_per_annotator_scaled_to_the_duration() -> None:
    """On a 10 s item, A's 0–5 s "tone" is shared and drawn half-wide; B's extra 5–6 s
    "chirp" is set off; hostile aliases and labels come out escaped."""
    field = SegmentsField(name="ev", labels=["tone", "<b>"], duration_key="duration")
    tone = {"start": 0, "end": 5, "label": "tone"}
    case = _case(
        {"audio": "a.wav", "duration": 10},
        ("A", {"ev": [tone]}),
        ("<i>B", {"ev": [tone, {"start": 5, "end": 6, "label": "<b>"}]}),
    )
    html = str(segment_tracks([field], case)["audio"])
    lanes = html.split('<div class="span-row">')[1:]
    assert (
        "0–10 s timeline" in html,
        lanes[0].count("<rect"),
        '<rect class="l0" x="0.0" y="0" width="500.0" height="18">' in lanes[0],
        '<rect class="l1 off" x="500.0" y="0" width="100.0" height="18">'
        "<title>&lt;i&gt;B: &lt;b&gt; 5–6 s</title>" in lanes[1],
        "<i>" in html or "<b>" in html,
    ) == (True, 1, True, True, False)
