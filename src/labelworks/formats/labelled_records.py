"""What the span and dataset writers read from an exported record: the labels to write,
the split an item belongs to, and the image files a writer could not put beside its labels.

The services layer hands writers a ``DatasetSource`` (``services/dataset_exports.py``); the
formats layer sits below it, so the writers here see it through ``RecordSource``, the part
of it they read, and reach image files through ``ImageFiles``, which the services layer
implements. A record is one item as the JSONL export writes it, decoded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from hashlib import blake2b
from pathlib import Path
from typing import Any, Literal, Protocol

from labelworks.domain.errors import InvalidInput, Location
from labelworks.domain.fields import FieldSpec
from labelworks.domain.spec import ProjectSpec

Progress = Callable[[int, int], None]


class RecordSource(Protocol):
    """The project's spec, which labels to write (``final`` or ``all``) and its records."""

    @property
    def project(self) -> str: ...

    @property
    def spec(self) -> ProjectSpec: ...

    @property
    def labels(self) -> str: ...

    @property
    def total(self) -> int: ...

    @property
    def media_root(self) -> Path: ...

    @property
    def records(self) -> Callable[[], Iterator[dict[str, Any]]]: ...


# The final-label statuses a ``final`` export writes. ``adjudication`` is the consensus
# method's proposal for an item it could not decide, waiting for a person: not a label yet.
DECIDED_STATUSES = frozenset({"final", "adjudicated"})


