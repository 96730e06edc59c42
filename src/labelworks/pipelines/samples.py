"""Generated sample items for demos: product reviews, review topics and NER sentences.

Every generator is deterministic for its seed and returns import records in the structured
shape ``{"external_id", "payload", "metadata", "pre_annotations"?}`` that
``labelworks.pipelines.rows`` reads. ``metadata["intended"]`` holds the answer the generator
had in mind, so a demo can show agreement with a known truth. Pairwise and rating items live
in ``samples_answers``, images, audio, video and sensor series in ``samples_media``.
"""

from __future__ import annotations

import random
import re
from typing import Any

Record = dict[str, Any]

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


def reviews(n: int, seed: int = 7) -> list[Record]:
    """``n`` distinct product reviews; ``metadata["intended"]`` is the intended sentiment."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[Record] = []
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


# Each topic has clauses a reviewer might write about it; the first words of a clause are
# what the keyword model looks for, so it finds some topics and misses paraphrases.
TOPICS: dict[str, list[str]] = {
    "price": [
        "the price was fair for what you get",
        "it costs twice as much as the old model",
        "I got it on sale, which made it a bargain",
        "way too expensive for plastic",
    ],
    "quality": [
        "the build quality is excellent",
        "the stitching came apart after a week",
        "materials feel cheap",
        "quality is better than I hoped",
    ],
    "shipping": [
        "shipping took almost three weeks",
        "delivery was next day",
        "the courier left it in the rain",
        "it arrived two days early",
    ],
    "durability": [
        "still going strong after a year of daily use",
        "the hinge snapped within a month",
        "it survived a fall down the stairs",
        "the battery barely holds a charge now",
    ],
    "support": [
        "customer support replaced it without questions",
        "support never answered my emails",
        "the help line was friendly and quick",
        "I was on hold for an hour",
    ],
    "packaging": [
        "the box was crushed",
        "packaging was wasteful, with plastic everywhere",
        "it came in a neat recyclable box",
        "the packaging was excellent",
    ],
}
_TOPIC_KEYWORDS = {
    "price": ("price", "expensive", "bargain", "costs"),
    "quality": ("quality", "materials"),
    "shipping": ("shipping", "delivery", "courier"),
    "durability": ("snapped", "still going"),
    "support": ("support", "help line"),
    "packaging": ("packaging", "box"),
}
KEYWORD_MODEL = "keyword-topics"


def topic_reviews(n: int, seed: int = 11, pre_every: int = 3) -> list[Record]:
    """``n`` distinct reviews about one to three topics (``metadata["intended"]``).

    Every ``pre_every``-th review carries a pre-annotation from a keyword matcher, which
    is right about the topics it names and misses paraphrases.
    """
    rng = random.Random(seed)
    names = list(TOPICS)
    seen: set[str] = set()
    out: list[Record] = []
    while len(out) < n:
        chosen = sorted(rng.sample(names, rng.choice((1, 1, 2, 2, 3))), key=names.index)
        clauses = [rng.choice(TOPICS[t]) for t in chosen]
        product = rng.choice(_PRODUCTS)
        first = f"{rng.choice(['Bought the', 'About the', 'Re the', 'Our'])} {product}: "
        text = first + "; ".join(clauses) + "."
        if text in seen:
            continue
        seen.add(text)
        record: Record = {
            "external_id": f"topics-{len(out) + 1:04d}",
            "payload": {"text": text, "product": product},
            "metadata": {"source": "demo generator", "intended": chosen},
        }
        if pre_every and len(out) % pre_every == 0:
            lowered = text.lower()
            found = [t for t in names if any(k in lowered for k in _TOPIC_KEYWORDS[t])]
            record["pre_annotations"] = [
                {"model": KEYWORD_MODEL, "score": 0.7, "value": {"topics": found}}
            ]
        out.append(record)
    return out


PEOPLE = [
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "José Martínez",
    "Zoë Ødegaard",
    "Priya Raman",
    "Kwame Mensah",
    "Li Wei",
    "Fatima Al-Sayed",
    "Antonín Dvořák",
    "Mei Tanaka",
    "Oluwaseun Adeyemi",
]
ORGANISATIONS = [
    "Northwind Traders",
    "Globex Corp",
    "Initech Inc",
    "Umbrella Labs",
    "Acme Labeling",
    "Borealis Data",
    "Stark Industries",
    "Wayne Enterprises",
    "Cyberdyne Systems",
    "Müller & Söhne GmbH",
]
PLACES = [
    "Lisbon",
    "Nairobi",
    "Toronto",
    "Kraków",
    "Osaka",
    "São Paulo",
    "Reykjavík",
    "Melbourne",
    "Cape Town",
    "Ho Chi Minh City",
    "Zürich",
    "Austin",
]
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
# Slots in braces are entities; the generator records their offsets as it fills them.
_TEMPLATES = [
    "{PER} joined {ORG} in {LOC} on {DATE}.",
    "On {DATE}, {ORG} opened a new office in {LOC}.",
    "{PER} met {PER} at the {ORG} summit in {LOC}.",
    "{ORG} hired {PER} as head of research.",
    "The contract between {ORG} and {ORG} was signed on {DATE}.",
    "{PER} moved from {LOC} to {LOC} in the spring.",
    "According to {PER}, {ORG} will leave {LOC} by {DATE}.",
    "Shares of {ORG} rose after {PER} spoke in {LOC}.",
    "{PER} was born in {LOC} on {DATE}.",
    "A spokesperson for {ORG} declined to comment.",
    "Flights to {LOC} were cancelled on {DATE}.",
    "{PER} thanked the team in {LOC}.",
]
_SLOT = re.compile(r"\{(PER|ORG|LOC|DATE)\}")
NER_LABELS = ("PER", "ORG", "LOC", "DATE")
NER_MODEL = "regex-ner"
_MONTH_NAMES = "|".join(_MONTHS)
# The fake model: dates by month name, organisations by a corporate suffix. It never finds
# people or places, as a real regex baseline would not.
_REGEX_NER = (
    ("DATE", re.compile(rf"\b\d{{1,2}} (?:{_MONTH_NAMES}) \d{{4}}\b")),
    (
        "ORG",
        re.compile(r"\b(?:[A-Z][\w&]*\s)+?(?:Inc|Corp|Labs|GmbH|Systems|Industries)\b"),
    ),
)


def _entity(rng: random.Random, label: str) -> str:
    if label == "PER":
        return rng.choice(PEOPLE)
    if label == "ORG":
        return rng.choice(ORGANISATIONS)
    if label == "LOC":
        return rng.choice(PLACES)
    return f"{rng.randint(1, 28)} {rng.choice(_MONTHS)} {rng.randint(1990, 2025)}"


def regex_entities(text: str) -> list[dict[str, Any]]:
    """What the fake ``regex-ner`` model finds in ``text``: spans sorted by offset."""
    found = [
        {"start": m.start(), "end": m.end(), "label": label, "text": m.group(), "score": score}
        for (label, pattern), score in zip(_REGEX_NER, (0.95, 0.8), strict=True)
        for m in pattern.finditer(text)
    ]
    return sorted(found, key=lambda s: (s["start"], s["end"]))


def ner_sentences(n: int, seed: int = 13, pre_every: int = 2) -> list[Record]:
    """``n`` distinct sentences with PER/ORG/LOC/DATE entities at known code-point offsets.

    ``metadata["intended"]`` holds the true spans; every ``pre_every``-th sentence carries
    the ``regex-ner`` model's spans as a pre-annotation (only when it found something).
    """
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[Record] = []
    while len(out) < n:
        template = rng.choice(_TEMPLATES)
        parts: list[str] = []
        spans: list[dict[str, Any]] = []
        position = 0
        last = 0
        for match in _SLOT.finditer(template):
            literal = template[last : match.start()]
            value = _entity(rng, match.group(1))
            parts += [literal, value]
            position += len(literal)
            spans.append({"start": position, "end": position + len(value), "label": match.group(1)})
            position += len(value)
            last = match.end()
        parts.append(template[last:])
        text = "".join(parts)
        if text in seen:
            continue
        seen.add(text)
        record: Record = {
            "external_id": f"sentence-{len(out) + 1:04d}",
            "payload": {"text": text},
            "metadata": {"source": "demo generator", "intended": spans},
        }
        predicted = regex_entities(text)
        if pre_every and len(out) % pre_every == 0 and predicted:
            record["pre_annotations"] = [
                {"model": NER_MODEL, "score": 0.85, "value": {"entities": predicted}}
            ]
        out.append(record)
    return out
