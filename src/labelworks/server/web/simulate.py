"""The Simulator page: a spec's quality settings tried on a simulated crowd, in the request,
against fixed overlap 3 with majority vote; the browser face of ``services.simulation``
for runs small enough to wait for (larger ones belong to ``labelworks simulate``).

The route is a plain ``def``: a run takes seconds of CPU, which must happen in the thread
pool, never on the event loop. Its two bar charts are SVG written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from labelworks.domain.access import Actor
from labelworks.domain.errors import InvalidSpec, LabelworksError
from labelworks.server.deps import CurrentActor
from labelworks.server.errors import status_for
from labelworks.server.security import CSRF_FIELD
from labelworks.server.web.pages import check_form_csrf, page
from labelworks.services import quality_view
from labelworks.services.simulation import CrowdSettings

router = APIRouter(include_in_schema=False)
MAX_ITEMS = 5_000
MAX_ANNOTATORS = 200
EXAMPLE_SPEC = """\
# An example: edit it, or paste one of your project specs.
name: reviews
fields:
  - name: sentiment
    kind: choice
    labels: [positive, negative, neutral]
quality:
  gold_rate: 0.1                          # one task in ten is a gold question
  auto_pause: {min_gold: 8, below: 0.6}   # pause once surely below 60% on gold
  consensus: dawid_skene
  dynamic_overlap: {min: 2, max: 4, confidence: 0.9}
"""
DEFAULTS = {
    "items": "1000",
    "annotators": "30",
    "spammers": "0.1",
    "skill_low": "0.6",
    "skill_high": "0.95",
    "classes": "",
    "seed": "0",
}
# The bar charts: width, the label column, the bars' length, one bar's height.
CHART_W, LABEL_W, BAR_W, BAR_H = 440, 150, 220, 20


def _number(form: dict[str, str], key: str, what: str, low: float, high: float) -> float:
    text = form[key].strip()
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{what} must be a number from {low:g} to {high:g}") from None
    if not low <= value <= high:
        raise ValueError(f"{what} must be from {low:g} to {high:g}, not {text}")
    return value


def _whole(form: dict[str, str], key: str, what: str, low: int, high: int) -> int:
    text = form[key].strip()
    if not text.lstrip("-").isdigit():
        raise ValueError(f"{what} must be a whole number from {low:,} to {high:,}")
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"{what} must be from {low:,} to {high:,}, not {value:,}")
    return value


def settings_from(form: dict[str, str]) -> tuple[CrowdSettings | None, dict[str, str]]:
    """The crowd the form describes, or each field's problem."""
    errors: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    checks: list[tuple[str, Any]] = [
        ("items", lambda: _whole(form, "items", "Items", 1, MAX_ITEMS)),
        ("annotators", lambda: _whole(form, "annotators", "Annotators", 1, MAX_ANNOTATORS)),
        ("spammers", lambda: _number(form, "spammers", "Spammers (a share)", 0, 0.95)),
        ("skill_low", lambda: _number(form, "skill_low", "Lowest skill", 0, 1)),
        ("skill_high", lambda: _number(form, "skill_high", "Highest skill", 0, 1)),
        ("seed", lambda: _whole(form, "seed", "Seed", 0, 2**31 - 1)),
    ]
    if form["classes"].strip():
        checks.append(("classes", lambda: _whole(form, "classes", "Classes", 2, 100)))
    for key, parse in checks:
        try:
            parsed[key] = parse()
        except ValueError as exc:
            errors[key] = str(exc)
    if (
        "skill_low" in parsed
        and "skill_high" in parsed
        and parsed["skill_low"] > parsed["skill_high"]
    ):
        errors["skill_high"] = "Highest skill must be at least the lowest skill"
    if errors:
        return None, errors
    settings = CrowdSettings(
        items=parsed["items"],
        annotators=parsed["annotators"],
        spammers=parsed["spammers"],
        skill=(parsed["skill_low"], parsed["skill_high"]),
        classes=parsed.get("classes"),
        seed=parsed["seed"],
    )
    return settings, {}


@dataclass(frozen=True, slots=True)
class SpecProblem:
    line: int | None
    field: str | None
    message: str
    text: str  # the spec's line, as typed


def spec_problems(exc: InvalidSpec, spec: str) -> list[SpecProblem]:
    """Every problem of a refused spec, with its line's text."""
    lines = spec.splitlines()
    found = exc.details.get("errors") or [{"line": None, "field": None, "message": str(exc)}]
    out = []
    for e in found:
        line = e.get("line")
        text = lines[line - 1].strip() if isinstance(line, int) and 0 < line <= len(lines) else ""
        out.append(SpecProblem(line, e.get("field"), str(e.get("message")), text))
    return out


