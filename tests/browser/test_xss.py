"""Hostile item content, metadata, external ids, specs and guidelines never run in the browser.

Every demo project gets items whose every string carries script, event-handler, SVG,
``javascript:`` and template payloads, plus a spec whose description, field titles,
changelog and inline guidelines are hostile too. A manager and an annotator then open every
page. Each visit is checked three ways, so a template that stopped escaping is caught even
though the Content Security Policy would still block the script: nothing ran
(``window.__xss``, dialogs, CSP violation reports), the DOM holds no injected handlers,
``javascript:`` URLs or foreign scripts, and the CSP header is there.
"""

from __future__ import annotations

import io
import json
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest
import yaml
from playwright.sync_api import Page, Response
from tests.chat_server import ChatServer

from labelworks.config import Settings
from labelworks.domain.escalation import Flag
from labelworks.domain.prompts import prompt_from_dict
from labelworks.domain.spec import spec_from_dict
from labelworks.jobs import records
from labelworks.server.security import CONTENT_SECURITY_POLICY
from labelworks.services import (
    assignment,
    assist,
    auth,
    catalog,
    escalations,
    evaluation,
    gold,
    ingestion,
    predictions,
    prompts,
    reviews,
)
from labelworks.services import projects as project_service
from labelworks.services import users as user_service
from labelworks.services.access import actor_of as auth_actor
from labelworks.services.adjudication import adjudicate, adjudication_queue
from labelworks.services.judges import run_judge
from labelworks.storage import jobs as job_store
from labelworks.storage.engine import Database, utcnow

if TYPE_CHECKING:
    from tests.browser.conftest import (
        LiveServer,
        LoginFactory,
        LogLookup,
        PageFactory,
        Screenshot,
    )

SCRIPT = "<script>window.__xss=1</script>"
IMG = '<img src=x onerror="window.__xss=1">'
SVG = '<svg onload="window.__xss=1"></svg>'
JS_URL = "javascript:window.__xss=1"
BREAKOUT = '"><script>window.__xss=1</script>'
TEMPLATE = "{{7*7}}"
# Every payload in one string, so each shown value tests every kind of escape at once.
HOSTILE = f"{SCRIPT} {IMG} {SVG} {BREAKOUT} {TEMPLATE} {JS_URL}"
REMOTE_IMAGE = 'https://127.0.0.1:9/x.png?q="><img src=x onerror="window.__xss=1">'
GUIDELINES = f"""# Guidelines {SCRIPT}

{IMG}

{SVG}

Read [x]({JS_URL}) or [y](JAVASCRIPT:window.__xss=1) or <a href="{JS_URL}">this</a>.

![picture]({JS_URL})

Back to [the top](#top "\\"><svg onload=\\"window.__xss=1\\">") of the page.

![remote](https://127.0.0.1:9/p.png "\\" onerror=\\"window.__xss=1")

{BREAKOUT} {TEMPLATE}
"""
# The text keys of each demo project's payload (see services/demo*.py), and its media key.
TEXT_KEYS = {
    "sentiment-demo": ("text", "product"),
    "topics-demo": ("text", "product"),
    "ner-demo": ("text",),
    "pairwise-demo": ("prompt", "a", "b", "topic"),
    "rating-demo": ("question", "answer", "topic"),
}
MEDIA: dict[str, tuple[str, dict[str, Any]]] = {
    "boxes-demo": ("image", {"width": 320, "height": 240}),
    "audio-demo": ("audio", {"duration": 10.0}),
    "video-demo": ("video", {"duration": 3.0}),
    "sensor-demo": ("timeseries", {"duration": 20.0, "rate_hz": 50}),
}
# Checks run on every page after it settled; returns a list of what is wrong.
DOM_CHECK = """() => {
  const found = [];
  if (typeof window.__xss !== "undefined") found.push("window.__xss is set");
  for (const v of window.__cspViolations || []) found.push("CSP violation: " + v);
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      const value = a.value.trim().toLowerCase();
      if (name.startsWith("on")) found.push(`${el.tagName} has ${name}`);
      if (["href", "src", "action", "formaction", "xlink:href", "data"].includes(name)
          && value.startsWith("javascript:")) found.push(`${el.tagName} ${name}=${a.value}`);
    }
  }
  for (const s of document.scripts) {
    const own = s.src && new URL(s.src).origin === location.origin
      && new URL(s.src).pathname.startsWith("/static/");
    if (!own && s.type !== "application/json") {
      found.push("foreign script: " + s.outerHTML.slice(0, 80));
    }
  }
  return found;
}"""
RECORD_CSP = """document.addEventListener("securitypolicyviolation", (e) => {
  (window.__cspViolations = window.__cspViolations || []).push(
    `${e.violatedDirective} ${e.blockedURI}`);
});"""


# Typed into the New project editor: hostile text wherever a spec holds text.
HOSTILE_SPEC = {
    "name": "xss-new",
    "description": HOSTILE,
    "fields": [
        {"name": "verdict", "kind": "choice", "labels": ["fine", HOSTILE], "title": HOSTILE}
    ],
    "guidelines": GUIDELINES,
    "guidelines_changelog": HOSTILE,
}
# The project whose Adjudication page shows hostile items, answers and notes.
ADJUDICATION = "xss-adjudication"
# The project whose Quality page lists a hostile person (name, vendor) blocked in its
# qualification test on gold questions with hostile content and explanations.
QUALIFICATION = "xss-qualification"
# The project whose Escalations page and Edge-case library show hostile flags (comments,
# the flagger's name and vendor, their answer) and a hostile resolution (answer, note,
# guideline section).
ESCALATION = "xss-escalation"
# The project whose Review page shows hostile items, answers, a hostile annotator's vendor
# and a hostile reason code, and whose outcomes list that vendor.
REVIEW = "xss-review"
CONSISTENCY = "xss-consistency"
# The project whose Model tab shows a baseline model of a field with hostile labels, title
# and text key, and a training job that failed with a hostile error.
MODEL = "xss-model"
# The blind campaign whose leaderboard shows hostile model names and categories, and whose
# judge (a hostile model name answering with hostile text) has a calibration page.
ARENA = "xss-arena"
JUDGE = "xss-judge"
JUDGE_PROMPT = {"description": HOSTILE, "variables": ["prompt", "response_a", "response_b"],
                "template": "{{ prompt }}\nA: {{ response_a }}\nB: {{ response_b }}\n"}  # fmt: skip
