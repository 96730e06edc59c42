"""A delivery's quality report as one self-contained HTML page, for stakeholders.

Rendered from the same data as ``quality_report.json``. Inline CSS and inline SVG only: no
scripts, no fonts, images or style sheets fetched from anywhere, so the file opens the same
offline and in a mail attachment. Every piece of text (project, people, fields) is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

MET = "#1a7f37"
UNMET = "#cf222e"
INK = "#24292f"
MUTED = "#57606a"
TRACK = "#eaeef2"
STATUS_COLORS = {
    "final": "#1a7f37",
    "adjudicated": "#0969da",
    "adjudication": "#bf8700",
    "pending": "#8c959f",
}
STATUS_WORDS = {
    "final": "final (consensus)",
    "adjudicated": "adjudicated",
    "adjudication": "waiting for adjudication",
    "pending": "no final label yet",
}

_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #24292f;
  margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; }
.muted { color: #57606a; }
.verdict { font-size: 1.1rem; font-weight: 600; padding: .6rem .9rem; border-radius: 6px;
  margin: 1rem 0; }
.verdict.ok { background: #dafbe1; color: #1a7f37; }
.verdict.no { background: #ffebe9; color: #cf222e; }
.verdict.none { background: #eaeef2; color: #24292f; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #eaeef2;
  vertical-align: middle; }
th { font-weight: 600; color: #57606a; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
.met { color: #1a7f37; font-weight: 600; white-space: nowrap; }
.unmet { color: #cf222e; font-weight: 600; white-space: nowrap; }
.detail { color: #57606a; font-size: .9em; }
svg text { font: 11px system-ui, sans-serif; fill: #57606a; }
"""


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _kind(name: str) -> str:
    if name.startswith("agreement."):
        return "coefficient"
    return "count" if name == "no_open_escalations" else "share"


def _num(value: float | None, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "share":
        return f"{value:.1%}"
    if kind == "count":
        return f"{value:,.0f}"
    return f"{value:.3f}"


def _span(low: float | None, high: float | None, kind: str) -> str:
    return "–" if low is None or high is None else f"{_num(low, kind)}–{_num(high, kind)}"


# ---- charts ------------------------------------------------------------------------------


def _bullet(c: Mapping[str, Any], width: int = 240, height: int = 30) -> str:
    """The value as a dot on its scale, its interval as a bar, the target as a tick."""
    kind = _kind(c["name"])
    if kind == "count":
        return ""
    points = [c[k] for k in ("value", "low", "high", "target") if c.get(k) is not None]
    start = min([0.0, *points]) if kind == "coefficient" else 0.0
    pad = 8

    def x(v: float) -> float:
        return pad + (v - start) / ((1.0 - start) or 1.0) * (width - 2 * pad)

    color = MET if c["met"] else UNMET
    mid = 11
    parts = [
        f'<rect x="{pad}" y="{mid - 4}" width="{width - 2 * pad}" height="8" rx="4" '
        f'fill="{TRACK}"/>'
    ]
    if c.get("low") is not None and c.get("high") is not None:
        parts.append(
            f'<rect x="{x(c["low"]):.1f}" y="{mid - 3}" '
            f'width="{max(x(c["high"]) - x(c["low"]), 1):.1f}" height="6" rx="3" '
            f'fill="{color}" fill-opacity="0.35"/>'
        )
    if c.get("target") is not None:
        t = x(c["target"])
        parts.append(
            f'<line x1="{t:.1f}" x2="{t:.1f}" y1="{mid - 8}" y2="{mid + 8}" stroke="{INK}" '
            'stroke-width="2"/>'
        )
    if c.get("value") is not None:
        parts.append(f'<circle cx="{x(c["value"]):.1f}" cy="{mid}" r="5" fill="{color}"/>')
    ends = ("0%", "100%") if kind == "share" else (f"{start:g}", "1")
    parts.append(f'<text x="{pad}" y="{height - 1}">{ends[0]}</text>')
    parts.append(f'<text x="{width - pad}" y="{height - 1}" text-anchor="end">{ends[1]}</text>')
    label = f"{c['name']}: {_num(c.get('value'), kind)}, target {_num(c.get('target'), kind)}"
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{_e(label)}"><title>{_e(label)}</title>{"".join(parts)}</svg>'
    )


