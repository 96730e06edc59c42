"""Simulated active learning: deterministic for its seed, uncertainty labels the texts the
model is least sure about, and on a separable set reaches an accuracy with no more labels
than random order; intervals and the schedule are the documented ones."""

from __future__ import annotations

import random

import numpy as np
import pytest

from labelworks.pipelines.active_learning import (
    CurvePoint,
    Saving,
    least_sure,
    schedule,
    simulate,
)
from labelworks.pipelines.text_model import wilson

COLOURS = ("blue", "green", "red")


def _colours(n: int, seed: int = 4) -> tuple[list[str], list[str]]:
    """n texts of four filler words and one of twelve words of their colour."""
    rng = random.Random(seed)
    vocab = {c: [f"{c[:3]}{k}" for k in range(12)] for c in COLOURS}
    filler = [f"w{k}" for k in range(30)]
    texts, labels = [], []
    for _ in range(n):
        colour = rng.choice(COLOURS)
        words = [*rng.sample(filler, 4), rng.choice(vocab[colour])]
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(colour)
    return texts, labels


def _reviews() -> tuple[list[str], list[str], set[int]]:
    """300 reviews with one telling word, then 30 with a good and a bad one, labelled
    either way (the model cannot be sure of those); their indices."""
    rng = random.Random(2)
    good, bad = ["superb", "lovely", "great"], ["broken", "awful", "poor"]
    texts, labels = [], []
    for i in range(300):
        label = ("positive", "negative")[i % 2]
        texts.append(f"the box was {rng.choice(good if i % 2 == 0 else bad)} today")
        labels.append(label)
    for i in range(30):
        texts.append(f"the box was {rng.choice(good)} and {rng.choice(bad)}")
        labels.append(("positive", "negative")[i % 2])
    return texts, labels, set(range(300, 330))


def test_least_sure_orders_by_score_ties_in_order() -> None:
    """The positions of the lowest scores come first; equal scores keep their order."""
    scores = np.array([0.9, 0.4, 0.7, 0.4, 0.99, 0.5])
    assert least_sure(scores, 4).tolist() == [1, 3, 5, 2]


def test_schedule_grows_by_a_constant_factor() -> None:
    """From first to last, each count about the same factor above the one before."""
    assert schedule(20, 750) == (
        20, 25, 32, 41, 53, 67, 85, 109, 138, 176, 224, 285, 363, 463, 589, 750,
    )  # fmt: skip
    assert schedule(5, 5) == (5,)
    with pytest.raises(ValueError):
        schedule(10, 5)


def test_uncertainty_labels_the_least_sure_texts_next() -> None:
    """After a seed of 40, the next 10 texts uncertainty labels all have a good and a bad
    word, while random order labels the next texts of the shuffled pool."""
    texts, labels, mixed = _reviews()
    curve = simulate(texts, labels, multi=False, steps=(40, 50), runs=1)
    after_seed = curve.picked["uncertainty"][40:]
    assert [i in mixed for i in after_seed] == [True] * 10
    assert curve.picked["uncertainty"][:40] == curve.picked["random"][:40]
    assert sum(i in mixed for i in curve.picked["random"][40:]) < 5


def test_simulation_is_deterministic_for_its_seed() -> None:
    """The same seed gives the same curve and picks; another seed other splits."""
    texts, labels = _colours(200)
    first = simulate(texts, labels, multi=False, steps=(10, 30, 60), runs=2, seed=5)
    again = simulate(texts, labels, multi=False, steps=(10, 30, 60), runs=2, seed=5)
    other = simulate(texts, labels, multi=False, steps=(10, 30, 60), runs=2, seed=6)
    assert first == again
    assert first.picked != other.picked


def test_uncertainty_reaches_an_accuracy_with_no_more_labels_than_random() -> None:
    """On colour words that decide the label, uncertainty reaches 95% held-out accuracy
    with 200 labels, random order with 300; both start from the same seed set."""
    texts, labels = _colours(600)
    steps = (10, 20, 40, 60, 80, 100, 130, 160, 200, 250, 300, 350, 400)
    curve = simulate(texts, labels, multi=False, steps=steps, runs=2)
    reach = (curve.labels_to_reach("uncertainty", 0.95), curve.labels_to_reach("random", 0.95))
    assert reach == (200, 300)
    assert curve.curve("uncertainty")[0] == CurvePoint(
        "uncertainty", 10, *_rest(curve.curve("random")[0])
    )
    assert (curve.texts, curve.test, curve.pool, curve.runs, curve.steps) == (
        600, 150, 450, 2, steps,
    )  # fmt: skip


def _rest(point: CurvePoint) -> tuple[float, float, float, int, int]:
    return point.accuracy, point.low, point.high, point.right, point.tested


def test_points_pool_the_runs_with_a_wilson_interval_and_saving_compares_them() -> None:
    """Each point is the share right of every run's test answers with its Wilson interval;
    the saving is measured at random's last accuracy."""
    texts, labels = _colours(300)
    curve = simulate(texts, labels, multi=False, runs=3)
    for p in curve.points:
        assert (p.tested, p.accuracy, (p.low, p.high)) == (
            225, p.right / 225, wilson(p.right, 225),
        )  # fmt: skip
    last = curve.curve("random")[-1].accuracy
    assert curve.saving() == Saving(
        last, curve.labels_to_reach("random", last), curve.labels_to_reach("uncertainty", last)
    )
    assert curve.steps == schedule(11, 112)


def test_multi_label_sets_are_learnt_and_scored_as_whole_sets() -> None:
    """A multi_choice field: each word adds its label and the set must be right as a whole;
    both strategies get every test set right in the end, random first here (uncertainty
    over sets chases the one label it doubts most)."""
    rng = random.Random(8)
    texts, answers = [], []
    for i in range(240):
        chosen = sorted(rng.sample(["cheap", "fast", "loud"], rng.randint(1, 2)))
        texts.append(f"item {i} " + " ".join(f"is {c}" for c in chosen))
        answers.append(chosen)
    curve = simulate(texts, answers, multi=True, steps=tuple(range(10, 130, 10)), runs=1)
    reach = (curve.labels_to_reach("uncertainty", 1.0), curve.labels_to_reach("random", 1.0))
    assert reach == (80, 50)
    assert [p.accuracy for p in curve.points][-1] == 1.0


def test_bad_input_is_refused() -> None:
    """Too few texts, unknown strategies and steps beyond the pool are ValueErrors."""
    texts, labels = _colours(40)
    problems = []
    for kwargs in ({"strategies": ["smart"]}, {"steps": (10, 50)}, {"steps": (20, 10)}):
        with pytest.raises(ValueError) as refused:
            simulate(texts, labels, multi=False, **kwargs)  # type: ignore[arg-type]
        problems.append(str(refused.value))
    with pytest.raises(ValueError) as few:
        simulate(texts[:9], labels[:9], multi=False)
    assert problems == [
        "strategies are uncertainty, random, not ['smart']",
        "steps must rise from at least 1 to at most the pool's 30 texts: (10, 50)",
        "steps must rise from at least 1 to at most the pool's 30 texts: (20, 10)",
    ]
    assert str(few.value) == "a simulation needs at least 10 labelled texts, not 9"