# The prompt whose pages show a hostile template, description and parameters.
PROMPT = "xss-prompt"


@dataclass(frozen=True, slots=True)
class HostileSite:
    """The seeded server and, per project, the ids of its hostile items and of its gold
    item with a hostile explanation (some projects)."""

    server: LiveServer
    items: dict[str, list[int]]
    gold: dict[str, int]
    adjudication: str = ADJUDICATION
    qualification: str = QUALIFICATION
    escalation: str = ESCALATION
    review: str = REVIEW
    consistency: str = CONSISTENCY
    model: str = MODEL


def _hostile_record(payload: dict[str, Any], external_id: str, value: str) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "payload": payload,
        "metadata": {"source": value, "note": value, "tags": [value]},
    }


def _records(project: str) -> list[dict[str, Any]]:
    """Items whose every string is hostile: all payloads at once, and a bare ``javascript:``."""
    records = []
    for n, value in enumerate((HOSTILE, JS_URL), start=1):
        if project in MEDIA:
            key, extra = MEDIA[project]
            payload: dict[str, Any] = {key: value, "note": value, **extra}
            if project == "sensor-demo":
                payload["channels"] = [value, f"{value} 2"]
        else:
            payload = {key: value for key in TEXT_KEYS[project]}
        records.append(_hostile_record(payload, f"{value} #{n}", value))
    if project in MEDIA:
        # A media path that breaks out of an attribute, and (boxes) a remote image URL.
        key, extra = MEDIA[project]
        records.append(_hostile_record({key: f"media/{BREAKOUT}.png", **extra}, "path", HOSTILE))
        if project == "boxes-demo":
            records.append(_hostile_record({key: REMOTE_IMAGE, **extra}, "remote", HOSTILE))
    if project == "rating-demo":
        suggestion = {"quality": 3, "rationale": HOSTILE}
        records[0]["pre_annotations"] = [{"model": HOSTILE, "score": 0.5, "value": suggestion}]
    return records


def _hostile_spec(db: Database, project: str) -> None:
    """Re-apply the project's spec with hostile text everywhere text goes."""
    data = project_service.get_project(db, project).spec.model_dump(mode="json", by_alias=True)
    data["description"] = HOSTILE
    data["guidelines"] = GUIDELINES
    data["guidelines_changelog"] = HOSTILE
    data["allow_remote_media"] = project == "boxes-demo"
    for field in data["fields"]:
        field["title"] = HOSTILE
    project_service.apply_spec(db, spec_from_dict(data, source="xss"), guidelines=GUIDELINES)


@pytest.fixture
def hostile(demo_server: LiveServer) -> HostileSite:
    """The demo with hostile items imported into every project and hostile specs applied."""
    db = demo_server.db
    names = [p.name for p in project_service.list_projects(db)]
    assert set(names) <= set(TEXT_KEYS) | set(MEDIA), "a new demo project needs hostile items"
    items = {}
    for name in names:
        _hostile_spec(db, name)
        body = "\n".join(json.dumps(r) for r in _records(name)).encode()
        ingestion.import_items(db, name, io.BytesIO(body), format="jsonl", source="xss.jsonl")
        found = catalog.list_items(db, name, text="__xss", limit=200).items
        items[name] = [row.id for row in found]
    # People and tokens with hostile names, on the People and settings pages.
    user_service.add_user(
        db,
        "hostile.person@demo.labelworks",
        role="annotator",
        name=HOSTILE[:200],
        vendor=None,
        team=HOSTILE[:200],
        projects=names,
    )
    manager = user_service.user_by_email(db, "lead@demo.labelworks")
    auth.create_token(db, auth_actor(manager), HOSTILE[:200])
    # Gold with hostile explanations (and a hostile free-text answer), and the hostile
    # person paused for a hostile reason: the Quality page and the item page's gold card.
    answers = {"sentiment-demo": {"sentiment": "negative"}, "rating-demo": {"quality": 2}}
    answers["rating-demo"]["rationale"] = HOSTILE
    gold_items = {}
    for name, value in answers.items():
        gold_items[name] = catalog.list_items(db, name, limit=1).items[0].id
        gold.mark_gold(db, name, gold_items[name], value=value, explanation=HOSTILE)
    gold.pause_annotator(db, "sentiment-demo", "hostile.person@demo.labelworks", reason=HOSTILE)
    _hostile_adjudication(db)
    _hostile_qualification(db)
    _hostile_escalation(db)
    _hostile_review(db)
    _hostile_consistency(db)
    _hostile_model(db)
    _hostile_jobs(db)
    _hostile_prompt(db)
    return HostileSite(demo_server, items, gold_items)


