"""Generated prompts with LLM-style answers of known quality, for pairwise and rating demos.

Each prompt comes with a correct answer and a subtly wrong one; either is written in a
concise or a rambling style. Pairs and ratings are built from these, and the generator's
intended judgement goes into ``metadata["intended"]``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from labelworks.pipelines.samples import Record

STYLES = ("concise", "rambling")
_PREAMBLES = [
    "Great question! There are a lot of ways to think about this, and it is worth taking a "
    "moment to consider the context before jumping to an answer.",
    "Sure! Before answering, it helps to remember that details like this often depend on "
    "how you look at them, so let me walk through it step by step.",
    "That's something many people wonder about. Let me give you some background first, "
    "because the short answer on its own can be a bit misleading.",
]
_CODAS = [
    "I hope this helps! Let me know if you would like me to go into more detail.",
    "In summary, that is the answer, although as always you may want to double-check.",
    "Feel free to ask follow-up questions if anything here is unclear.",
]


@dataclass(frozen=True, slots=True)
class Question:
    """A prompt with one correct and one subtly wrong short answer."""

    prompt: str
    right: str
    wrong: str
    topic: str


_CAPITALS = [
    ("Australia", "Canberra", "Sydney"),
    ("Canada", "Ottawa", "Toronto"),
    ("Turkey", "Ankara", "Istanbul"),
    ("Brazil", "Brasília", "Rio de Janeiro"),
    ("Switzerland", "Bern", "Zürich"),
    ("Nigeria", "Abuja", "Lagos"),
    ("New Zealand", "Wellington", "Auckland"),
    ("Morocco", "Rabat", "Casablanca"),
    ("Vietnam", "Hanoi", "Ho Chi Minh City"),
    ("South Africa", "Pretoria (executive), Cape Town and Bloemfontein", "Johannesburg"),
]
_FACTS = [
    (
        "How do I reverse a list `xs` in place in Python?",
        "Call `xs.reverse()`; it reverses the list in place and returns None.",
        "Call `xs.reversed()`; it reverses the list in place and returns it.",
        "code",
    ),
    (
        "What does HTTP status 404 mean?",
        "404 Not Found: the server has no resource at that URL.",
        "404 Forbidden: the server refuses to show you that resource.",
        "web",
    ),
    (
        "At what temperature does water boil at sea level?",
        "100 °C (212 °F) at standard atmospheric pressure.",
        "90 °C (194 °F) at standard atmospheric pressure.",
        "science",
    ),
    (
        "Who wrote 'Pride and Prejudice'?",
        "Jane Austen, first published in 1813.",
        "Charlotte Brontë, first published in 1813.",
        "literature",
    ),
    (
        "How many bits are in a byte?",
        "Eight bits on every modern system.",
        "Sixteen bits on every modern system.",
        "computing",
    ),
    (
        "What is the chemical symbol for gold?",
        "Au, from the Latin 'aurum'.",
        "Ag, from the Latin 'argentum'.",
        "science",
    ),
    (
        "How do I undo the last git commit but keep the changes?",
        "Run `git reset --soft HEAD~1`; the changes stay staged.",
        "Run `git reset --hard HEAD~1`; the changes stay staged.",
        "code",
    ),
    (
        "What is the largest planet in the Solar System?",
        "Jupiter, more than twice as massive as all other planets combined.",
        "Saturn, more than twice as massive as all other planets combined.",
        "science",
    ),
]


def questions(rng: random.Random) -> list[Question]:
    """The question bank: fixed facts plus parametrised conversions and percentages."""
    bank = [Question(p, r, w, t) for p, r, w, t in _FACTS]
    bank += [
        Question(f"What is the capital of {country}?", f"{right}.", f"{wrong}.", "geography")
        for country, right, wrong in _CAPITALS
    ]
    for km in rng.sample(range(3, 200), 12):
        miles = km * 0.621371
        bank.append(
            Question(
                f"How many miles is {km} km?",
                f"About {miles:.1f} miles (1 km ≈ 0.621 miles).",
                # A classic slip: dividing instead of multiplying.
                f"About {km / 0.621371:.1f} miles (1 km ≈ 0.621 miles).",
                "units",
            )
        )
    for celsius in rng.sample(range(-20, 45), 10):
        bank.append(
            Question(
                f"What is {celsius} °C in Fahrenheit?",
                f"{celsius * 9 / 5 + 32:g} °F (multiply by 9/5, then add 32).",
                f"{(celsius + 32) * 9 / 5:g} °F (add 32, then multiply by 9/5).",
                "units",
            )
        )
    for _ in range(12):
        pct, base = rng.choice((5, 12, 15, 18, 20, 25, 35)), rng.randrange(40, 900, 10)
        bank.append(
            Question(
                f"What is {pct}% of {base}?",
                f"{pct * base / 100:g}.",
                f"{pct * base / 100 + rng.choice((-1, 1)) * base / 100:g}.",
                "arithmetic",
            )
        )
    return bank


def render(answer: str, style: str, rng: random.Random) -> str:
    """An answer as an assistant in ``style`` would phrase it."""
    if style == "concise":
        return answer
    return f"{rng.choice(_PREAMBLES)}\n\n{answer}\n\n{rng.choice(_CODAS)}"


# (correct side, its style, other side's correctness, other style, intended choice, strength)
_PAIRINGS = [
    (True, "concise", True, "rambling", "a", 1),
    (True, "concise", False, "concise", "a", 3),
    (True, "rambling", False, "concise", "a", 2),
    (True, "concise", False, "rambling", "a", 3),
    (True, "concise", True, "concise", "tie", None),
]


def response_pairs(n: int, seed: int = 17) -> list[Record]:
    """``n`` distinct prompt/response pairs with the intended preference in metadata.

    The better response is put on side a or b at random; ties pair two correct answers.
    """
    rng = random.Random(seed)
    bank = questions(rng)
    seen: set[tuple[str, str, str]] = set()
    out: list[Record] = []
    while len(out) < n:
        q = rng.choice(bank)
        first_ok, first_style, second_ok, second_style, choice, strength = rng.choice(_PAIRINGS)
        first = render(q.right if first_ok else q.wrong, first_style, rng)
        second = render(q.right if second_ok else q.wrong, second_style, rng)
        if first == second:  # two identical concise answers teach nothing
            second = render(q.right, "rambling", rng)
        swap = rng.random() < 0.5
        a, b = (second, first) if swap else (first, second)
        if swap and choice == "a":
            choice = "b"
        if (q.prompt, a, b) in seen:
            continue
        seen.add((q.prompt, a, b))
        intended: dict[str, object] = {"choice": choice}
        if strength is not None:
            intended["strength"] = strength
        out.append(
            {
                "external_id": f"pair-{len(out) + 1:04d}",
                "payload": {"prompt": q.prompt, "a": a, "b": b, "topic": q.topic},
                "metadata": {"source": "demo generator", "intended": intended},
            }
        )
    return out


def rated_answers(n: int, seed: int = 19) -> list[Record]:
    """``n`` distinct question/answer items with the intended 1-5 rubric score in metadata."""
    rng = random.Random(seed)
    bank = questions(rng)
    seen: set[tuple[str, str]] = set()
    out: list[Record] = []
    while len(out) < n:
        q = rng.choice(bank)
        correct = rng.random() < 0.6
        style = rng.choice(STYLES)
        answer = render(q.right if correct else q.wrong, style, rng)
        if rng.random() < 0.15:
            # Truncated answers are a common generation failure worth rating.
            answer = answer[: max(8, len(answer) // 3)].rstrip() + "…"
            score = 2 if correct else 1
        else:
            score = (5 if style == "concise" else 4) if correct else 2
        if (q.prompt, answer) in seen:
            continue
        seen.add((q.prompt, answer))
        out.append(
            {
                "external_id": f"answer-{len(out) + 1:04d}",
                "payload": {"question": q.prompt, "answer": answer, "topic": q.topic},
                "metadata": {"source": "demo generator", "intended": score},
            }
        )
    return out