def bar_pair(title: str, ours: float, base: float, top: float, shown: tuple[str, str]) -> Markup:
    """Two horizontal bars, these settings above the baseline, on a 0..``top`` axis;
    ``shown`` are the values as written next to them."""
    label = f"{title}: these settings {shown[0]}, fixed overlap 3 with majority vote {shown[1]}"
    parts = [
        f'<svg class="bars" viewBox="0 0 {CHART_W} 78" width="{CHART_W}" height="78" '
        f'role="img" aria-label="{escape(label)}">',
        f"<title>{escape(label)}</title>",
    ]
    for row, (name, value, text, cls) in enumerate(
        (
            ("These settings", ours, shown[0], "ours"),
            ("Fixed overlap 3", base, shown[1], "base"),
        )
    ):
        y = 6 + row * (BAR_H + 10)
        width = round(max(0.0, min(value / top, 1.0)) * BAR_W, 1) if top else 0.0
        parts += [
            f'<text class="name" x="{LABEL_W - 8}" y="{y + 14}">{name}</text>',
            f'<rect class="track" x="{LABEL_W}" y="{y}" width="{BAR_W}" height="{BAR_H}"/>',
            f'<rect class="{cls}" x="{LABEL_W}" y="{y}" width="{width}" height="{BAR_H}"/>',
            f'<text class="value" x="{LABEL_W + width + 6}" y="{y + 14}">{escape(text)}</text>',
        ]
    parts.append(
        f'<line class="axis" x1="{LABEL_W}" y1="2" x2="{LABEL_W}" y2="{12 + 2 * BAR_H + 6}"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # every text in it went through escape() or is ours


@dataclass(frozen=True, slots=True)
class Report:
    """A run's report (``services.simulation``) with its charts and deltas written out."""

    data: dict[str, Any]
    accuracy_chart: Markup
    cost_chart: Markup
    accuracy_delta: str
    cost_delta: str


def report_of(data: dict[str, Any]) -> Report:
    base = data["baseline"]
    acc, base_acc = float(data["accuracy"]), float(base["accuracy"])
    per, base_per = float(data["annotations_per_item"]), float(base["annotations_per_item"])
    points = (acc - base_acc) * 100
    cost = (per / base_per - 1) * 100 if base_per else 0.0
    return Report(
        data=data,
        accuracy_chart=bar_pair("Accuracy", acc, base_acc, 1.0, (f"{acc:.1%}", f"{base_acc:.1%}")),
        cost_chart=bar_pair(
            "Annotations per item",
            per,
            base_per,
            max(per, base_per) * 1.15 or 1.0,
            (f"{per:.2f}", f"{base_per:.2f}"),
        ),
        accuracy_delta=f"{points:+.1f} points",
        cost_delta=f"{cost:+.0f}% annotations",
    )


def _page(
    request: Request,
    actor: Actor,
    form: dict[str, str],
    spec: str,
    *,
    report: Report | None = None,
    errors: dict[str, str] | None = None,
    problems: list[SpecProblem] | None = None,
    failure: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "simulate.html",
        actor,
        status=status,
        form=form,
        spec=spec,
        report=report,
        errors=errors or {},
        problems=problems or [],
        failure=failure,
        max_items=MAX_ITEMS,
        max_annotators=MAX_ANNOTATORS,
    )


@router.get("/simulate", response_class=HTMLResponse)
def simulate_page(request: Request, actor: CurrentActor) -> HTMLResponse:
    quality_view.check_may_simulate(actor)
    return _page(request, actor, DEFAULTS, EXAMPLE_SPEC)


@router.post("/simulate", response_class=HTMLResponse)
def run_simulation(
    request: Request,
    actor: CurrentActor,
    spec: str = Form(""),
    items: str = Form("", max_length=20),
    annotators: str = Form("", max_length=20),
    spammers: str = Form("", max_length=20),
    skill_low: str = Form("", max_length=20),
    skill_high: str = Form("", max_length=20),
    classes: str = Form("", max_length=20),
    seed: str = Form("", max_length=20),
    csrf: str = Form("", alias=CSRF_FIELD),
) -> HTMLResponse:
    """Run the simulation the form describes and show its report, or what is wrong."""
    check_form_csrf(request, csrf)
    quality_view.check_may_simulate(actor)
    form = {
        "items": items,
        "annotators": annotators,
        "spammers": spammers,
        "skill_low": skill_low,
        "skill_high": skill_high,
        "classes": classes,
        "seed": seed,
    }
    settings, errors = settings_from(form)
    if settings is None:
        return _page(request, actor, form, spec, errors=errors, status=422)
    try:
        _, data = quality_view.simulate_spec(spec, settings, actor=actor)
    except InvalidSpec as exc:
        return _page(request, actor, form, spec, problems=spec_problems(exc, spec), status=422)
    except LabelworksError as exc:
        return _page(request, actor, form, spec, failure=str(exc), status=status_for(exc))
    return _page(request, actor, form, spec, report=report_of(data))