def _hostile_model(db: Database) -> None:
    """``MODEL``: hostile texts under a hostile key, half labelled with a hostile label, a
    model trained on them, and a training job that failed with a hostile error."""
    spec = {
        "name": MODEL,
        "description": HOSTILE,
        "fields": [{"name": "verdict", "kind": "choice", "labels": ["fine", HOSTILE],
                    "title": HOSTILE, "source": HOSTILE}],
        "overlap": 1,
        "quality": {"consensus": "majority"},
        "assist": {"field": "verdict", "every": 1000, "min_labels": 1000},
    }  # fmt: skip
    project_service.apply_spec(db, spec_from_dict(spec, source="xss"), guidelines=None)
    rows = [
        _hostile_record({HOSTILE: f"{HOSTILE} {('fine', 'bad')[n % 2]} {n}"}, f"m{n}", HOSTILE)
        for n in range(10)
    ]
    body = "\n".join(json.dumps(r) for r in rows).encode()
    ingestion.import_items(db, MODEL, io.BytesIO(body), format="jsonl", source="m.jsonl")
    uid = user_service.add_user(db, "xss.model@demo.labelworks", role="annotator",
                                projects=[MODEL]).user.id  # fmt: skip
    for k in range(6):
        task = assignment.next_task_for(db, MODEL, uid)
        assert task is not None
        value = {"verdict": "fine" if " fine " in str(task.payload[HOSTILE]) else HOSTILE}
        assignment.submit_annotation(
            db, task.assignment_id, uid, value=value, seconds=1.0, idempotency_key=f"m{k}"
        )
    assist.train(db, MODEL)
    # Two versions of a model with a hostile name predict every item (a hostile label on
    # some); a run sliced by the hostile metadata key is stored: the Evaluation pages.
    name = HOSTILE.replace("@", "")[:200]
    for version in ("1", HOSTILE.replace("@", "")[:100]):
        rows = [
            {
                "item": f"m{n}",
                "model": name,
                "version": version,
                "value": {"verdict": ("fine", HOSTILE)[(n + len(version)) % 2]},
            }
            for n in range(10)
        ]
        predictions.push(db, MODEL, rows)
    evaluation.run_evaluation(db, MODEL, f"{name}@1", slice_key="source")
    _hostile_campaign(db)
    job = records.create_job(db, "train", {}, project=MODEL, actor=None)
    db.run_write(lambda conn: job_store.claim(conn, job.id, HOSTILE[:100], utcnow()))
    db.run_write(
        lambda conn: job_store.finish(conn, job.id, state="failed", now=utcnow(), error=HOSTILE)
    )
    for email in ("lead@demo.labelworks", "ada@demo.labelworks"):
        user_service.add_member(db, MODEL, email)


def _hostile_campaign(db: Database) -> None:
    """``ARENA``: a blind campaign of three hostile-named models, hostile prompts, outputs
    and categories, with votes: the leaderboard page."""
    names = [f"{HOSTILE.replace('@', '')[:150]} {n}" for n in range(3)]
    spec = {"name": ARENA, "description": HOSTILE,
            "fields": [{"name": "pref", "kind": "pairwise", "title": HOSTILE}],
            "evaluation": {"models": names}}  # fmt: skip
    project_service.apply_spec(db, spec_from_dict(spec, source="xss"), guidelines=None)
    rows = [
        {
            "id": f"{HOSTILE} {i}",
            "prompt": HOSTILE,
            "outputs": {m: f"{HOSTILE} {k}{i}" for k, m in enumerate(names)},
            "metadata": {"category": f"{HOSTILE} {i % 2}"},
        }
        for i in range(6)
    ]
    body = "\n".join(json.dumps(r) for r in rows).encode()
    ingestion.import_items(db, ARENA, io.BytesIO(body), format="jsonl", source="arena.jsonl")
    uid = user_service.add_user(db, "xss.arena@demo.labelworks", role="annotator",
                                projects=[ARENA]).user.id  # fmt: skip
    for k in range(18):
        task = assignment.next_task_for(db, ARENA, uid)
        assert task is not None
        choice = ("a", "b", "tie")[k % 3]
        assignment.submit_annotation(db, task.assignment_id, uid,
                                     value={"pref": {"choice": choice}}, seconds=1.0,
                                     idempotency_key=f"arena{k}")  # fmt: skip
    _hostile_judge(db, spec)
    for email in ("lead@demo.labelworks", "ada@demo.labelworks"):
        user_service.add_member(db, ARENA, email)


def _hostile_judge(db: Database, spec: dict[str, Any]) -> None:
    """``JUDGE`` of ``ARENA``: a hostile model name, verdicts given with hostile text (always
    the first shown: every item's two orders differ), stored by a run against a local chat
    server; its calibration page lists the hostile items, models and categories."""
    prompts.push_prompt(db, JUDGE, prompt_from_dict(JUDGE_PROMPT, source="xss"))
    with ChatServer(lambda body: f"{HOSTILE} [[A]]") as server:
        judge = {"endpoint": server.url, "model": HOSTILE[:200], "prompt": f"{JUDGE}@1"}
        judged = {**spec, "evaluation": {**spec["evaluation"], "judges": {JUDGE: judge}}}
        project_service.apply_spec(db, spec_from_dict(judged, source="xss"), guidelines=None)
        run_judge(db, ARENA, JUDGE, settings=Settings(llm_backoff=0.01))


def _hostile_prompt(db: Database) -> None:
    """``PROMPT``: two versions of a prompt whose template, description, variable
    description and parameters are hostile (its name is a slug: nothing to inject)."""
    for n in range(2):
        document = {
            "description": HOSTILE,
            "variables": {"text": HOSTILE},
            "parameters": {"model": HOSTILE[:200], "stop": [HOSTILE[:200], BREAKOUT]},
            "template": f"{HOSTILE} {n}\n{GUIDELINES}\n{{{{ text }}}}",
        }
        prompts.push_prompt(db, PROMPT, prompt_from_dict(document, source="xss"))


def _hostile_jobs(db: Database) -> None:
    """Jobs on the Jobs pages and the Media page: an import from a hostile source name that
    failed with a hostile error, and a media run with a hostile result."""
    source = {"path": f"/tmp/{HOSTILE[:100]}", "format": "jsonl", "source": HOSTILE[:200]}
    ended = [
        ("import", source, "failed", None, HOSTILE),
        ("media", {"force": False}, "succeeded", {"probed": 1, "failed": 0, "note": HOSTILE}, None),
    ]
    for kind, params, state, result, error in ended:
        job = records.create_job(db, kind, params, project="boxes-demo", actor=None)
        db.run_write(lambda conn, j=job.id: job_store.claim(conn, j, HOSTILE[:100], utcnow()))
        db.run_write(
            lambda conn, j=job.id, s=state, r=result, e=error: job_store.finish(
                conn, j, state=s, now=utcnow(), result=r, error=e
            )
        )


