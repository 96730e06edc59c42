"""Annotations drawn over an item's image on the Adjudication page: each annotator's boxes
in a colour of their own, tagged with their alias and the box's label, as SVG laid over
the ``<img>`` (written here, on the server; no script draws them).

A box is placed by the image's size from the payload (the field's ``width_key`` and
``height_key``); without it there is nothing to place boxes against, and no overlay.
"""

from __future__ import annotations

import math
from typing import Any

from markupsafe import Markup, escape

from labelworks.domain.fields import BoxesField, FieldSpec
from labelworks.services.adjudication import Case

COLOURS = 6  # CSS classes b0..b5, one per alias in turn


def _size(payload: dict[str, Any], key: str | None) -> float | None:
    value: Any = payload.get(key) if key else None
    return float(value) if _number(value) and value > 0 else None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def box_overlays(fields: list[FieldSpec], case: Case) -> dict[str, Markup]:
    """Per image key of the payload, the SVG of every annotation's boxes on it."""
    out: dict[str, Markup] = {}
    for f in fields:
        if not isinstance(f, BoxesField) or f.source in out:
            continue
        width, height = _size(case.payload, f.width_key), _size(case.payload, f.height_key)
        if width is None or height is None:
            continue
        big = max(width, height)
        font, stroke = round(big / 28, 1), round(big / 160, 2)
        label = escape(f"the annotators' {f.name} on the image")
        parts = [
            f'<svg class="boxes" viewBox="0 0 {width:g} {height:g}" preserveAspectRatio="none" '
            f'role="img" aria-label="{label}">'
        ]
        for k, (alias, value) in enumerate(case.annotations):
            boxes = value.get(f.name)
            for box in boxes if isinstance(boxes, list) else []:
                if not isinstance(box, dict) or not all(
                    _number(box.get(key)) for key in ("x", "y", "width", "height")
                ):
                    continue
                x, y, w, h = (float(box[key]) for key in ("x", "y", "width", "height"))
                tag = escape(f"{alias} {box.get('label', '')}".strip())
                parts += [
                    f'<g class="b{k % COLOURS}"><title>{tag}</title>',
                    f'<rect x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" '
                    f'stroke-width="{stroke:g}"/>',
                    f'<text x="{x + stroke:g}" y="{max(y - stroke, font):g}" '
                    f'font-size="{font:g}" stroke-width="{stroke * 1.5:g}">{tag}</text></g>',
                ]
        parts.append("</svg>")
        out[f.source] = Markup("".join(parts))  # every text in it went through escape()
    return out
