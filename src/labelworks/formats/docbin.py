"""spaCy ``DocBin`` (``.spacy``, what ``spacy train`` reads) for a project's first spans field.

spaCy is an optional extra (``pip install 'labelworks[spacy]'``), imported when this format
is written. Texts are tokenized by ``spacy.blank("xx")``, spaCy's language-neutral
tokenizer, and each span becomes the smallest run of tokens covering it
(``Doc.char_span(..., alignment_mode="expand")``); a span covering only whitespace has no
token and is left out. Spans go to ``doc.ents`` when the field does not allow overlap;
when it does (``allow_overlap: true``) they go to the span group ``doc.spans["sc"]``, the one
spaCy's ``spancat`` trains on, in every document alike. Two spans of a field without
overlap that expand onto a shared token are refused, naming the item.

With ``labels="final"`` each item with a final label is one ``Doc``; with ``labels="all"``
each annotation is. Every ``Doc`` carries ``user_data`` ``{"id", "external_id",
"annotator"}`` (``annotator`` is ``None`` for a final label), kept by the ``DocBin``. Items
without labels or text are left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labelworks.domain.errors import Conflict, InvalidInput
from labelworks.domain.fields import SpansField
from labelworks.formats.labelled_records import (
    Progress,
    RecordSource,
    first_field,
    labellings,
    spans_of,
    who,
)

SPAN_GROUP = "sc"
LANGUAGE = "xx"
MISSING = "the docbin format needs spaCy, which is not installed: pip install 'labelworks[spacy]'"


def _spacy() -> Any:
    try:
        import spacy
    except ImportError:
        raise Conflict(MISSING) from None
    return spacy


def write_docbin(source: RecordSource, target: Path, progress: Progress | None) -> int:
    """Write the first spans field's labels as a spaCy ``DocBin`` to the file ``target``;
    returns the number of items written (those with labels and text)."""
    field = first_field(source.spec, "spans", "docbin")
    spacy = _spacy()
    from spacy.tokens import DocBin

    nlp = spacy.blank(LANGUAGE)
    overlap = isinstance(field, SpansField) and field.allow_overlap
    text_key = field.source if isinstance(field, SpansField) else "text"
    docs = DocBin(store_user_data=True)
    written = 0
    for done, record in enumerate(source.records(), 1):
        payload = record.get("payload")
        text = payload.get(text_key) if isinstance(payload, dict) else None
        chosen = labellings(record, source.labels)
        if isinstance(text, str) and chosen:
            written += 1
            for labelling in chosen:
                doc = nlp.make_doc(text)
                spans = [
                    span
                    for start, end, label in spans_of(labelling.value, field.name)
                    if end <= len(text)
                    and (span := doc.char_span(start, end, label=label, alignment_mode="expand"))
                    is not None
                ]
                if overlap:
                    doc.spans[SPAN_GROUP] = spans
                else:
                    try:
                        doc.ents = spans
                    except ValueError:
                        raise InvalidInput(
                            f"{who(record, labelling)}: two spans of {field.name!r} cover the "
                            "same token in spaCy's tokenization; doc.ents holds one entity a "
                            "token (set allow_overlap on the field for a span group)"
                        ) from None
                doc.user_data.update(
                    {
                        "id": record.get("id"),
                        "external_id": record.get("external_id"),
                        "annotator": labelling.annotator,
                    }
                )
                docs.add(doc)
        if progress is not None:
            progress(done, source.total)
    docs.to_disk(target)
    return written