def _hostile_qualification(db: Database) -> None:
    """``QUALIFICATION``: a one-question test on hostile gold items; a person with a
    hostile name and vendor answers wrong and is blocked (the card's "Let them try again"
    row); the demo's manager and annotator are members."""
    spec = {
        "name": QUALIFICATION,
        "description": HOSTILE,
        "fields": [{"name": "verdict", "kind": "choice", "labels": ["fine", HOSTILE]}],
        "quality": {"qualification": {"items": 1, "pass": 1.0, "retries": 0}},
    }
    project_service.apply_spec(db, spec_from_dict(spec, source="xss"), guidelines=None)
    rows = [
        {**_hostile_record({"text": HOSTILE, "n": n}, f"{HOSTILE} #{n}", HOSTILE),
         "gold": {"verdict": HOSTILE}, "gold_explanation": HOSTILE}
        for n in (1, 2)
    ]  # fmt: skip
    body = "\n".join(json.dumps(r) for r in rows).encode()
    ingestion.import_items(db, QUALIFICATION, io.BytesIO(body), format="jsonl", source="q.jsonl")
    uid = user_service.add_user(
        db,
        "xss.candidate@demo.labelworks",
        role="annotator",
        name=HOSTILE[:200],
        vendor=HOSTILE[:200],
        projects=[QUALIFICATION],
    ).user.id
    task = assignment.next_task_for(db, QUALIFICATION, uid)
    assert task is not None
    assignment.submit_annotation(
        db, task.assignment_id, uid, value={"verdict": "fine"}, seconds=1.0, idempotency_key="q"
    )
    for email in ("lead@demo.labelworks", "ada@demo.labelworks"):
        user_service.add_member(db, QUALIFICATION, email)


def _hostile_adjudication(db: Database) -> None:
    """``ADJUDICATION``: hostile items waiting for an expert, with hostile content, answers
    (a free text and a hostile label), field titles and description; one already decided,
    with a hostile note. Its own annotators, so the demo's queues stay as they were."""
    spec = {
        "name": ADJUDICATION,
        "description": HOSTILE,
        "fields": [
            {"name": "verdict", "kind": "choice", "labels": ["fine", HOSTILE], "title": HOSTILE},
            {"name": "why", "kind": "text", "required": False, "title": HOSTILE},
        ],
        "quality": {"dynamic_overlap": {"min": 2, "max": 2, "confidence": 0.99}},
    }
    project_service.apply_spec(db, spec_from_dict(spec, source="xss"), guidelines=None)
    rows = [_hostile_record({"text": HOSTILE, "n": n}, f"{HOSTILE} #{n}", HOSTILE) for n in (1, 2)]
    body = "\n".join(json.dumps(r) for r in rows).encode()
    ingestion.import_items(db, ADJUDICATION, io.BytesIO(body), format="jsonl", source="xss.jsonl")
    answers = [{"verdict": "fine", "why": HOSTILE}, {"verdict": HOSTILE, "why": "plain"}]
    for n, value in enumerate(answers):
        email = f"xss.judge{n}@demo.labelworks"
        uid = user_service.add_user(
            db, email, role="annotator", name=HOSTILE[:200], projects=[ADJUDICATION]
        ).user.id
        for k in range(2):
            task = assignment.next_task_for(db, ADJUDICATION, uid)
            assert task is not None
            assignment.submit_annotation(
                db, task.assignment_id, uid, value=value, seconds=1.0, idempotency_key=f"x{k}"
            )
    for email in ("lead@demo.labelworks", "ada@demo.labelworks"):
        user_service.add_member(db, ADJUDICATION, email)
    last = adjudication_queue(db, ADJUDICATION)[-1].item_id
    adjudicate(db, ADJUDICATION, last, value={"verdict": HOSTILE}, note=HOSTILE)


def _hostile_escalation(db: Database) -> None:
    """``ESCALATION``: hostile items a person with a hostile name and vendor flagged with
    hostile comments, one on a skip and one on a submit (a hostile free-text answer); the
    second resolved with a hostile answer, note and guideline section."""
    spec = {
        "name": ESCALATION,
        "description": HOSTILE,
        "fields": [
            {"name": "verdict", "kind": "choice", "labels": ["fine", HOSTILE], "title": HOSTILE},
            {"name": "why", "kind": "text", "required": False, "title": HOSTILE},
        ],
        "overlap": 1,
    }
    project_service.apply_spec(db, spec_from_dict(spec, source="xss"), guidelines=None)
    rows = [_hostile_record({"text": HOSTILE, "n": n}, f"{HOSTILE} #{n}", HOSTILE) for n in (1, 2)]
    body = "\n".join(json.dumps(r) for r in rows).encode()
    ingestion.import_items(db, ESCALATION, io.BytesIO(body), format="jsonl", source="e.jsonl")
    uid = user_service.add_user(
        db,
        "xss.flagger@demo.labelworks",
        role="annotator",
        name=HOSTILE[:200],
        vendor=HOSTILE[:200],
        projects=[ESCALATION],
    ).user.id
    first = assignment.next_task_for(db, ESCALATION, uid)
    assert first is not None
    assignment.skip_task(db, first.assignment_id, uid, flag=Flag("ambiguous", HOSTILE))
    second = assignment.next_task_for(db, ESCALATION, uid)
    assert second is not None
    value = {"verdict": HOSTILE, "why": HOSTILE}
    assignment.submit_annotation(
        db,
        second.assignment_id,
        uid,
        value=value,
        seconds=1.0,
        idempotency_key="e",
        flag=Flag("edge_case", HOSTILE),
    )
    for email in ("lead@demo.labelworks", "ada@demo.labelworks"):
        user_service.add_member(db, ESCALATION, email)
    (_, resolved) = [e.id for e in escalations.escalation_queue(db, ESCALATION)]
    escalations.resolve_escalation(
        db, ESCALATION, resolved, answer=value, note=HOSTILE, guideline_section=HOSTILE[:200]
    )


