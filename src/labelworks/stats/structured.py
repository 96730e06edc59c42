"""Agreement on structured labels: text spans, bounding boxes and time segments.

For a pair of annotators, one annotator's objects are matched one-to-one to the other's
(same label, enough overlap) and agreement is the pooled F1 over the items both annotated:
``F1 = 2 · matches / (objects of A + objects of B)``. F1 is symmetric, so neither annotator
is the reference (Hripcsak & Rothschild 2005, "Agreement, the F-measure, and reliability in
information retrieval", JAMIA 12). Matching is greedy by decreasing overlap (IoU), as in
the PASCAL VOC / COCO detection protocol (Everingham et al. 2010).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from labelworks.stats.ratings import FloatArray, IntArray, InvalidRatingsError

# An object: its coordinates (start, end) or (x_min, y_min, x_max, y_max), and its label.
_Objects = list[tuple[tuple[float, ...], Hashable]]


@dataclass(frozen=True)
class StructuredAgreement:
    """Pairwise F1 between annotators over the items both annotated.

    ``f1[i, j]``: agreement of ``annotators[i]`` and ``annotators[j]`` (NaN on the diagonal,
    where they share no item, or where neither marked anything on the shared items);
    ``matched[i, j]``: matched object pairs; ``marked[i, j]``: objects both marked on their
    shared items (the F1 denominator); ``shared_items[i, j]``: items both annotated.
    """

    annotators: list[Any]
    f1: FloatArray
    matched: IntArray
    marked: IntArray
    shared_items: IntArray

    def overall(self) -> float:
        """Micro-averaged F1 over all annotator pairs: 2·Σ matched / Σ marked."""
        upper = np.triu_indices(len(self.annotators), k=1)
        marked = float(self.marked[upper].sum())
        return 2.0 * float(self.matched[upper].sum()) / marked if marked else float("nan")


def span_agreement(
    records: Iterable[tuple[Any, Any, int, int, Any]],
    mode: Literal["exact", "overlap"] = "exact",
    annotated: Iterable[tuple[Any, Any]] | None = None,
    match_labels: bool = True,
) -> StructuredAgreement:
    """Pairwise F1 over labeled character spans.

    Records are ``(item, annotator, start, end, label)`` with ``end`` exclusive. ``"exact"``
    counts a span as shared only with identical boundaries and label (the strict NER
    criterion of Tjong Kim Sang & De Meulder 2003, CoNLL); ``"overlap"`` accepts any
    overlap, matched one-to-one by IoU. ``annotated`` lists ``(item, annotator)`` pairs that
    were annotated even with no span (default: pairs present in ``records``). Read F1 as
    the share of spans the two annotators agree on: ≥ 0.8 is usually good for NER.

    >>> spans = [("d1", "ann", 0, 5, "PER"), ("d1", "bob", 0, 5, "PER"),
    ...          ("d1", "ann", 10, 15, "ORG"), ("d1", "bob", 11, 15, "ORG")]
    >>> span_agreement(spans).f1.tolist()
    [[nan, 0.5], [0.5, nan]]
    >>> span_agreement(spans, mode="overlap").overall()
    1.0
    """
    if mode not in ("exact", "overlap"):
        raise InvalidRatingsError(f"mode must be 'exact' or 'overlap', got {mode!r}")
    threshold = 1.0 if mode == "exact" else 0.0
    return _pairwise(records, 2, threshold, annotated, match_labels, "span")


def segment_agreement(
    records: Iterable[tuple[Any, Any, float, float, Any]],
    iou: float = 0.5,
    annotated: Iterable[tuple[Any, Any]] | None = None,
    match_labels: bool = True,
) -> StructuredAgreement:
    """Pairwise F1 over labeled time ranges, matched one-to-one when IoU ≥ ``iou``.

    Records are ``(item, annotator, start, end, label)`` (e.g. seconds of audio or video).
    Temporal IoU matching as in ActivityNet (Heilbron et al. 2015). Read like span F1.

    >>> segs = [("clip", "ann", 0.0, 2.0, "speech"), ("clip", "bob", 0.5, 2.0, "speech"),
    ...         ("clip", "ann", 3.0, 4.0, "music")]
    >>> round(segment_agreement(segs).overall(), 3)
    0.667
    """
    _check_threshold(iou)
    return _pairwise(records, 2, iou, annotated, match_labels, "segment")


def box_agreement(
    records: Iterable[tuple[Any, Any, float, float, float, float, Any]],
    iou: float = 0.5,
    annotated: Iterable[tuple[Any, Any]] | None = None,
    match_labels: bool = True,
) -> StructuredAgreement:
    """Pairwise F1 over labeled bounding boxes, matched one-to-one when IoU ≥ ``iou``.

    Records are ``(item, annotator, x_min, y_min, x_max, y_max, label)``. IoU ≥ 0.5 is the
    PASCAL VOC criterion (Everingham et al. 2010); use 0.75 for tighter boxes. Read F1 as
    the share of boxes the two annotators agree on.

    >>> boxes = [("img", "ann", 0, 0, 10, 10, "cat"), ("img", "bob", 1, 1, 10, 10, "cat"),
    ...          ("img", "bob", 50, 50, 60, 60, "dog")]
    >>> round(box_agreement(boxes).overall(), 3)
    0.667
    """
    _check_threshold(iou)
    return _pairwise(records, 4, iou, annotated, match_labels, "box")


def _check_threshold(iou: float) -> None:
    if not 0 < iou <= 1:
        raise InvalidRatingsError(f"iou must lie in (0, 1], got {iou}")


def _pairwise(
    records: Iterable[tuple[Any, ...]],
    dims: int,
    threshold: float,
    annotated: Iterable[tuple[Any, Any]] | None,
    match_labels: bool,
    kind: str,
) -> StructuredAgreement:
    by_item = _group(records, dims, kind)
    seen: dict[Any, set[Any]] = defaultdict(set)
    for item, objects in by_item.items():
        seen[item].update(objects)
    if annotated is not None:
        for k, pair in enumerate(annotated):
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise InvalidRatingsError(f"annotated entry {k} is not (item, annotator): {pair!r}")
            seen[pair[0]].add(pair[1])
    names = sorted({a for who in seen.values() for a in who}, key=lambda a: (str(type(a)), a))
    if len(names) < 2:
        raise InvalidRatingsError(f"{kind} agreement needs at least 2 annotators, got {len(names)}")
    index = {a: k for k, a in enumerate(names)}
    n = len(names)
    matched = np.zeros((n, n), dtype=np.int64)
    marked = np.zeros((n, n), dtype=np.int64)
    shared = np.zeros((n, n), dtype=np.int64)
    for item, who in seen.items():
        objects = by_item.get(item, {})
        present = sorted(who, key=index.__getitem__)
        for x, a in enumerate(present):
            for b in present[x + 1 :]:
                i, j = index[a], index[b]
                first, second = objects.get(a, []), objects.get(b, [])
                m = _match(first, second, threshold, match_labels)
                for u, v in ((i, j), (j, i)):
                    shared[u, v] += 1
                    matched[u, v] += m
                    marked[u, v] += len(first) + len(second)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(marked > 0, 2.0 * matched / np.maximum(marked, 1), np.nan)
    np.fill_diagonal(f1, np.nan)
    return StructuredAgreement(names, f1, matched, marked, shared)


def _group(
    records: Iterable[tuple[Any, ...]], dims: int, kind: str
) -> dict[Any, dict[Any, _Objects]]:
    """item → annotator → [(coordinates, label)], validating every record."""
    out: dict[Any, dict[Any, _Objects]] = defaultdict(lambda: defaultdict(list))
    width = dims + 3
    for k, rec in enumerate(records):
        if not isinstance(rec, tuple | list) or len(rec) != width:
            raise InvalidRatingsError(f"{kind} record {k} must have {width} fields, got {rec!r}")
        item, annotator, *coords, label = rec
        try:
            c = tuple(float(v) for v in coords)
        except (TypeError, ValueError) as exc:
            raise InvalidRatingsError(f"{kind} record {k} has non-numeric coordinates") from exc
        half = dims // 2
        if any(not np.isfinite(v) for v in c) or any(c[d + half] <= c[d] for d in range(half)):
            raise InvalidRatingsError(
                f"{kind} record {k} must have finite coordinates with end > start: {rec!r}"
            )
        out[item][annotator].append((c, label))
    return out


def _match(first: _Objects, second: _Objects, threshold: float, match_labels: bool) -> int:
    """Greedy one-to-one matching by decreasing IoU; a pair needs IoU ≥ threshold (or any
    overlap when the threshold is 0) and, if ``match_labels``, equal labels."""
    if not first or not second:
        return 0
    a = np.array([c for c, _ in first])
    b = np.array([c for c, _ in second])
    iou = _iou(a, b)
    ok = iou > 0 if threshold == 0 else iou >= threshold - 1e-12
    if match_labels:
        same = np.array([[la == lb for _, lb in second] for _, la in first], dtype=bool)
        ok &= same
    rows, cols = np.nonzero(ok)
    order = np.argsort(-iou[rows, cols], kind="stable")
    used_a: set[int] = set()
    used_b: set[int] = set()
    count = 0
    for k in order.tolist():
        i, j = int(rows[k]), int(cols[k])
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            count += 1
    return count


def _iou(a: FloatArray, b: FloatArray) -> FloatArray:
    """IoU of every object in ``a`` with every object in ``b`` (intervals or boxes)."""
    half = a.shape[1] // 2
    inter = np.ones((a.shape[0], b.shape[0]))
    area_a = np.ones(a.shape[0])
    area_b = np.ones(b.shape[0])
    for d in range(half):
        lo = np.maximum(a[:, None, d], b[None, :, d])
        hi = np.minimum(a[:, None, d + half], b[None, :, d + half])
        inter *= np.clip(hi - lo, 0.0, None)
        area_a = area_a * (a[:, d + half] - a[:, d])
        area_b = area_b * (b[:, d + half] - b[:, d])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.asarray(inter / union, dtype=np.float64)
