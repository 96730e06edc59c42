"""The weekly stakeholder report as Markdown, or as one self-contained HTML file (styles
inline, charts as inline SVG, no script, no link to fetch) fit to attach to an email.

Both read the report's JSON shape (``services.stakeholder_report``). Every text that came
from users (project, vendors, notes) is escaped: an HTML report is opened in mail clients
and browsers that apply no CSP of ours.
"""

from __future__ import annotations

from html import escape
from typing import Any

from labelworks.formats.report_charts import CHARTS

_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;
background:#f6f7f9;margin:0;padding:24px}
main{max-width:760px;margin:0 auto;background:#fff;border:1px solid #dde1e6;border-radius:8px;
padding:24px 28px}
h1{font-size:22px;margin:0}h2{font-size:17px;margin:28px 0 8px}
.muted{color:#5b6673}.cards{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0}
.card{flex:1 1 150px;border:1px solid #dde1e6;border-radius:6px;padding:10px 12px}
.card b{display:block;font-size:20px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{border-bottom:1px solid #e6e9ed;padding:5px 6px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.risk{border-left:4px solid #b4532a;background:#fbf3ef;padding:6px 10px;margin:6px 0}
.ok{border-left:4px solid #2f7d4f;background:#eef7f1;padding:6px 10px}
figure{margin:12px 0}figcaption{font-weight:600;margin-bottom:4px}svg{max-width:100%;height:auto}
"""


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _share(s: dict[str, Any]) -> str:
    """``87.5% (95% CI 80.1–92.3%, n = 120)``, or ``no answers``."""
    if not s["n"]:
        return "no answers"
    return f"{_pct(s['value'])} (95% CI {_pct(s['low'])}–{_pct(s['high'])}, n = {s['n']:,})"


def _alpha(a: dict[str, Any] | None) -> str:
    if a is None or a.get("value") is None:
        return "not measurable this week (too few items annotated twice)"
    low, high = a.get("low"), a.get("high")
    interval = "" if low is None or high is None else f" (95% CI {low:.2f}–{high:.2f})"
    return f"{a['value']:.2f}{interval} on {a['field']}, {a['items']:,} items"


def headline(report: dict[str, Any]) -> list[tuple[str, str]]:
    """The report's key figures as (value, what it is) pairs, for cards and bullets."""
    p, f = report["progress"], report["forecast"] or {}
    finish = f.get("p50")
    cards = [
        (_pct(p["completion"]), f"complete: {p['complete']:,} of {p['items']:,} items"),
        (
            f"{p['period_annotations']:,}",
            f"annotations this week ({p['previous_annotations']:,} last week)",
        ),
        (_pct(report["quality"]["gold"]["value"]), "gold accuracy this week"),
        (finish or "–", "forecast finish (P50)" if finish else "no forecast yet"),
    ]
    return cards


def _forecast_lines(f: dict[str, Any] | None) -> list[str]:
    if not f:
        return ["No forecast."]
    if f.get("p50") is None:
        return [*(f.get("notes") or []), f"{f['remaining']:,.0f} annotations remain."]
    late = f["p90"] or "beyond the forecast's horizon"
    lines = [
        f"{f['remaining']:,.0f} annotations remain; done between {f['p10']} (P10) and "
        f"{late} (P90), most likely by {f['p50']} (P50)."
    ]
    d = f.get("deadline")
    if d:
        verdict = "on track" if d["on_track"] else "at risk"
        lines.append(
            f"Deadline {d['day']}: {verdict} at {d['confidence']:.0%} confidence"
            + (f" (done by {d['done_by']})" if d["done_by"] else "")
            + "."
        )
    c = f.get("cost")
    if c and c.get("projected") is not None:
        budget = ""
        if c.get("budget") is not None:
            budget = f" against a budget of {c['budget']:,.2f} {c.get('budget_currency') or ''}"
        lines.append(
            f"Cost so far {c['spent']:,.2f} {c.get('currency') or ''}, projected "
            f"{c['projected']:,.2f}{budget}.".replace(" ,", ",")
        )
    return lines + list(f.get("notes") or [])


def _vendor_rows(report: dict[str, Any]) -> list[list[str]]:
    rows = []
    for v in report["vendors"]:
        per = v["cost_per_accepted"]
        rows.append(
            [
                v["vendor"],
                f"{v['delivered']:,}",
                _share(v["accuracy"]),
                _share(v["review_acceptance"]),
                "–" if per is None else f"{per} {v['currency']}",
                v["sla"],
            ]
        )
    return rows


VENDOR_COLUMNS = [
    "vendor",
    "delivered",
    "gold accuracy",
    "review acceptance",
    "per accepted",
    "SLA",
]


def to_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown (no charts: their figures are in the text)."""
    period = report["period"]
    out = [
        f"# {report['project']} — weekly report {period['week']}",
        "",
        f"{period['start']} to {period['end']} · generated {report['generated_at']}",
        "",
        "## Headline",
        "",
        *[f"- **{value}** {what}" for value, what in headline(report)],
        "",
        "## Progress and forecast",
        "",
        *[f"- {line}" for line in _forecast_lines(report["forecast"])],
        "",
        "## Quality",
        "",
        f"- Gold accuracy this week: {_share(report['quality']['gold'])}",
        f"- Gold accuracy last week: {_share(report['quality']['gold_previous'])}",
        f"- Krippendorff's alpha this week: {_alpha(report['quality']['alpha'])}",
        "",
        "## Vendors",
        "",
    ]
    rows = _vendor_rows(report)
    if rows:
        out.append("| " + " | ".join(VENDOR_COLUMNS) + " |")
        out.append("|" + "---|" * len(VENDOR_COLUMNS))
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
    else:
        out.append("No vendor worked on the project this week.")
    out += ["", "## Risks", ""]
    risks = report["risks"]
    out += [f"- **{r['kind']}**: {r['text']}" for r in risks] or ["None this week."]
    return "\n".join(out) + "\n"


def to_html(report: dict[str, Any], svgs: dict[str, str]) -> str:
    """The report as one HTML document; ``svgs`` are the charts drawn (by name)."""
    period = report["period"]
    e = escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>{e(report['project'])} · weekly report {e(period['week'])}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        f"<h1>{e(report['project'])} — weekly report {e(period['week'])}</h1>",
        f"<p class='muted'>{e(report['description'])}<br>{e(period['start'])} to "
        f"{e(period['end'])} · generated {e(report['generated_at'])}</p>",
        body_html(report, svgs),
        "</main></body></html>",
    ]
    return "".join(parts)


def body_html(report: dict[str, Any], svgs: dict[str, str]) -> str:
    """The report's sections as HTML, for the file and for the console's page."""
    e = escape
    parts = ["<div class='cards'>"]
    parts += [f"<div class='card'><b>{e(v)}</b>{e(w)}</div>" for v, w in headline(report)]
    parts.append("</div><h2>Risks</h2>")
    risks = report["risks"]
    parts += [f"<div class='risk'><b>{e(r['kind'])}</b>: {e(r['text'])}</div>" for r in risks] or [
        "<div class='ok'>None this week.</div>"
    ]
    parts.append("<h2>Progress and forecast</h2>")
    parts += [f"<p>{e(line)}</p>" for line in _forecast_lines(report["forecast"])]
    parts.append(_figure("forecast", svgs))
    parts.append(_figure("vendors", svgs))
    q = report["quality"]
    parts += [
        "<h2>Quality</h2><ul>",
        f"<li>Gold accuracy this week: {e(_share(q['gold']))}</li>",
        f"<li>Gold accuracy last week: {e(_share(q['gold_previous']))}</li>",
        f"<li>Krippendorff's alpha this week: {e(_alpha(q['alpha']))}</li></ul>",
        _figure("gold", svgs),
        "<h2>Vendors</h2>",
    ]
    rows = _vendor_rows(report)
    if rows:
        head = "".join(f"<th>{e(c)}</th>" for c in VENDOR_COLUMNS)
        body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows)
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    else:
        parts.append("<p class='muted'>No vendor worked on the project this week.</p>")
    return "".join(parts)


def _figure(name: str, svgs: dict[str, str]) -> str:
    svg = svgs.get(name)
    if svg is None:
        return ""
    return f"<figure><figcaption>{escape(CHARTS[name][1])}</figcaption>{svg}</figure>"