def _hostile_review(db: Database) -> None:
    """``REVIEW``: hostile items a person with a hostile vendor labelled with hostile
    answers, all three reviewed; a hostile reason code; one review fixed with a hostile
    value and comment, one rejected with the hostile reason, one waiting."""
    spec = {
        "name": REVIEW,
        "description": HOSTILE,
        "fields": [
            {"name": "verdict", "kind": "choice", "labels": ["fine", HOSTILE], "title": HOSTILE},
            {"name": "why", "kind": "text", "required": False, "title": HOSTILE},
        ],
        "overlap": 1,
        "quality": {"review": {"first_n": 3, "reasons": ["wrong label", HOSTILE]}},
    }
    project_service.apply_spec(db, spec_from_dict(spec, source="xss"), guidelines=None)
    rows = [
        _hostile_record({"text": HOSTILE, "n": n}, f"{HOSTILE} #{n}", HOSTILE) for n in (1, 2, 3)
    ]
    body = "\n".join(json.dumps(r) for r in rows).encode()
    ingestion.import_items(db, REVIEW, io.BytesIO(body), format="jsonl", source="r.jsonl")
    uid = user_service.add_user(
        db,
        "xss.reviewed@demo.labelworks",
        role="annotator",
        name=HOSTILE[:200],
        vendor=HOSTILE[:200],
        projects=[REVIEW],
    ).user.id
    for k in range(3):
        task = assignment.next_task_for(db, REVIEW, uid)
        assert task is not None
        value = {"verdict": HOSTILE if k else "fine", "why": HOSTILE}
        assignment.submit_annotation(
            db, task.assignment_id, uid, value=value, seconds=1.0, idempotency_key=f"r{k}"
        )
    for email in ("lead@demo.labelworks", "ada@demo.labelworks"):
        user_service.add_member(db, REVIEW, email)
    fixed = {"verdict": HOSTILE, "why": HOSTILE}
    reviews.decide_review(db, REVIEW, 1, decision="fix", value=fixed, comment=HOSTILE)
    reviews.decide_review(db, REVIEW, 2, decision="reject", reason=HOSTILE, comment=HOSTILE)


def _hostile_consistency(db: Database) -> None:
    """``CONSISTENCY``: hostile items a person with a hostile name labelled with hostile
    answers, some retested (a seeded draw) with other hostile answers."""
    spec = {
        "name": CONSISTENCY,
        "description": HOSTILE,
        "fields": [
            {"name": "verdict", "kind": "choice", "labels": ["fine", HOSTILE], "title": HOSTILE},
            {"name": "why", "kind": "text", "required": False, "title": HOSTILE},
        ],
        "overlap": 1,
        "quality": {"retest": {"rate": 0.5, "after": 1}},
    }
    project_service.apply_spec(db, spec_from_dict(spec, source="xss"), guidelines=None)
    rows = [
        _hostile_record({"text": HOSTILE, "n": n}, f"{HOSTILE} c{n}", HOSTILE) for n in range(8)
    ]
    body = "\n".join(json.dumps(r) for r in rows).encode()
    ingestion.import_items(db, CONSISTENCY, io.BytesIO(body), format="jsonl", source="c.jsonl")
    uid = user_service.add_user(
        db,
        "xss.retested@demo.labelworks",
        role="annotator",
        name=HOSTILE[:200],
        projects=[CONSISTENCY],
    ).user.id
    rng, seen, retests = random.Random(3), set(), 0
    while (task := assignment.next_task_for(db, CONSISTENCY, uid, rng=rng)) is not None:
        again = task.item_id in seen
        seen.add(task.item_id)
        retests += again
        value = {"verdict": "fine" if again else HOSTILE, "why": f"{HOSTILE} {len(seen)}"}
        assignment.submit_annotation(
            db,
            task.assignment_id,
            uid,
            value=value,
            seconds=1.0,
            idempotency_key=f"c{len(seen)}{again}",
        )
    assert retests > 0
    for email in ("lead@demo.labelworks", "ada@demo.labelworks"):
        user_service.add_member(db, CONSISTENCY, email)


def _is_hostile(payload: dict[str, Any]) -> bool:
    return "__xss" in json.dumps(payload)


class Visits:
    """Opens pages in one logged-in tab and records every problem found, by page."""

    def __init__(self, page: Page, page_log: LogLookup) -> None:
        self.page = page
        self.log = page_log(page)
        self.problems: dict[str, list[str]] = {}
        page.context.add_init_script(RECORD_CSP)

    def check(self, label: str, response: Response | None) -> None:
        """Record what is wrong with the page now on screen (nothing, when all is well)."""
        found: list[str] = self.page.evaluate(DOM_CHECK)
        if response is not None:
            policy = response.headers.get("content-security-policy")
            if policy != CONTENT_SECURITY_POLICY:
                found.append(f"Content-Security-Policy header is {policy!r}")
        found += self.log.dialogs + self.log.page_errors
        self.log.dialogs.clear()
        self.log.page_errors.clear()
        if found:
            self.problems[label] = found

    def visit(self, path: str, *, idle: bool = False) -> Page:
        """Open ``path`` and check it once loaded, or once the network is idle with ``idle``
        (pages whose script fetches more; waiting for idle costs half a second)."""
        response = self.page.goto(path)
        if idle:
            self.page.wait_for_load_state("networkidle")
        self.check(path, response)
        return self.page


def _visit_labeling(
    visits: Visits, db: Database, project: str, email: str, *, every: bool
) -> list[tuple[str, str]]:
    """Open the labeling page on the person's hostile items (other items are skipped
    through the service, so the page's own ``next`` call returns a hostile one): on each of
    them with ``every``, else on the first only. Returns each item's first payload string
    and the text the page showed of the task."""
    person = user_service.user_by_email(db, email).id
    shown = []
    while (task := assignment.next_task_for(db, project, person)) is not None:
        if _is_hostile(task.payload):
            page = visits.visit(f"/projects/{quote(project)}/label", idle=True)
            task_box = page.locator("[data-testid=task]:visible, [data-testid=all-done]:visible")
            try:
                task_box.first.wait_for(timeout=5000)
                first = next(v for v in task.payload.values() if isinstance(v, str))
                shown.append((first, page.locator("[data-testid=task]").inner_text()))
            except Exception as exc:  # the labeling page never showed its task
                visits.problems[f"{page.url} item {task.item_id}"] = [f"no task shown: {exc}"]
            guidelines = page.locator("[data-testid=guidelines]")
            if not guidelines.evaluate("details => details.open"):
                guidelines.locator("summary").click()
            for link in guidelines.locator("a").all():
                link.click()
            visits.check(f"/projects/{project}/label item {task.item_id} after clicks", None)
            if not every:
                break
        assignment.skip_task(db, task.assignment_id, person)
    return shown