def _gold_plot(rows: Sequence[Mapping[str, Any]], target: float | None) -> str:
    """Each annotator's gold accuracy as a dot with its 95% Wilson interval, on 0–100%."""
    rows = [r for r in rows if r.get("accuracy") is not None]
    if not rows:
        return ""
    width, left, right, row_h, top = 720, 250, 640, 24, 10
    height = top + row_h * len(rows) + 28

    def x(v: float) -> float:
        return left + v * (right - left)

    parts = []
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top - 4}" '
            f'y2="{height - 22}" stroke="{TRACK}"/>'
            f'<text x="{x(tick):.1f}" y="{height - 8}" text-anchor="middle">{tick:.0%}</text>'
        )
    if target is not None:
        parts.append(
            f'<line x1="{x(target):.1f}" x2="{x(target):.1f}" y1="{top - 4}" '
            f'y2="{height - 22}" stroke="{INK}" stroke-width="2" stroke-dasharray="4 3"/>'
        )
    for i, r in enumerate(rows):
        y = top + row_h * i + row_h / 2
        color = MET if target is None or r["accuracy"] >= target else UNMET
        parts.append(
            f'<text x="{left - 10}" y="{y + 4:.1f}" text-anchor="end">{_e(r["email"])}</text>'
        )
        if r.get("low") is not None and r.get("high") is not None:
            parts.append(
                f'<line x1="{x(r["low"]):.1f}" x2="{x(r["high"]):.1f}" y1="{y:.1f}" '
                f'y2="{y:.1f}" stroke="{color}" stroke-width="2"/>'
            )
        parts.append(f'<circle cx="{x(r["accuracy"]):.1f}" cy="{y:.1f}" r="4.5" fill="{color}"/>')
        parts.append(f'<text x="{right + 10}" y="{y + 4:.1f}">{r["correct"]}/{r["total"]}</text>')
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="gold accuracy per annotator with 95% intervals">'
        f"{''.join(parts)}</svg>"
    )


def _status_bar(counts: Mapping[str, int]) -> str:
    """The ordinary items by final-label status as one stacked bar with a legend."""
    total = sum(counts.get(s, 0) for s in STATUS_COLORS)
    width, bar_h = 720, 26
    parts = []
    offset = 0.0
    for status, color in STATUS_COLORS.items():
        n = counts.get(status, 0)
        if total and n:
            w = n / total * width
            parts.append(
                f'<rect x="{offset:.1f}" y="0" width="{w:.1f}" height="{bar_h}" fill="{color}">'
                f"<title>{_e(STATUS_WORDS[status])}: {n:,}</title></rect>"
            )
            offset += w
    if not total:
        parts.append(f'<rect x="0" y="0" width="{width}" height="{bar_h}" fill="{TRACK}"/>')
    for i, (status, color) in enumerate(STATUS_COLORS.items()):
        n = counts.get(status, 0)
        share = f" ({n / total:.0%})" if total else ""
        lx = (i % 2) * 360
        ly = bar_h + 18 + (i // 2) * 18
        parts.append(
            f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{color}"/>'
            f'<text x="{lx + 16}" y="{ly}">{_e(STATUS_WORDS[status])}: {n:,}{share}</text>'
        )
    height = bar_h + 18 * 3
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="items by final-label status">{"".join(parts)}</svg>'
    )


# ---- sections ----------------------------------------------------------------------------


def _verdict(report: Mapping[str, Any]) -> str:
    criteria = report["criteria"]
    unmet = [c for c in criteria if not c["met"]]
    if not criteria:
        return '<p class="verdict none">No acceptance criteria are set for this project.</p>'
    if not unmet:
        return f'<p class="verdict ok">All {len(criteria)} acceptance criteria are met.</p>'
    forced = " The delivery was forced past them." if report.get("forced") else ""
    return (
        f'<p class="verdict no">{len(unmet)} of {len(criteria)} acceptance criteria are not '
        f"met.{forced}</p>"
    )


