"""The baseline model's training at scale: a project with N decided final labels and as many
open items, trained through ``services.assist.train`` (what the ``train`` job runs), beside
the bare scikit-learn work it wraps (the same pipeline fitted once, and with the 5-fold
estimate), so the service's own cost shows.

    python bench/assist.py                          # 1k, 10k and 100k labels on SQLite
    python bench/assist.py --sizes 10000 --db postgresql

Texts are generated: three labels, each with its own words and words all labels share, a
tenth of the labels flipped (so accuracy is below 1). Final labels are written straight to
the table (the consensus path is not what is measured). Each size runs in a fresh process,
so its peak RSS (``VmHWM``) is the training's alone, interpreter and libraries included.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from foundation_import_export import peak_rss_mb, scratch_database
from labelworks.domain.spec import spec_from_dict
from labelworks.services import assist, ingestion
from labelworks.services import projects as project_service
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.migration import upgrade
from labelworks.storage.quality_tables import final_labels

LABELS = ("positive", "negative", "neutral")
OWN = {
    "positive": [
        "great",
        "lovely",
        "superb",
        "excellent",
        "happy",
        "works",
        "perfect",
        "recommend",
    ],
    "negative": ["awful", "broken", "poor", "refund", "late", "cracked", "useless", "disappointed"],
    "neutral": ["okay", "average", "fine", "expected", "standard", "usual", "plain", "ordinary"],
}
SHARED = [
    "the",
    "box",
    "item",
    "arrived",
    "today",
    "price",
    "delivery",
    "size",
    "colour",
    "it",
    "was",
    "and",
    "but",
]
SPEC = {
    "name": "assist",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": list(LABELS)}],
    "quality": {"consensus": "majority"},
    "assist": {"field": "sentiment", "every": 1000, "min_labels": 20},
}


def texts(n: int, seed: int = 7) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    out, truth = [], []
    for _ in range(n):
        label = rng.choice(LABELS)
        said = label if rng.random() > 0.1 else rng.choice(LABELS)
        words = rng.sample(SHARED, 8) + rng.sample(OWN[said], 2)
        rng.shuffle(words)
        out.append(" ".join(words))
        truth.append(label)
    return out, truth


def load(db: Database, labelled: int, open_items: int) -> None:
    project_service.apply_spec(db, spec_from_dict(SPEC), guidelines=None)
    body, truth = texts(labelled + open_items)
    rows = "".join(json.dumps({"text": t}) + "\n" for t in body).encode()
    ingestion.import_items(db, "assist", io.BytesIO(rows), format="jsonl", source="bench")
    now = utcnow()
    records = [
        {
            "item_id": i + 1,
            "project_id": 1,
            "value": json.dumps({"sentiment": truth[i]}),
            "method": "majority",
            "confidence": 1.0,
            "fields": json.dumps({"sentiment": 1.0}),
            "n_annotations": 1,
            "status": "final",
            "annotation_ids": "[]",
            "decided_at": now,
        }
        for i in range(labelled)
    ]
    with db.write() as conn:
        for start in range(0, len(records), 20_000):
            conn.execute(final_labels.insert(), records[start : start + 20_000])


def child(url: str, labelled: int) -> dict[str, float]:
    """Train through the service, then the bare pipeline on the same texts."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    db = Database(url)
    start = time.perf_counter()
    model = assist.train(db, "assist")
    service = time.perf_counter() - start
    rss = peak_rss_mb()
    body, truth = texts(2 * labelled)
    train_texts, train_truth = body[:labelled], truth[:labelled]

    def pipeline() -> object:
        return make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_features=200_000),
            LogisticRegression(max_iter=1000, C=4.0),
        )

    start = time.perf_counter()
    fitted = pipeline().fit(train_texts, train_truth)  # type: ignore[attr-defined]
    fitted.predict_proba(body[labelled:])
    bare_fit = time.perf_counter() - start
    start = time.perf_counter()
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    cross_val_predict(pipeline(), train_texts, train_truth, cv=folds)
    bare_cv = time.perf_counter() - start
    return {
        "labels": labelled,
        "service_s": service,
        "bare_fit_and_predict_s": bare_fit,
        "bare_cv_s": bare_cv,
        "accuracy": model.accuracy,
        "suggested": model.suggested,
        "peak_mb": rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--labelled", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.labelled)))
        return
    print(f"{'labels':>8} {'service s':>10} {'fit+predict s':>14} {'5-fold s':>9} "
          f"{'accuracy':>9} {'suggested':>10} {'peak MB':>8}")  # fmt: skip
    for size in (int(s) for s in args.sizes.split(",")):
        with (
            tempfile.TemporaryDirectory() as work,
            scratch_database(args.db, f"assist{size}", Path(work)) as url,
        ):
            db = Database(url)
            upgrade(db)
            load(db, size, size)
            db.dispose()
            command = [sys.executable, __file__, "--child", url, "--labelled", str(size)]
            out = subprocess.run(command, capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{size:>8,} {r['service_s']:>10.2f} {r['bare_fit_and_predict_s']:>14.2f} "
                  f"{r['bare_cv_s']:>9.2f} {r['accuracy']:>9.3f} {r['suggested']:>10,} "
                  f"{r['peak_mb']:>8.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