def _visit_everything(
    visits: Visits, site: HostileSite, email: str, *, every_task: bool, shoot: Screenshot
) -> dict[str, list[tuple[str, str]]]:
    """Open every page there is for the person; returns what each labeling page showed."""
    visits.visit("/")
    visits.visit("/settings")
    visits.visit("/people")
    visits.visit("/jobs")
    visits.visit("/prompts")
    visits.visit(f"/prompts/{PROMPT}")
    visits.visit(f"/prompts/{PROMPT}?version=1&a=1&b=2")
    visits.visit(f"/projects/{site.adjudication}/adjudication")
    visits.visit(f"/projects/{site.qualification}/quality")
    for path in ("escalations", "escalations?status=resolved", "edge-cases", "edge-cases?q=%3C"):
        visits.visit(f"/projects/{site.escalation}/{path}")
    visits.visit(f"/projects/{site.review}/review")
    visits.visit(f"/projects/{site.consistency}/consistency")
    visits.visit(f"/projects/{site.model}/model", idle=True)  # idle: its chart is drawn
    visits.visit(f"/projects/{ARENA}/leaderboard?by=category", idle=True)
    visits.visit(f"/projects/{ARENA}/judges")
    visits.visit(f"/projects/{ARENA}/judges/{JUDGE}/calibration?by=category", idle=True)
    visits.visit(f"/projects/{ARENA}/label", idle=True)
    visits.visit(f"/projects/{site.model}/evaluation", idle=True)
    visits.visit(f"/projects/{site.model}/evaluation/generate")  # hostile prompt descriptions
    visits.visit(f"/projects/{site.model}/evaluation/runs/1", idle=True)
    named = quote(HOSTILE.replace("@", "")[:200])
    visits.visit(
        f"/projects/{site.model}/evaluation/compare?a={named}@1&b={named}&slice=source", idle=True
    )
    visits.visit(f"/projects/{site.review}/agreement")
    # The spec editor's preview draws a hostile label and title (qualification's spec).
    visits.visit(f"/projects/{site.qualification}/settings")
    visits.visit("/projects/new")
    # Hostile labels in the confusion chart, votes and external ids of contested items, and
    # hostile filters echoed in the form and the error.
    visits.visit(f"/projects/{site.adjudication}/agreement")
    hostile = quote(HOSTILE[:60])
    visits.visit(f"/projects/{site.adjudication}/agreement?since={hostile}&field={hostile}")
    shown = {}
    for n, (project, item_ids) in enumerate(site.items.items()):
        visits.visit(f"/projects/{quote(project)}")
        for tab in (
            "people",
            "model",
            "jobs",
            "settings",
            "settings/members",
            "settings/data",
            "settings/media",
            "settings/privacy",
            "settings/duplicates",
            "settings/sample",
        ):
            visits.visit(f"/projects/{quote(project)}/{tab}")
        # The spec history: revision 2 and guidelines v2 are the hostile ones.
        for tab in ("settings/history", "settings/history?a=2&b=1", "settings/guidelines/2"):
            visits.visit(f"/projects/{quote(project)}/{tab}")
        page = visits.visit(f"/projects/{quote(project)}/items")
        search = page.locator("input[name=q]")
        if n == 0 and search.count():  # annotators are sent to labeling instead
            # Typing in the search box swaps the table in through htmx (once is enough: the
            # table is the same template the direct visit below renders).
            with page.expect_response(lambda r: "/items?" in r.url):
                search.fill("<script>")
            visits.check(f"/projects/{project} searched", None)
        visits.visit(f"/projects/{quote(project)}/items?q={quote('<script>')}")
        # Hostile metadata filters (the key becomes a filter's label and input name, the
        # value its value) and a hostile disagreement field (echoed in the refusal).
        meta = f"meta.{quote(BREAKOUT)}={quote(HOSTILE)}&disagreement={quote(HOSTILE[:60])}"
        visits.visit(f"/projects/{quote(project)}/items?{meta}")
        # Annotators are refused item pages: one refusal per project is enough.
        for item_id in item_ids if search.count() else item_ids[:1]:
            visits.visit(f"/projects/{quote(project)}/items/{item_id}")
        visits.visit(f"/projects/{quote(project)}/quality")
        if project in site.gold:
            visits.visit(f"/projects/{quote(project)}/items/{site.gold[project]}")
        shown[project] = _visit_labeling(visits, site.server.db, project, email, every=every_task)
        if project in ("boxes-demo", "pairwise-demo"):
            shoot(visits.page, f"xss-label-{project}-{email.split('@')[0]}")
    return shown


