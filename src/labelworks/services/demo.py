"""The demo: one project per labeling widget kind with generated data, and demo people.

``seed_demo`` creates what is missing and leaves what exists alone, so it can run on every
``labelworks demo`` start. Media files go under ``<media_dir>/<project>/`` and payloads
name them by their path relative to that folder (``images/0001.png``).
"""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from labelworks.domain.errors import InvalidInput
from labelworks.domain.prompts import parse_prompt
from labelworks.domain.spec import spec_from_dict
from labelworks.pipelines import samples, samples_answers, samples_predictions, samples_prompts
from labelworks.services import demo_media, evaluation, ingestion
from labelworks.services import projects as project_service
from labelworks.services import prompts as prompt_service
from labelworks.services import users as user_service
from labelworks.services.demo_media import Builder, DemoContent, Unavailable, project_spec
from labelworks.services.passwords import hash_password
from labelworks.storage import items as item_store
from labelworks.storage import projects as project_store
from labelworks.storage import users as user_store
from labelworks.storage.engine import Database

DEMO_PROJECT = "sentiment-demo"
DEMO_PASSWORD = "demo-password"
DEMO_ANNOTATORS = ("ada@demo.labelworks", "grace@demo.labelworks", "alan@demo.labelworks")
DEMO_MANAGER = "lead@demo.labelworks"
# (email, role, name, vendor, team): one person per role, annotators from two vendors and
# the in-house team, so vendor and team views have something to show.
DEMO_PEOPLE = (
    ("admin@demo.labelworks", "admin", "Demo Admin", None, None),
    (DEMO_MANAGER, "manager", "Demo Lead", None, None),
    ("reviewer@demo.labelworks", "reviewer", "Demo Reviewer", None, None),
    ("ada@demo.labelworks", "annotator", "Ada", "Acme Labeling", None),
    ("grace@demo.labelworks", "annotator", "Grace", "Borealis Data", None),
    ("alan@demo.labelworks", "annotator", "Alan", None, "in-house"),
)
# Media projects get fewer items than text ones: generating files is what keeps
# ``labelworks demo`` from starting instantly.
MEDIA_ITEMS = {"boxes-demo": 40, "audio-demo": 12, "sensor-demo": 6, "video-demo": 3}


@dataclass(frozen=True, slots=True)
class DemoProject:
    """A demo project: its name, the widget kind it shows, its items, whether it is new."""

    name: str
    kind: str
    items: int
    created: bool


@dataclass(frozen=True, slots=True)
class DemoInfo:
    """What ``seed_demo`` did.

    ``created`` is true when any project was created; ``items`` counts the items created
    by this call; ``people`` lists (email, role, token), with a token only for people
    created by this call (tokens are stored hashed); ``skipped`` lists (project, reason).
    """

    project: str
    created: bool
    items: int
    people: list[tuple[str, str, str | None]]
    projects: list[DemoProject] = field(default_factory=list)
    password: str = DEMO_PASSWORD
    skipped: list[tuple[str, str]] = field(default_factory=list)


_SENTIMENT_GUIDELINES = """# Sentiment of product reviews

Pick the overall sentiment the reviewer expresses about the product.

- **positive**: they would recommend it, or praise outweighs complaints.
- **negative**: they would not recommend it, or complaints outweigh praise.
- **neutral**: factual, mixed in equal measure, or off-topic.

When a review is sarcastic, label what the reviewer means, not what they say.
"""


def _sentiment(n: int) -> DemoContent:
    spec = project_spec(
        DEMO_PROJECT,
        "Sentiment of generated product reviews (demo data)",
        [
            {
                "name": "sentiment",
                "kind": "choice",
                "labels": ["positive", "negative", "neutral"],
                "source": "text",
            }
        ],
        3,
    )
    # Two versions of a review classifier predicted every review, and the last ones are
    # gold: the Evaluation tab scores and compares them from the first start.
    records = samples_predictions.with_predictions(samples.reviews(n))
    return DemoContent(spec, _SENTIMENT_GUIDELINES, records)


def _topics(n: int) -> DemoContent:
    spec = project_spec(
        "topics-demo",
        "Topics of generated product reviews (demo data)",
        [{"name": "topics", "kind": "multi_choice", "labels": list(samples.TOPICS)}],
        2,
    )
    guidelines = (
        "# Review topics\n\nSelect every topic the review talks about, even in passing. "
        "Select none when it talks about none of them.\n\nSuggestions come from a keyword "
        "matcher: it misses paraphrases, so read the whole review.\n"
    )
    return DemoContent(spec, guidelines, samples.topic_reviews(n))


def _ner(n: int) -> DemoContent:
    spec = project_spec(
        "ner-demo",
        "Named entities in generated news sentences (demo data)",
        [{"name": "entities", "kind": "spans", "labels": list(samples.NER_LABELS)}],
        2,
    )
    guidelines = (
        "# Named entities\n\n- **PER**: a person's full name.\n- **ORG**: a company or "
        "organisation, with its suffix (Inc, GmbH).\n- **LOC**: a city or place.\n- "
        "**DATE**: a calendar date (day, month and year together).\n\nMark the whole name "
        "and nothing around it (no punctuation). Suggestions from `regex-ner` find only "
        "dates and some organisations.\n"
    )
    return DemoContent(spec, guidelines, samples.ner_sentences(n))


