"""Benchmark the migration of a Label Studio JSON export into labelworks.

Generates an export of N text tasks (default 100,000), each with two finished annotations
(a choice and one or two entity spans, by 20 annotators with emails) and one prediction,
plus its labeling config; then, in a fresh subprocess on a fresh SQLite database (or the
local PostgreSQL with ``--db postgresql``), times ``services.label_studio.
migrate_label_studio`` with ``create_annotators``: the config translated, every task
translated and imported with its history. Reports tasks/s, annotations/s and the peak RSS
(``VmHWM``: the interpreter, the export's text and the import together).

    python bench/label_studio_import.py                    # 100k tasks, SQLite
    python bench/label_studio_import.py --tasks 20000 --db postgresql

Raw results go to bench/results/label_studio_import-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" required="true">
    <Choice value="positive"/><Choice value="negative"/><Choice value="neutral"/>
  </Choices>
  <Labels name="entities" toName="text"><Label value="PRODUCT"/><Label value="BRAND"/></Labels>
</View>"""
WORDS = [
    "the",
    "a",
    "phone",
    "battery",
    "screen",
    "arrived",
    "late",
    "great",
    "poor",
    "Acme",
    "Globex",
    "price",
    "quality",
]
LABELS = ("positive", "negative", "neutral")


def _task(i: int, rng: random.Random) -> dict[str, Any]:
    words = [rng.choice(WORDS) for _ in range(14)] + [f"#{i}"]
    text = " ".join(words)
    annotators = rng.sample(range(20), 2)
    end = len(words[0])
    annotations = []
    for n, who in enumerate(annotators):
        results: list[dict[str, Any]] = [
            {
                "from_name": "sentiment",
                "to_name": "text",
                "type": "choices",
                "value": {"choices": [rng.choice(LABELS)]},
            },
            {
                "id": f"s{n}",
                "from_name": "entities",
                "to_name": "text",
                "type": "labels",
                "value": {"start": 0, "end": end, "text": words[0], "labels": ["BRAND"]},
            },
        ]
        annotations.append(
            {
                "id": i * 2 + n,
                "completed_by": {"id": who, "email": f"annotator{who}@example.com"},
                "created_at": f"2024-0{1 + n}-15T10:{i % 60:02d}:00.000000Z",
                "lead_time": round(rng.uniform(2, 40), 3),
                "was_cancelled": False,
                "result": results,
            }
        )
    prediction = {
        "model_version": "clf-v3",
        "score": round(rng.random(), 4),
        "result": [
            {
                "from_name": "sentiment",
                "to_name": "text",
                "type": "choices",
                "value": {"choices": [rng.choice(LABELS)]},
            }
        ],
    }
    return {
        "id": i + 1,
        "data": {"text": text},
        "annotations": annotations,
        "predictions": [prediction],
    }


def generate(path: Path, n: int) -> int:
    rng = random.Random(7)
    with path.open("w") as out:
        out.write("[")
        for i in range(n):
            out.write(("," if i else "") + "\n" + json.dumps(_task(i, rng)))
        out.write("\n]\n")
    return path.stat().st_size


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(url: str, export: Path, config: Path) -> dict[str, Any]:
    from labelworks.services.label_studio import migrate_label_studio
    from labelworks.storage import migration
    from labelworks.storage.engine import Database

    db = Database(url)
    migration.upgrade(db)
    xml = config.read_bytes()
    start = time.perf_counter()
    summary = migrate_label_studio(
        db,
        export.read_bytes(),  # timed, and not kept: the service lets it go once decoded
        project_name="migrated",
        source=str(export),
        config=xml,
        create_annotators=True,
    )
    seconds = time.perf_counter() - start
    return {
        "tasks": summary.tasks,
        "items": summary.inserted,
        "annotations": summary.annotations,
        "predictions": summary.predictions,
        "created_annotators": len(summary.created_annotators),
        "seconds": seconds,
        "peak_mb": _peak_mb(),
    }


def _database(kind: str, folder: Path) -> tuple[str, Any]:
    if kind == "sqlite":
        return f"sqlite:///{folder / 'bench.db'}", lambda: None
    import psycopg

    name = f"ls_bench_{int(time.time())}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")

    def drop() -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    return PG_URL.format(name=name), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, export, config = args.child
        print(json.dumps(child(url, Path(export), Path(config))))
        return
    with tempfile.TemporaryDirectory(prefix="ls-bench-") as tmp:
        folder = Path(tmp)
        export, config = folder / "export.json", folder / "config.xml"
        config.write_text(CONFIG)
        started = time.perf_counter()
        size = generate(export, args.tasks)
        print(
            f"generated {args.tasks:,} tasks ({size / 1e6:.0f} MB) in "
            f"{time.perf_counter() - started:.1f} s"
        )
        url, drop = _database(args.db, folder)
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--child", url, str(export), str(config)],
                check=True,
                capture_output=True,
                text=True,
            )
        finally:
            drop()
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result.update(db=args.db, export_mb=round(size / 1e6, 1))
    print(
        f"{args.db}: {result['tasks']:,} tasks, {result['annotations']:,} annotations, "
        f"{result['predictions']:,} predictions in {result['seconds']:.1f} s: "
        f"{result['tasks'] / result['seconds']:,.0f} tasks/s, "
        f"{result['annotations'] / result['seconds']:,.0f} annotations/s; "
        f"peak RSS {result['peak_mb']:.0f} MB"
    )
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = RESULTS / f"label_studio_import-{stamp}.json"
    target.write_text(json.dumps(result, indent=2) + "\n")
    print(f"raw results: {target}")


if __name__ == "__main__":
    main()
