"""CoNLL-2003 with BIO (IOB2) tags for a project's first spans field.

The stated tokenizer: a token is a run of word characters (``\\w+``, Unicode) or any single
other character that is not whitespace (``[^\\w\\s]``: punctuation, symbols), with its
character offsets into the text. A sentence ends after a ``.``, ``!`` or ``?`` token and at
every line break. A token overlapping a span is tagged ``B-LABEL`` if it is the span's first
token, ``I-LABEL`` otherwise; any other token ``O``.

Each line holds four space-separated columns, ``token POS chunk NER``, with ``-X-`` for the
part-of-speech and chunk columns labelworks does not have; documents start with
``-DOCSTART- -X- -X- O`` and a blank line; sentences are separated by blank lines. CoNLL has
no place for an item's id or an annotator: with ``labels="final"`` each item with a final
label is one document; with ``labels="all"`` each annotation is one document, in the order
of the JSONL export (items by id, each item's annotations as the JSONL export lists them),
so a JSONL export made at the same time says whose each document is. Items without labels
(or without text) are left out: a document with every token ``O`` would claim nothing was
there. One tag per token cannot say that two spans overlap, or that two spans share a token,
so such an answer is refused with the item and annotator named; the ``docbin`` format keeps
overlapping spans.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path
from typing import IO, Any

from labelworks.domain.errors import InvalidInput
from labelworks.domain.fields import SpansField
from labelworks.formats.labelled_records import (
    Labelling,
    Progress,
    RecordSource,
    first_field,
    labellings,
    spans_of,
    who,
)

TOKEN = re.compile(r"\w+|[^\w\s]")
SENTENCE_END = frozenset(".!?")
DOCSTART = "-DOCSTART- -X- -X- O\n"
OUTSIDE = "O"

Token = tuple[int, int, str]


def tokenize(text: str) -> list[list[Token]]:
    """``text`` as sentences of ``(start, end, token)``, by the stated tokenizer."""
    sentences: list[list[Token]] = []
    sentence: list[Token] = []
    previous_end = 0
    for match in TOKEN.finditer(text):
        start, end = match.span()
        if sentence and ("\n" in text[previous_end:start] or "\r" in text[previous_end:start]):
            sentences.append(sentence)
            sentence = []
        sentence.append((start, end, match.group()))
        previous_end = end
        if match.group() in SENTENCE_END:
            sentences.append(sentence)
            sentence = []
    if sentence:
        sentences.append(sentence)
    return sentences


def bio_tags(
    sentences: list[list[Token]], spans: list[tuple[int, int, str]], where: str
) -> list[list[str]]:
    """Each token's tag: ``B-``/``I-`` the span it overlaps, ``O`` none; ``InvalidInput``
    (naming ``where``) when spans overlap or share a token."""
    for (s1, e1, l1), (s2, e2, l2) in pairwise(spans):
        if s2 < e1:
            raise InvalidInput(
                f"{where}: spans {s1}..{e1} {l1!r} and {s2}..{e2} {l2!r} overlap; CoNLL has "
                "one tag per token (the docbin format keeps overlapping spans)"
            )
    tags: list[list[str]] = []
    index = 0  # spans are sorted and apart: walk them alongside the tokens
    owner: dict[int, int] = {}  # span index -> tokens tagged so far
    for sentence in sentences:
        row: list[str] = []
        for start, end, _ in sentence:
            while index < len(spans) and spans[index][1] <= start:
                index += 1
            hit = [i for i in (index, index + 1) if i < len(spans) and spans[i][0] < end]
            if not hit:
                row.append(OUTSIDE)
                continue
            if len(hit) > 1:
                (s1, e1, l1), (s2, e2, l2) = spans[hit[0]], spans[hit[1]]
                raise InvalidInput(
                    f"{where}: spans {s1}..{e1} {l1!r} and {s2}..{e2} {l2!r} share the token "
                    f"at {start}..{end}; CoNLL has one tag per token"
                )
            seen = owner.get(hit[0], 0)
            owner[hit[0]] = seen + 1
            row.append(("I-" if seen else "B-") + spans[hit[0]][2])
        tags.append(row)
    return tags


def _document(out: IO[str], sentences: list[list[Token]], tags: list[list[str]]) -> None:
    out.write(DOCSTART)
    out.write("\n")
    for sentence, row in zip(sentences, tags, strict=True):
        out.writelines(
            f"{token} -X- -X- {tag}\n" for (_, _, token), tag in zip(sentence, row, strict=True)
        )
        out.write("\n")


def write_conll(source: RecordSource, target: Path, progress: Progress | None) -> int:
    """Write the first spans field's labels as CoNLL-2003 to the file ``target``; returns
    the number of items written (those with labels and text)."""
    field = first_field(source.spec, "spans", "conll")
    text_key = field.source if isinstance(field, SpansField) else "text"
    written = 0
    with target.open("w", encoding="utf-8", newline="\n") as out:
        for done, record in enumerate(source.records(), 1):
            if _write_item(out, record, field.name, text_key, source.labels):
                written += 1
            if progress is not None:
                progress(done, source.total)
    return written


def _write_item(
    out: IO[str], record: dict[str, Any], field: str, text_key: str, labels: str
) -> bool:
    payload = record.get("payload")
    text = payload.get(text_key) if isinstance(payload, dict) else None
    chosen: list[Labelling] = labellings(record, labels)
    if not isinstance(text, str) or not chosen:
        return False
    sentences = tokenize(text)
    for labelling in chosen:
        spans = [s for s in spans_of(labelling.value, field) if s[1] <= len(text)]
        _document(out, sentences, bio_tags(sentences, spans, who(record, labelling)))
    return True