@pytest.mark.slow  # 15-25 s: about 50 page visits
def test_no_hostile_content_runs_for_a_manager(
    hostile: HostileSite, page_as: LoginFactory, page_log: LogLookup, screenshot: Screenshot
) -> None:
    """Every page a manager opens (lists, items, searches, labeling) shows hostile items inertly."""
    page = page_as("manager")
    visits = Visits(page, page_log)
    _visit_everything(visits, hostile, "lead@demo.labelworks", every_task=False, shoot=screenshot)
    visits.visit(f"/projects/rating-demo/items/{hostile.items['rating-demo'][0]}")
    screenshot(page, "xss-item-page")
    visits.visit("/projects/pairwise-demo")
    screenshot(page, "xss-project-page")
    # Running the operation over the Review project's hostile person (name, vendor, answers,
    # a fixed and a rejected annotation): people, their coaching page, vendors, capacity,
    # experiments, webhooks and the weekly report.
    review = quote(REVIEW)
    for url in (
        f"/projects/{review}/people",
        f"/projects/{review}/people/{quote('xss.reviewed@demo.labelworks')}",
        "/people/analytics",
        "/vendors",
        f"/vendors/{quote(HOSTILE[:200], safe='')}",
        f"/projects/{review}/capacity",
        "/capacity",
        f"/projects/{review}/experiments",
        f"/projects/{review}/settings/webhooks",
        f"/projects/{review}/report",
    ):
        visits.visit(url)
    screenshot(page, "xss-weekly-report")
    # Uploads named with markup: the counts, then a refusal, each naming the file.
    page = visits.visit("/projects/sentiment-demo/settings/data")
    shown = []
    for body, answer in ((b'{"text": "x"}\n', "import-done"), (b'{"text":\n', "import-error")):
        file = {"name": f"{IMG}.jsonl", "mimeType": "application/x-ndjson", "buffer": body}
        page.locator("[data-testid=import-file]").set_input_files(file)
        shown.append(page.locator(f"[data-testid={answer}]").inner_text())
        visits.check(f"upload {answer}", None)
    screenshot(page, "xss-upload")
    # A hostile spec typed into the New project editor: its preview, then its problems
    # (each with its line as typed).
    page = visits.visit("/projects/new")
    editor = page.locator("[data-testid=spec-editor]")
    editor.fill(json.dumps(HOSTILE_SPEC))
    page.locator("[data-testid=spec-valid]").wait_for()
    page.locator("[data-testid=preview] [data-testid=field-verdict]").wait_for()
    visits.check("new project preview", None)
    editor.fill(json.dumps(HOSTILE_SPEC).replace('"choice"', f'"{IMG}"'))
    page.locator("[data-testid=spec-problems]").wait_for()
    visits.check("new project problems", None)
    screenshot(page, "xss-spec-editor")
    assert visits.problems == {}
    assert [f"{IMG}.jsonl" in text for text in shown] == [True, True]


@pytest.mark.slow  # 20-35 s: a labeling page per hostile item, each waited on to go idle
def test_no_hostile_content_runs_for_an_annotator(
    hostile: HostileSite, page_as: LoginFactory, page_log: LogLookup, screenshot: Screenshot
) -> None:
    """Every page an annotator opens is inert, and the labeling page shows each hostile
    item's text and the hostile field title literally."""
    page = page_as("annotator")
    visits = Visits(page, page_log)
    shown = _visit_everything(
        visits, hostile, "ada@demo.labelworks", every_task=True, shoot=screenshot
    )
    # Each text item's own value, and the field title, each on a line of its own.
    literal = {
        project: len(shown[project]) == 2
        and all(
            value in text.splitlines() and HOSTILE in text.splitlines()
            for value, text in shown[project]
        )
        for project in TEXT_KEYS
    }
    seen = {project: len(texts) for project, texts in shown.items()}
    expected = {project: len(ids) for project, ids in hostile.items.items()}
    assert (visits.problems, literal, seen) == ({}, dict.fromkeys(TEXT_KEYS, True), expected)