def _criteria_table(criteria: Sequence[Mapping[str, Any]]) -> str:
    if not criteria:
        return ""
    rows = []
    for c in criteria:
        kind = _kind(c["name"])
        status = (
            '<span class="met">✓ met</span>' if c["met"] else '<span class="unmet">✗ not met</span>'
        )
        rows.append(
            f"<tr><td><strong>{_e(c['name'])}</strong><br>"
            f'<span class="detail">{_e(c["detail"])}</span></td><td>{status}</td>'
            f'<td class="num">{_e(_num(c.get("value"), kind))}</td>'
            f'<td class="num">{_e(_span(c.get("low"), c.get("high"), kind))}</td>'
            f'<td class="num">{_e(_num(c.get("target"), kind))}</td><td>{_bullet(c)}</td></tr>'
        )
    return (
        "<h2>Acceptance criteria</h2><table><thead><tr><th>criterion</th><th>status</th>"
        "<th>value</th><th>95% interval</th><th>target</th><th>value against target</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _agreement_table(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return ""
    body = "".join(
        f"<tr><td>{_e(r['field'])}</td><td>{_e(r['metric'])}</td>"
        f'<td class="num">{_e(_num(r.get("estimate"), "coefficient"))}</td>'
        f'<td class="num">{_e(_span(r.get("low"), r.get("high"), "coefficient"))}</td>'
        f'<td class="num">{r["items"]:,}</td><td class="num">{r["annotations"]:,}</td></tr>'
        for r in rows
    )
    return (
        '<h2>Agreement</h2><p class="muted">Per field, over ordinary items with two or more '
        "annotations, with the 95% bootstrap interval (items resampled).</p><table><thead><tr>"
        "<th>field</th><th>metric</th><th>estimate</th><th>95% interval</th>"
        f"<th>items</th><th>annotations</th></tr></thead><tbody>{body}</tbody></table>"
    )


def _gold_section(gold: Mapping[str, Any], target: float | None) -> str:
    pooled = (
        f"{gold['correct']:,} of {gold['total']:,} gold answers right: "
        f"{_num(gold.get('accuracy'), 'share')} (95% interval "
        f"{_span(gold.get('low'), gold.get('high'), 'share')})"
        if gold["total"]
        else "No gold answers were scored."
    )
    rows = "".join(
        f"<tr><td>{_e(a['email'])}</td><td>{_e(a.get('vendor') or '–')}</td>"
        f'<td class="num">{a["correct"]:,}/{a["total"]:,}</td>'
        f'<td class="num">{_e(_num(a.get("accuracy"), "share"))}</td>'
        f'<td class="num">{_e(_span(a.get("low"), a.get("high"), "share"))}</td></tr>'
        for a in gold["annotators"]
    )
    table = (
        "<table><thead><tr><th>annotator</th><th>vendor</th><th>right</th><th>accuracy</th>"
        f"<th>95% interval</th></tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else ""
    )
    line = "" if target is None else " The dashed line is the accuracy the criteria ask for."
    return (
        f'<h2>Gold accuracy</h2><p>{_e(pooled)}.</p><p class="muted">Each annotator\'s '
        f"accuracy on gold questions with its 95% Wilson interval.{line}</p>"
        f"{_gold_plot(gold['annotators'], target)}{table}"
    )


def _counts_section(counts: Mapping[str, int]) -> str:
    items = sum(counts.get(s, 0) for s in STATUS_COLORS)
    return (
        f"<h2>Items</h2><p>{items:,} ordinary items (and {counts.get('gold', 0):,} gold "
        f"questions, not delivered); {counts.get('open_escalations', 0):,} open "
        f"escalations.</p>{_status_bar(counts)}"
    )


def render_quality_report(report: Mapping[str, Any]) -> str:
    """The HTML page of a quality report (the data of ``quality_report.json``)."""
    gold_target = next(
        (c["target"] for c in report["criteria"] if c["name"].startswith("gold_accuracy")), None
    )
    title = f"Quality report: {report['project']}"
    when = f"Generated {report['generated_at']}"
    if report.get("delivery_id") is not None:
        when += f" for delivery {report['delivery_id']}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f'<h1>{_e(title)}</h1><p class="muted">{_e(when)}.</p>{_verdict(report)}'
        f"{_criteria_table(report['criteria'])}{_agreement_table(report['agreement'])}"
        f"{_gold_section(report['gold'], gold_target)}{_counts_section(report['counts'])}"
        "</body></html>\n"
    )
