"""Evaluation campaigns in the spec and their items: the section's checks, an input row's
checks naming the key, every pair (or a sample) per prompt with the placement balanced and
recorded, one item per output in rating mode, and nothing about models in a payload."""

from __future__ import annotations

from typing import Any

import pytest

from labelworks.domain.campaign import (
    CAMPAIGN_KEY,
    CampaignRow,
    CampaignSpec,
    InvalidCampaignRow,
    balance,
    imbalance,
    parse_campaign_row,
    plan_items,
)
from labelworks.domain.errors import InvalidSpec
from labelworks.domain.spec import spec_from_dict

MODELS = ["alpha", "beta", "gamma", "delta"]
KEYS = ("prompt", "a", "b")
PAIRWISE = {"name": "arena", "fields": [{"name": "pref", "kind": "pairwise"}]}


def _rows(n: int, models: list[str] = MODELS) -> list[CampaignRow]:
    return [
        CampaignRow(str(i), f"question {i}", {m: f"{m} says {i}" for m in models}, {"cat": "x"})
        for i in range(n)
    ]


def test_every_pair_of_every_prompt_is_an_item_with_balanced_sides() -> None:
    """4 models × 30 prompts: 6 pairs each, 180 items; each model is left and right 45
    times give or take one; the metadata records the prompt and placement; payloads hold
    only the prompt and the two texts."""
    spec = CampaignSpec(models=MODELS)
    items = plan_items(_rows(30), spec, pairwise_keys=KEYS)
    assert len(items) == 180
    counts = balance(items)
    assert set(counts) == set(MODELS)
    assert all(left + right == 90 for left, right in counts.values())
    assert imbalance(counts) <= 1
    first = items[0]
    record = first.metadata[CAMPAIGN_KEY]
    assert first.external_id == "0/1"
    assert first.metadata["cat"] == "x"
    assert first.payload == {
        "prompt": "question 0",
        "a": f"{record['left']} says 0",
        "b": f"{record['right']} says 0",
    }
    for item in items:
        assert not any(m in k for k in item.payload for m in MODELS)
        assert not any(m in item.external_id for m in MODELS)


def test_sampled_pairs_spread_over_the_prompts() -> None:
    """Two pairs per prompt over 60 prompts: 120 items, each of the 6 pairs 20 times."""
    spec = CampaignSpec(models=MODELS, pairs="sampled", per_prompt=2)
    items = plan_items(_rows(60), spec, pairwise_keys=KEYS)
    pairs: dict[tuple[str, ...], int] = {}
    for item in items:
        record = item.metadata[CAMPAIGN_KEY]
        key = tuple(sorted((record["left"], record["right"])))
        pairs[key] = pairs.get(key, 0) + 1
    assert (len(items), sorted(pairs.values())) == (120, [20] * 6)


def test_rating_mode_makes_one_item_per_output() -> None:
    """Three outputs of one prompt: three items with the prompt and one response each."""
    spec = CampaignSpec(models=MODELS[:3], mode="rating")
    items = plan_items(_rows(1, MODELS[:3]), spec, pairwise_keys=KEYS)
    assert [(i.external_id, i.payload, i.metadata[CAMPAIGN_KEY]) for i in items] == [
        (
            f"0/{k + 1}",
            {"prompt": "question 0", "response": f"{m} says 0"},
            {"prompt": "0", "model": m},
        )
        for k, m in enumerate(MODELS[:3])
    ]


def test_the_same_seed_plans_the_same_items() -> None:
    """Placement is random but repeatable."""
    spec = CampaignSpec(models=MODELS, seed=4)
    assert plan_items(_rows(5), spec, pairwise_keys=KEYS) == plan_items(
        _rows(5), spec, pairwise_keys=KEYS
    )


@pytest.mark.parametrize(
    ("obj", "message", "where"),
    [
        ([], "must be an object", ""),
        (
            {"id": 1, "prompt": "p", "outputs": {"alpha": "x", "beta": "y"}, "x": 1},
            "unknown key",
            "x",
        ),
        ({"prompt": "p", "outputs": {}}, "id must be", "id"),
        ({"id": "1", "prompt": 3, "outputs": {}}, "prompt must be a string", "prompt"),
        ({"id": "1", "prompt": "p", "outputs": []}, "outputs must be an object", "outputs"),
        ({"id": "1", "prompt": "p", "outputs": {"zeta": "x"}}, "'zeta' is not one", "outputs.zeta"),
        ({"id": "1", "prompt": "p", "outputs": {"alpha": 1}}, "must be a string", "outputs.alpha"),
        ({"id": "1", "prompt": "p", "outputs": {"alpha": "x"}}, "at least 2 outputs", "outputs"),
        (
            {
                "id": "1",
                "prompt": "p",
                "outputs": {"alpha": "x", "beta": "y"},
                "metadata": {"campaign": 1},
            },
            "labelworks' own record",
            "metadata.campaign",
        ),
    ],
)
def test_a_bad_row_names_its_key(obj: Any, message: str, where: str) -> None:
    """Each misfit is refused with a message and the key it is about."""
    with pytest.raises(InvalidCampaignRow) as caught:
        parse_campaign_row(obj, CampaignSpec(models=MODELS))
    assert message in caught.value.message
    assert caught.value.where == where


@pytest.mark.parametrize(
    ("section", "fields", "message"),
    [
        ({"models": ["a"]}, None, "at least 2 items"),
        ({"models": ["a", "a"]}, None, "'a' is listed twice"),
        ({"models": ["a", "b@2"]}, None, "without '@'"),
        ({"models": ["a", "b"], "field": "nope"}, None, "'nope' is not a pairwise field"),
        ({"models": ["a", "b"]}, [{"name": "q", "kind": "rating"}], "there is none"),
        ({"models": ["a", "b"], "mode": "rating"}, None, "needs at least one rating field"),
        (
            {"models": ["a", "b"], "mode": "rating", "pairs": "adaptive"},
            [{"name": "q", "kind": "rating"}],
            "pairs is for pairwise",
        ),
    ],
)
def test_the_spec_section_fits_the_fields(
    section: dict[str, Any], fields: list[dict[str, Any]] | str | None, message: str
) -> None:
    """A campaign the fields cannot hold is a spec error under 'evaluation'."""
    doc = {**PAIRWISE, "evaluation": section}
    if fields == "routing":
        doc["routing"] = {"order": "random"}
    elif fields is not None:
        doc["fields"] = fields
    with pytest.raises(InvalidSpec) as caught:
        spec_from_dict(doc)
    assert message in caught.value.message
    assert caught.value.location is not None
    assert str(caught.value.location.field).startswith("evaluation")