def test_hostile_text_is_shown_as_text(
    hostile: HostileSite, page_as: LoginFactory, screenshot: Screenshot
) -> None:
    """Where item and spec text is shown, the hostile strings appear literally, unrendered."""
    page = page_as("manager")
    seen: dict[str, bool] = {}
    page.goto("/")
    seen["project list description"] = (
        HOSTILE in page.locator("[data-testid=projects]").inner_text()
    )
    page.goto("/projects/sentiment-demo")
    seen["project description"] = HOSTILE in page.locator(".project-name").inner_text()
    page.goto("/projects/sentiment-demo/settings")
    seen["guideline changelog"] = HOSTILE in page.locator("main").inner_text()
    typed = yaml.safe_load(page.locator("[data-testid=spec-editor]").input_value())
    seen["spec editor description"] = typed["description"] == HOSTILE
    titles = page.locator("[data-testid=preview] .lw-field-title").all_inner_texts()
    seen["preview field title"] = titles[:1] == [HOSTILE]
    page.goto("/projects/sentiment-demo/settings/history?a=1&b=2")
    seen["spec history diff"] = SCRIPT in page.locator("[data-testid=diff]").inner_text()
    page.goto("/projects/sentiment-demo/settings/guidelines/2")
    seen["guideline version changelog"] = (
        page.locator("[data-testid=changelog]").inner_text() == HOSTILE
    )
    page.goto(f"/projects/{hostile.qualification}/settings")
    labels = page.locator("[data-testid=preview] button.lw-label").all_inner_texts()
    seen["preview hostile label"] = any(HOSTILE in label for label in labels)
    page.goto("/projects/sentiment-demo/settings/members")
    member = page.locator("[data-testid=member]", has_text="hostile.person")
    seen["member's name and team"] = member.inner_text().count(HOSTILE[:200]) == 2
    page.goto(f"/projects/sentiment-demo/items?q={quote('<script>')}")
    table = page.locator("[data-testid=items-table]").inner_text()
    seen["items table external id"] = f"{HOSTILE} #1" in table
    seen["items table payload"] = SCRIPT in table and TEMPLATE in table
    page.goto(f"/projects/sentiment-demo/items/{hostile.items['sentiment-demo'][0]}")
    seen["item page external id"] = f"{HOSTILE} #1" in page.locator(".item-title").inner_text()
    screenshot(page, "xss-items-table")
    page.goto("/projects/sentiment-demo/quality")
    paused = page.locator("[data-testid=annotator]", has_text="hostile.person")
    seen["paused person's name"] = HOSTILE[:200] in paused.inner_text()
    seen["pause reason"] = paused.locator("[data-testid=pause-reason]").inner_text() == (
        f"paused by a manager: {HOSTILE}"
    )
    page.goto("/projects/rating-demo/quality")
    gold_table = page.locator("[data-testid=gold-items]").inner_text()
    seen["gold answer and explanation"] = gold_table.count(HOSTILE) == 2
    screenshot(page, "xss-quality-page")
    page.goto(f"/projects/{hostile.qualification}/quality")
    blocked = page.locator("[data-testid=qualification-member]", has_text="xss.candidate")
    seen["blocked candidate's name and vendor"] = (
        blocked.locator("td.who").inner_text().count(HOSTILE[:200]) == 2
    )
    seen["retry form for the candidate"] = (
        blocked.locator("input[name=email]").get_attribute("value")
        == "xss.candidate@demo.labelworks"
    )
    screenshot(page, "xss-qualification-card")
    page.goto(f"/projects/{hostile.adjudication}/adjudication")
    case = page.locator("[data-testid=case]")
    case.locator("details.edit summary").click()
    seen["adjudication item text"] = case.locator(".content .text").inner_text() == HOSTILE
    seen["adjudication external id"] = f"{HOSTILE} #1" in case.locator("header").inner_text()
    votes = case.locator("[data-testid=votes] tbody").inner_text()
    seen["adjudication answers"] = votes.count(HOSTILE) >= 4  # proposal, A, B and the tally
    choices = case.locator("fieldset.field label.opt").all_inner_texts()
    seen["adjudication choices"] = [c.strip() for c in choices] == ["fine", HOSTILE]
    decided = page.locator("[data-testid=decided] tbody tr").inner_text()
    seen["adjudication decided note and label"] = decided.count(HOSTILE) == 3  # id, label, note
    screenshot(page, "xss-adjudication-page")
    page.goto(f"/projects/{hostile.escalation}/escalations")
    flag = page.locator("[data-testid=escalation]")
    seen["flag comment"] = flag.locator("[data-testid=comment]").inner_text() == HOSTILE
    seen["flagger's name and vendor"] = (
        flag.locator("[data-testid=flagged-by]").inner_text().count(HOSTILE[:200]) == 2
    )
    seen["flag item text"] = flag.locator(".content .text").inner_text() == HOSTILE
    labels = flag.locator("form.resolve label.pick").all_inner_texts()
    seen["resolve label buttons"] = [t.strip() for t in labels] == ["fine", HOSTILE, "none"]
    screenshot(page, "xss-escalations-page")
    page.goto(f"/projects/{hostile.escalation}/edge-cases")
    case = page.locator("[data-testid=edge-case]")
    seen["library comment and note"] = [
        case.locator(f"[data-testid={t}]").inner_text() for t in ("comment", "note")
    ] == [HOSTILE, HOSTILE]
    seen["library section"] = case.locator("[data-testid=section]").inner_text() == (
        f"§ {HOSTILE[:200]}"
    )
    seen["library answer"] = case.locator("dl.answer").inner_text().count(HOSTILE) == 2
    screenshot(page, "xss-edge-cases")
    page.goto(f"/projects/{hostile.review}/review")
    card = page.locator("[data-testid=review]")
    seen["review item text"] = card.locator(".content .text").inner_text() == HOSTILE
    seen["review external id"] = f"{HOSTILE} #3" in card.locator("header").inner_text()
    seen["review vendor"] = HOSTILE[:200] in card.locator("header .chip").inner_text()
    seen["review answer"] = card.locator("dl.answer").inner_text().count(HOSTILE) == 2
    reasons = card.locator("[data-testid=reason] option").all_inner_texts()
    seen["review reasons"] = reasons == ["Choose a reason…", "wrong label", HOSTILE]
    outcome = page.locator("[data-testid=outcome]").inner_text()
    seen["review outcomes vendor"] = HOSTILE[:200] in outcome
    screenshot(page, "xss-review-page")
    page.goto(f"/projects/rating-demo/items/{hostile.gold['rating-demo']}")
    card = page.locator("[data-testid=gold-card]")
    seen["gold card explanation"] = card.locator("[data-testid=gold-explanation]").inner_text() == (
        HOSTILE
    )
    seen["gold card answer"] = HOSTILE in card.locator("dl.answer").inner_text()
    page.goto(f"/projects/{hostile.model}/model")
    counts = page.locator("[data-testid=label-count] td.label").all_inner_texts()
    seen["model label counts"] = sorted(counts) == sorted(["fine", HOSTILE])
    seen["model title and text key"] = page.locator("[data-testid=model-title]").inner_text() == (
        f"suggests verdict ({HOSTILE}) from the text in {HOSTILE}"
    )
    seen["model training error"] = page.locator("[data-testid=job-error]").inner_text() == HOSTILE
    screenshot(page, "xss-model-page")
    page.goto(f"/projects/{ARENA}/judges/{JUDGE}/calibration?by=category")
    row = page.locator("[data-testid=disagreement]").first
    cells = row.locator("td").all_inner_texts()
    seen["disagreement external id"] = cells[0].startswith(f"{HOSTILE} ")
    seen["disagreement category"] = cells[1].startswith(f"{HOSTILE} ")
    seen["disagreement models"] = all(
        c.startswith(HOSTILE.replace("@", "")[:150]) for c in cells[2:4]
    )
    seen["judge model"] = (
        HOSTILE[:200] in page.locator("[data-testid=calibration-title]").inner_text()
    )
    screenshot(page, "xss-judge-calibration")
    page.goto(f"/projects/{ARENA}/judges")
    seen["judge card model"] = (
        page.locator("[data-testid=judge-model]").inner_text() == HOSTILE[:200]
    )
    assert seen == dict.fromkeys(seen, True)


def test_the_checks_catch_an_injection(
    live_server: LiveServer, new_page: PageFactory, page_log: LogLookup
) -> None:
    """The page checks report markup injected into the DOM even though CSP stops it running."""
    visits = Visits(new_page(), page_log)
    visits.visit("/login")
    visits.page.evaluate(
        "html => document.body.insertAdjacentHTML('beforeend', html)", IMG + SCRIPT
    )
    visits.page.wait_for_function("() => (window.__cspViolations || []).length > 0")
    visits.check("injected", None)
    assert visits.problems == {
        "injected": [
            "CSP violation: script-src-attr inline",
            "IMG has onerror",
            "foreign script: <script>window.__xss=1</script>",
        ]
    }


def test_item_page_payload_shows_the_characters_imported(
    hostile: HostileSite, page_as: LoginFactory
) -> None:
    """The item page's payload block shows hostile strings as imported, character for character."""
    page = page_as("manager")
    page.goto(f"/projects/sentiment-demo/items/{hostile.items['sentiment-demo'][0]}")
    page.locator("details.raw summary").click()
    shown = page.locator("[data-testid=payload]").inner_text()
    assert shown == json.dumps({"product": HOSTILE, "text": HOSTILE}, indent=2, sort_keys=True)