def with_decided_final(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` as a ``final`` export reads it: without its final label when that label
    is still waiting for adjudication, so the item is exported as one without a final label
    (a record whose final label names no status is taken as decided)."""
    final = record.get("final")
    if isinstance(final, dict) and final.get("status", "final") not in DECIDED_STATUSES:
        return {k: v for k, v in record.items() if k != "final"}
    return record


@dataclass(frozen=True, slots=True)
class Labelling:
    """One set of labels for an item: an annotator's annotation (``annotator`` is their
    email) or the item's final label (``annotator`` is ``None``)."""

    annotator: str | None
    created_at: str | None
    seconds: float | None
    value: dict[str, Any]


def labellings(record: dict[str, Any], labels: str) -> list[Labelling]:
    """The labellings of ``record`` to export: its final label (``labels="final"``; none
    when it has none, the caller may not see it or it awaits adjudication) or every
    annotation (``"all"``)."""
    if labels == "final":
        final = with_decided_final(record).get("final")
        value = final.get("value") if isinstance(final, dict) else None
        return [Labelling(None, None, None, value)] if isinstance(value, dict) else []
    out: list[Labelling] = []
    for annotation in record.get("annotations") or []:
        value = annotation.get("value")
        if isinstance(value, dict):
            seconds = annotation.get("seconds")
            out.append(
                Labelling(
                    annotation.get("annotator"),
                    annotation.get("created_at"),
                    float(seconds) if isinstance(seconds, int | float) else None,
                    value,
                )
            )
    return out


def first_field(spec: ProjectSpec, kind: str, format_name: str) -> FieldSpec:
    """The project's first field of ``kind``, or ``InvalidInput`` saying the format needs one."""
    for field in spec.fields:
        if field.kind == kind:
            return field
    kinds = ", ".join(sorted({f.kind for f in spec.fields}))
    raise InvalidInput(
        f"the {format_name} format needs a {kind} field; project '{spec.name}' has only "
        f"{kinds} fields"
    )


def spans_of(value: dict[str, Any], field: str) -> list[tuple[int, int, str]]:
    """The ``(start, end, label)`` spans an answer gives ``field``, sorted; anything that is
    not a well-formed span (an answer from before a spec change) is left out."""
    spans: list[tuple[int, int, str]] = []
    given = value.get(field)
    for span in given if isinstance(given, list) else []:
        if not isinstance(span, dict):
            continue
        start, end, label = span.get("start"), span.get("end"), span.get("label")
        if (
            isinstance(start, int)
            and isinstance(end, int)
            and isinstance(label, str)
            and 0 <= start < end
        ):
            spans.append((start, end, label))
    return sorted(spans)


def who(record: dict[str, Any], labelling: Labelling) -> str:
    """How an error names an item and whose labels it was writing."""
    ref = record.get("external_id")
    item = f"item {record.get('id')}" + (f" ({ref})" if ref else "")
    return item if labelling.annotator is None else f"{item}, {labelling.annotator}'s annotation"


# --- splits --------------------------------------------------------------------------------

Split = Literal["train", "val", "test"]
SPLIT_KEY = "split"
_SPLIT_NAMES: dict[str, Split] = {
    "train": "train",
    "val": "val",
    "validation": "val",
    "test": "test",
}


def stated_split(record: dict[str, Any]) -> Split | None:
    """The split the item's metadata names (``split``: train, val, validation or test, in any
    case), or ``None`` when it names none; ``InvalidInput`` for any other value, since
    guessing would put an item meant to be held out into training."""
    metadata = record.get("metadata")
    given = metadata.get(SPLIT_KEY) if isinstance(metadata, dict) else None
    if given is None:
        return None
    split = _SPLIT_NAMES.get(given.strip().lower()) if isinstance(given, str) else None
    if split is None:
        raise InvalidInput(
            f"{_named(record)} has metadata split {given!r}: use train, val, validation or "
            "test, or leave the key out to split by the item's id",
            location=Location(field=f"metadata.{SPLIT_KEY}"),
        )
    return split


def split_score(record: dict[str, Any]) -> float:
    """Where the item falls in 0..1 for a split by hash: from its external id (its id when it
    has none), so the same item lands in the same split in every export."""
    ref = record.get("external_id")
    key = f"x:{ref}" if isinstance(ref, str) and ref else f"id:{record.get('id')}"
    digest = blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def split_of(record: dict[str, Any], val_fraction: float, moved: dict[int, Split]) -> Split:
    """The item's split: its metadata's, else ``moved``'s (``plan_splits``), else ``val`` when
    its score is below ``val_fraction``, else ``train``."""
    stated = stated_split(record)
    if stated is not None:
        return stated
    return moved.get(record["id"]) or ("val" if split_score(record) < val_fraction else "train")


def plan_splits(records: Iterable[dict[str, Any]], val_fraction: float) -> dict[int, Split]:
    """The items (by id) whose split by hash is overridden: with two images or more and no
    validation image, the split-by-hash item with the lowest score goes to ``val`` (when
    ``val_fraction`` is above 0); with no training image, the one with the highest goes to
    ``train``. ``records`` are the items the dataset will hold; their metadata splits are
    checked here, before anything is written."""
    counts = {"train": 0, "val": 0, "test": 0}
    lowest_train: tuple[float, int] | None = None
    highest_val: tuple[float, int] | None = None
    for record in records:
        stated = stated_split(record)
        if stated is not None:
            counts[stated] += 1
            continue
        score = split_score(record)
        if score < val_fraction:
            counts["val"] += 1
            if highest_val is None or score > highest_val[0]:
                highest_val = (score, record["id"])
        else:
            counts["train"] += 1
            if lowest_train is None or score < lowest_train[0]:
                lowest_train = (score, record["id"])
    moved: dict[int, Split] = {}
    if sum(counts.values()) >= 2:
        if counts["val"] == 0 and val_fraction > 0 and lowest_train is not None:
            moved[lowest_train[1]] = "val"
        if counts["train"] == 0 and highest_val is not None:
            moved[highest_val[1]] = "train"
    return moved


def _named(record: dict[str, Any]) -> str:
    ref = record.get("external_id")
    return f"item {record.get('id')}" + (f" ({ref})" if ref else "")


# --- image files ---------------------------------------------------------------------------

# The file a folder format lists the images it could not include in, one a line:
# ``<payload value> TAB <where in the folder it belongs> TAB <why it is missing>``.
MISSING_IMAGES = "missing_images.txt"


class ImageFiles(Protocol):
    """Image files a writer puts beside its labels (implemented by the services layer)."""

    def place(self, value: str, destination: Path) -> str | None:
        """Put the image the payload value ``value`` names at ``destination`` (its folder
        exists); ``None`` when it is there, else why it could not be."""


@dataclass(frozen=True, slots=True)
class MissingImage:
    """An image a folder export could not include: the payload's ``value``, the ``path``
    inside the folder where it belongs, and ``reason``."""

    value: str
    path: str
    reason: str

    def line(self) -> str:
        return "\t".join(_one_line(x) for x in (self.value, self.path, self.reason)) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split("\t")).replace("\r", " ").replace("\n", " ")
