"""Model evaluation at scale: a run's metrics with 1,000-resample bootstrap intervals, and a
paired comparison with 2,000, beside the obvious peer, scikit-learn's metrics in a
bootstrap loop (what an evaluation notebook does), and the whole ``eval run`` service on a
SQLite project (query, metrics, stored run).

    python bench/evaluation.py                      # 10k and 100k items
    python bench/evaluation.py --sizes 10000 --peer-resamples 200

Data: three classes, a model right 80% of the time with class probabilities that lean to
its answer. The peer computes accuracy, macro-F1, Cohen's kappa, per-class precision,
recall and F1 and the Brier score on each resample; with ``--peer-resamples`` below 1,000
its time is scaled up to 1,000 (said in the table). Each service size runs in a fresh
database; peak RSS is the process's (``VmHWM``).
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from foundation_import_export import peak_rss_mb
from labelworks.domain.predictions import Prediction
from labelworks.domain.spec import spec_from_dict
from labelworks.services import evaluation, ingestion
from labelworks.services import projects as project_service
from labelworks.services.model_comparison import compare_models
from labelworks.stats.model_comparison import paired_comparison
from labelworks.stats.model_metrics import classification_report
from labelworks.storage import items as item_store
from labelworks.storage import predictions as prediction_store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.migration import upgrade
from labelworks.storage.predictions import StoredPrediction
from labelworks.storage.quality_tables import final_labels

LABELS = ["pos", "neg", "neu"]


def data(n: int, seed: int, skill: float = 0.8) -> tuple[list[str], list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, n)
    right = rng.random(n) < skill
    guess = np.where(right, truth, (truth + rng.integers(1, 3, n)) % 3)
    probs = rng.dirichlet([1, 1, 1], n) * 0.4
    probs[np.arange(n), guess] += 0.6
    return [LABELS[i] for i in truth], [LABELS[i] for i in guess], probs


def peer_seconds(reference: list[str], predicted: list[str], probs: np.ndarray, b: int) -> float:
    from sklearn.metrics import (
        accuracy_score,
        cohen_kappa_score,
        f1_score,
        precision_recall_fscore_support,
    )

    ref, pred = np.array(reference), np.array(predicted)
    onehot = (ref[:, None] == np.array(LABELS)[None, :]).astype(float)
    rng = np.random.default_rng(1)
    start = time.process_time()
    for _ in range(b):
        idx = rng.integers(0, ref.size, ref.size)
        r, p = ref[idx], pred[idx]
        accuracy_score(r, p)
        f1_score(r, p, average="macro", labels=LABELS, zero_division=0)
        cohen_kappa_score(r, p, labels=LABELS)
        precision_recall_fscore_support(r, p, labels=LABELS, zero_division=0)
        float(((probs[idx] - onehot[idx]) ** 2).sum(axis=1).mean())
    return time.process_time() - start


def _dist(p: np.ndarray) -> dict[str, float]:
    return dict(zip(LABELS, map(float, p), strict=True))


def service_seconds(n: int) -> tuple[float, float]:
    """(eval run, eval compare) wall seconds through the services on a fresh SQLite project
    of n decided items with two model versions' predictions."""
    folder = Path(tempfile.mkdtemp(prefix="lw-eval-bench-"))
    db = Database(f"sqlite:///{folder / 'bench.db'}")
    upgrade(db)
    spec = {"name": "bench", "fields": [{"name": "s", "kind": "choice", "labels": LABELS}],
            "overlap": 1, "quality": {"consensus": "majority"}}  # fmt: skip
    project_service.apply_spec(db, spec_from_dict(spec), guidelines=None)
    body = "\n".join(f'{{"text": "item {i}"}}' for i in range(n)).encode()
    ingestion.import_items(db, "bench", io.BytesIO(body), format="jsonl", source="b.jsonl")
    reference, predicted, probs = data(n, 7)
    _, second, _ = data(n, 8, skill=0.82)
    project = project_service.get_project(db, "bench").row
    with db.write() as conn:
        ids = [i.id for i in item_store.page(conn, project.id, after_id=0, limit=n)]
        now = utcnow()
        conn.execute(
            final_labels.insert(),
            [
                {
                    "item_id": i,
                    "project_id": project.id,
                    "value": f'{{"s": "{r}"}}',
                    "method": "majority",
                    "confidence": 1.0,
                    "fields": "{}",
                    "n_annotations": 1,
                    "status": "final",
                    "annotation_ids": "[]",
                    "decided_at": now,
                }
                for i, r in zip(ids, reference, strict=True)
            ],
        )
        for version, answers in (("1", predicted), ("2", second)):
            rows = [
                StoredPrediction(i, Prediction("m", version, {"s": a}, None, {"s": _dist(p)}))
                for i, a, p in zip(ids, answers, probs, strict=True)
            ]
            prediction_store.insert_new(conn, project.id, rows, now)
    start = time.perf_counter()
    evaluation.run_evaluation(db, "bench", "m@1")
    run = time.perf_counter() - start
    start = time.perf_counter()
    compare_models(db, "bench", "m@1", "m@2")
    compared = time.perf_counter() - start
    db.dispose()
    return run, compared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--peer-resamples", type=int, default=1000)
    args = parser.parse_args()
    print(
        "| items | metrics + 1,000 resamples (CPU s) | scikit-learn loop, 1,000 (CPU s) "
        "| paired comparison, 2,000 (CPU s) | eval run service (s) | eval compare service (s) |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in args.sizes:
        reference, predicted, probs = data(n, 7)
        _, second, _ = data(n, 8, skill=0.82)
        start = time.process_time()
        classification_report(reference, predicted, labels=LABELS, probabilities=probs, seed=0)
        ours = time.process_time() - start
        start = time.process_time()
        paired_comparison(reference, predicted, second, seed=0)
        paired = time.process_time() - start
        peer = peer_seconds(reference, predicted, probs, args.peer_resamples)
        scaled = peer * 1000 / args.peer_resamples
        note = "" if args.peer_resamples == 1000 else f" (×{1000 / args.peer_resamples:g})"
        run, compared = service_seconds(n)
        print(f"| {n:,} | {ours:.2f} | {scaled:.1f}{note} | {paired:.2f} | {run:.2f} | "
              f"{compared:.2f} |")  # fmt: skip
    print(f"\npeak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
