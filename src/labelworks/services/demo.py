"""The demo: a text-classification project with generated reviews and demo people."""

from __future__ import annotations

import io
import json
import random
from dataclasses import dataclass

from labelworks.domain.spec import spec_from_dict
from labelworks.services import ingestion
from labelworks.services import projects as project_service
from labelworks.services import users as user_service
from labelworks.storage import projects as project_store
from labelworks.storage.engine import Database

DEMO_PROJECT = "sentiment-demo"
DEMO_ANNOTATORS = ("ada@demo.labelworks", "grace@demo.labelworks", "alan@demo.labelworks")
DEMO_MANAGER = "lead@demo.labelworks"

_GUIDELINES = """# Sentiment of product reviews

Pick the overall sentiment the reviewer expresses about the product.

- **positive**: they would recommend it, or praise outweighs complaints.
- **negative**: they would not recommend it, or complaints outweigh praise.
- **neutral**: factual, mixed in equal measure, or off-topic.

When a review is sarcastic, label what the reviewer means, not what they say.
"""

_PRODUCTS = [
    "headphones",
    "blender",
    "backpack",
    "desk lamp",
    "kettle",
    "keyboard",
    "running shoes",
    "phone case",
    "coffee grinder",
    "tent",
    "monitor",
    "vacuum",
]
_POSITIVE = [
    "works perfectly",
    "exceeded my expectations",
    "is worth every penny",
    "feels solid and well made",
    "arrived early and works great",
    "is the best purchase I made this year",
]
_NEGATIVE = [
    "broke after two weeks",
    "is flimsy and overpriced",
    "stopped working on day one",
    "smells like burnt plastic",
    "was nothing like the photos",
    "made me regret not reading the reviews",
]
_NEUTRAL = [
    "does what it says",
    "arrived in a plain box",
    "is about average for the price",
    "comes in three colours",
    "has a two-year warranty",
    "is lighter than I expected",
]
_OPENERS = ["Honestly, the", "The", "Bought this", "My new", "After a month, the", "So far the"]
_CLOSERS = [
    "",
    " Would buy again.",
    " Returning it.",
    " Not sure yet.",
    " Five stars.",
    " One star.",
    " Shipping was fast.",
]


def demo_reviews(n: int, seed: int = 7) -> list[dict[str, object]]:
    """``n`` distinct generated product reviews with a hidden intended sentiment."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[dict[str, object]] = []
    pools = {"positive": _POSITIVE, "negative": _NEGATIVE, "neutral": _NEUTRAL}
    while len(out) < n:
        mood = rng.choice(list(pools))
        product = rng.choice(_PRODUCTS)
        opener = rng.choice(_OPENERS)
        text = f"{opener} {product} {rng.choice(pools[mood])}.{rng.choice(_CLOSERS)}"
        if text in seen:
            continue
        seen.add(text)
        out.append(
            {
                "external_id": f"review-{len(out) + 1:04d}",
                "payload": {"text": text, "product": product},
                "metadata": {"source": "demo generator", "intended": mood},
            }
        )
    return out


@dataclass(frozen=True, slots=True)
class DemoInfo:
    project: str
    created: bool
    items: int
    people: list[tuple[str, str, str | None]]  # (email, role, token)


def seed_demo(db: Database, *, n_items: int = 200) -> DemoInfo:
    """Create the demo project and people once; later calls leave existing data alone."""
    with db.read() as conn:
        exists = project_store.by_name(conn, DEMO_PROJECT) is not None
    if exists:
        return DemoInfo(DEMO_PROJECT, False, 0, [])
    spec = spec_from_dict(
        {
            "name": DEMO_PROJECT,
            "description": "Sentiment of generated product reviews (demo data)",
            "fields": [
                {
                    "name": "sentiment",
                    "kind": "choice",
                    "labels": ["positive", "negative", "neutral"],
                    "source": "text",
                }
            ],
            "overlap": 3,
            "lease_minutes": 30,
            "guidelines_changelog": "first version",
        },
        source="demo",
    )
    project_service.apply_spec(db, spec, guidelines=_GUIDELINES)
    body = "\n".join(json.dumps(r) for r in demo_reviews(n_items)).encode()
    summary = ingestion.import_items(
        db, DEMO_PROJECT, io.BytesIO(body), format="jsonl", source="demo-reviews.jsonl"
    )
    people: list[tuple[str, str, str | None]] = []
    manager = user_service.add_user(
        db,
        DEMO_MANAGER,
        role="manager",
        name="Demo Lead",
        projects=[DEMO_PROJECT],
        with_token=True,
    )
    people.append((manager.user.email, "manager", manager.token))
    for email in DEMO_ANNOTATORS:
        added = user_service.add_user(
            db,
            email,
            role="annotator",
            name=email.split("@")[0].title(),
            projects=[DEMO_PROJECT],
            with_token=True,
        )
        people.append((added.user.email, "annotator", added.token))
    return DemoInfo(DEMO_PROJECT, True, summary.inserted, people)