def _pairwise(n: int) -> DemoContent:
    spec = project_spec(
        "pairwise-demo",
        "Which assistant response is better (demo data)",
        [
            {
                "name": "preference",
                "kind": "pairwise",
                "allow_tie": True,
                "strength": {
                    "min": 1,
                    "max": 3,
                    "anchors": {1: "slightly", 2: "clearly", 3: "much"},
                },
            }
        ],
        3,
    )
    guidelines = (
        "# Response preference\n\nPick the response you would rather receive. Correctness "
        "comes first: a short wrong answer loses to a long right one. Between two correct "
        "answers prefer the one that answers directly. Choose **tie** only when neither is "
        "better.\n\nStrength: 1 slightly, 2 clearly, 3 much better.\n"
    )
    return DemoContent(spec, guidelines, samples_answers.response_pairs(n))


def _rating(n: int) -> DemoContent:
    anchors = {
        1: "wrong, or cut off before answering",
        2: "mostly wrong or badly incomplete",
        3: "partly correct, important gaps",
        4: "correct, with filler or minor issues",
        5: "correct, complete and to the point",
    }
    spec = project_spec(
        "rating-demo",
        "Rubric rating of generated answers (demo data)",
        [
            {"name": "quality", "kind": "rating", "min": 1, "max": 5, "anchors": anchors},
            {
                "name": "rationale",
                "kind": "text",
                "title": "Why this rating?",
                "max_length": 500,
                "required": False,
            },
        ],
        2,
    )
    guidelines = (
        "# Answer quality\n\nRate the answer to the question on the rubric; check facts and "
        "arithmetic. In the rationale, name the error you found, if any.\n"
    )
    return DemoContent(spec, guidelines, samples_answers.rated_answers(n))


# Display order: text widgets, media widgets, then comparisons and ratings.
DEMO_BUILDERS: tuple[tuple[str, str, Builder], ...] = (
    (DEMO_PROJECT, "choice", _sentiment),
    ("topics-demo", "multi_choice", _topics),
    ("ner-demo", "spans", _ner),
    *demo_media.MEDIA_BUILDERS,
    ("pairwise-demo", "pairwise", _pairwise),
    ("rating-demo", "rating + text", _rating),
)


def _item_count(db: Database, name: str) -> int | None:
    """The project's item count, or None when it does not exist."""
    with db.read() as conn:
        project = project_store.by_name(conn, name)
        return None if project is None else item_store.count_items(conn, project.id)


def _seed_project(
    db: Database, media_dir: Path, name: str, kind: str, build: Builder, n: int
) -> DemoProject | Unavailable:
    existing = _item_count(db, name)
    if existing:
        return DemoProject(name, kind, existing, False)
    content = build(n)
    if isinstance(content, Unavailable):
        return content
    project_service.apply_spec(
        db, spec_from_dict(content.spec, source="demo"), guidelines=content.guidelines
    )
    for relative, data in content.files.items():
        target = media_dir / name / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    body = "\n".join(json.dumps(r) for r in content.records).encode()
    summary = ingestion.import_items(
        db, name, io.BytesIO(body), format="jsonl", source=f"{name}.jsonl"
    )
    return DemoProject(name, kind, summary.inserted, True)


def _missing_people(db: Database) -> set[str]:
    with db.read() as conn:
        return {email for email, *_ in DEMO_PEOPLE if user_store.by_email(conn, email) is None}


def _seed_people(
    db: Database, project_names: list[str], missing: set[str], password_hash: str | None
) -> list[tuple[str, str, str | None]]:
    people: list[tuple[str, str, str | None]] = []
    for email, role, name, vendor, team in DEMO_PEOPLE:
        added = user_service.add_user(
            db,
            email,
            role=role,
            name=name,
            projects=project_names,
            vendor=vendor,
            team=team,
            with_token=email in missing,
            password_hash=password_hash,
        )
        people.append((email, role, added.token))
    return people


def seed_demo(db: Database, *, media_dir: Path, n_items: int = 200) -> DemoInfo:
    """Create the demo projects, their media files and the demo people, once.

    Text projects get ``n_items`` items each, media projects fewer (``MEDIA_ITEMS``).
    Projects that already have items, and people who already exist, are left alone;
    every demo person is made a member of every demo project.
    """
    missing = _missing_people(db)
    with ThreadPoolExecutor(max_workers=1) as pool:
        # Argon2 is slow on purpose and releases the GIL: hash while the data is generated.
        # One hash serves everyone, since the demo password is public anyway.
        hashing = pool.submit(hash_password, DEMO_PASSWORD) if missing else None
        projects: list[DemoProject] = []
        skipped: list[tuple[str, str]] = []
        for name, kind, build in DEMO_BUILDERS:
            n = min(n_items, MEDIA_ITEMS.get(name, n_items))
            seeded = _seed_project(db, media_dir, name, kind, build, n)
            if isinstance(seeded, Unavailable):
                skipped.append((name, seeded.reason))
            else:
                projects.append(seeded)
        password_hash = hashing.result() if hashing is not None else None
    people = _seed_people(db, [p.name for p in projects], missing, password_hash)
    for name, text in samples_prompts.PROMPTS.items():
        # Unchanged content makes no new version: seeding again leaves the registry alone.
        prompt_service.push_prompt(db, name, parse_prompt(text, source=f"{name}.yaml"))
    if any(p.name == DEMO_PROJECT and p.created for p in projects):
        # The Evaluation tab opens on a run of each version against the gold answers.
        for version in ("1", "2"):
            model = f"{samples_predictions.MODEL}@{version}"
            with suppress(InvalidInput):  # a demo of a handful of items may score nothing
                evaluation.run_evaluation(db, DEMO_PROJECT, model, against="gold")
    return DemoInfo(
        project=DEMO_PROJECT,
        created=any(p.created for p in projects),
        items=sum(p.items for p in projects if p.created),
        people=people,
        projects=projects,
        skipped=skipped,
    )
