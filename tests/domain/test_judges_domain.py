"""The judge's pure rules: reading verdicts and scores, origins, and the request key."""

from __future__ import annotations

import pytest

from labelworks.domain.judges import (
    RequestKey,
    origin,
    parse_score,
    parse_verdict,
    request_hash,
    unswapped,
)


def test_verdicts_are_the_last_bracketed_letter_or_a_bare_answer() -> None:
    """[[A]]/[[B]]/[[C]] (the last one counts; C and tie are ties) or a reply that is only
    A, B or tie; anything else is refused saying what was expected."""
    replies = ["[[A]]", "First [[B]] then, on reflection, [[a]].", "[[C]]", "[[ tie ]]",
               " b. ", "**Tie**", "A"]  # fmt: skip
    assert [parse_verdict(r) for r in replies] == ["a", "a", "tie", "tie", "b", "tie", "a"]
    for reply in ("Both are good.", "[[D]]", "A or B", ""):
        with pytest.raises(ValueError, match=r"expected \[\[A\]\], \[\[B\]\] or \[\[C\]\]"):
            parse_verdict(reply)


def test_scores_are_whole_numbers_on_the_scale() -> None:
    """The last [[N]] or a bare number, whole and within the scale."""
    assert [parse_score(r, 1, 5) for r in ("[[4]]", "I'd say [[2]] or [[3]]", " 5 ")] == [4, 3, 5]
    refused = [
        ("[[6]]", "not a whole number from 1 to 5"),
        ("[[2.5]]", "not a whole number"),
        ("good", "names no score"),
    ]
    for reply, message in refused:
        with pytest.raises(ValueError, match=message):
            parse_score(reply, 1, 5)


def test_a_swapped_verdict_reads_back_into_the_items_terms() -> None:
    """a and b trade places when the outputs were swapped; a tie stays a tie."""
    assert [unswapped(v, s) for v in ("a", "b", "tie") for s in (False, True)] == [
        "a", "b", "b", "a", "tie", "tie",
    ]  # fmt: skip


def test_origins_fill_in_the_default_port() -> None:
    """An http(s) URL's origin with its port spelt out; other schemes have none."""
    assert [
        origin(u)
        for u in (
            "https://LLM.example.com/v1",
            "http://127.0.0.1:8080/v1",
            "http://x",
            "ftp://x",
            "https://",
        )
    ] == [
        ("https", "llm.example.com", 443),
        ("http", "127.0.0.1", 8080),
        ("http", "x", 80),
        None,
        None,
    ]


def test_the_request_key_changes_with_what_is_asked() -> None:
    """Equal keys hash equal; another version, model, item, order or body hashes apart."""
    base = RequestKey("p", 1, "m", 7, False, {"messages": [{"role": "user", "content": "x"}]})
    variants = [
        RequestKey("p", 2, "m", 7, False, base.body),
        RequestKey("p", 1, "n", 7, False, base.body),
        RequestKey("p", 1, "m", 8, False, base.body),
        RequestKey("p", 1, "m", 7, True, base.body),
        RequestKey("p", 1, "m", 7, False, {**base.body, "temperature": 0.5}),
        RequestKey("p", 1, "m", "row:7", False, base.body),
    ]
    again = RequestKey("p", 1, "m", 7, False, {"messages": [{"role": "user", "content": "x"}]})
    hashes = {request_hash(k) for k in [base, *variants]}
    assert (request_hash(again) == request_hash(base), len(hashes)) == (True, 7)
