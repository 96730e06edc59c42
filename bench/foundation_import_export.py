"""Benchmark labelworks imports and exports on SQLite and PostgreSQL.

Generates JSONL files of text items (~100-character sentences with external ids), then for
every database and size: imports the file into a fresh project through
``services.ingestion.import_items`` (items/s, peak RSS), and (mode ``cli``) into another
fresh database with the whole ``labelworks import`` command as a subprocess (wall time from
process start to exit, startup included; peak RSS its ``VmHWM``, polled); then, for the
export size, adds three submitted annotations per item with bulk SQL (a benchmark fixture,
not product code) and times ``services.exports.export_project`` to a file for each format.

Every measurement runs in a fresh subprocess, so the peak RSS (``VmHWM``) is that of one
import or one export, interpreter and libraries included (``base MB`` is the RSS just
before the timed call). Each database size gets its own scratch database: a SQLite file in
a temp dir, or ``CREATE DATABASE`` on the local PostgreSQL (dropped afterwards).

    python bench/foundation_import_export.py                       # 100k and 1M, both dbs
    python bench/foundation_import_export.py --sizes 100000 --db sqlite
    python bench/foundation_import_export.py --profile             # cProfile each import
    python bench/foundation_import_export.py --sql-timing          # time per SQL statement
    python bench/foundation_import_export.py --modes cli --export-sizes 0   # the command only

Raw results go to bench/results/foundation_import_export-<time>.json.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
PROJECT = "bench"
SPEC: dict[str, Any] = {
    "name": PROJECT,
    "description": "import/export benchmark",
    "fields": [
        {"name": "sentiment", "kind": "choice", "labels": ["positive", "negative", "neutral"]}
    ],
    "overlap": 3,
    "lease_minutes": 30,
}
FORMATS = ("jsonl", "csv", "parquet")

_VOCABULARY = (
    "the a an this that product review battery screen camera delivery price quality "
    "service support phone laptop charger cable speaker sound color design weight size "
    "fast slow great terrible okay decent excellent poor broken perfect cheap expensive "
    "arrived works stopped lasted feels looks sounds seems was is were has had would "
    "could never always sometimes after before during within week month day hour year "
    "really quite very somewhat barely totally mostly and but or so because although "
    "while when if then still again only also even just too not my our their your it "
    "they we I you he she customer seller box package manual app update firmware"
)
WORDS = _VOCABULARY.split()


# --------------------------------------------------------------------------- data files


def sentence(rng: random.Random, target: int = 100) -> str:
    """A generated sentence of about ``target`` characters."""
    words: list[str] = []
    length = 0
    while length < target:
        w = rng.choice(WORDS)
        words.append(w)
        length += len(w) + 1
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def write_items(path: Path, n: int, seed: int = 7) -> None:
    """``n`` JSONL rows ``{"external_id": ..., "text": ...}``; the index keeps texts unique."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            text = f"{sentence(rng, 92)} #{i}"
            out.write(json.dumps({"external_id": f"ext-{i:08d}", "text": text}) + "\n")


def provenance() -> dict[str, Any]:
    """The commit measured, and which src/ files differed from it (others commit meanwhile)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=HERE, capture_output=True, text=True)
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "HEAD"),
        "dirty_src": git("status", "--porcelain", "--", "../src").splitlines(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }


# --------------------------------------------------------------------------- databases


@contextmanager
def scratch_database(kind: str, tag: str, workdir: Path) -> Iterator[str]:
    """A fresh, migrated database URL; dropped or deleted afterwards."""
    if kind == "sqlite":
        path = workdir / f"{tag}.sqlite"
        yield f"sqlite:///{path}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    name = f"lw_bench_{os.getpid()}_{tag}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.format(name=name)
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------- child side


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


class SqlTimer:
    """Wall time per SQL statement text (first 160 chars), via engine events."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.engine = engine
        self.totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
        self._starts: dict[int, float] = {}
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self._starts[id(cursor)] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        start = self._starts.pop(id(cursor), None)
        if start is not None:
            entry = self.totals[" ".join(statement.split())[:160]]
            entry[0] += time.perf_counter() - start
            entry[1] += 1

    def detach(self) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    def top(self, n: int = 8) -> list[dict[str, Any]]:
        ranked = sorted(self.totals.items(), key=lambda kv: -kv[1][0])[:n]
        return [{"sql": sql, "seconds": round(s, 3), "calls": c} for sql, (s, c) in ranked]


def child_import(args: argparse.Namespace) -> dict[str, Any]:
    from labelworks.domain.spec import spec_from_dict
    from labelworks.services import ingestion
    from labelworks.services import projects as project_service
    from labelworks.storage.engine import Database
    from labelworks.storage.migration import upgrade

    db = Database(args.url)
    upgrade(db)
    project_service.apply_spec(db, spec_from_dict(SPEC), guidelines="# Rules\nBe kind.")
    timer = SqlTimer(db.engine) if args.sql_timing else None
    base = rss_mb()
    profiler = cProfile.Profile() if args.profile else None
    with open(args.file, "rb") as stream:
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        summary = ingestion.import_items(
            db, PROJECT, stream, format="jsonl", source=os.path.basename(args.file)
        )
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - start
    out: dict[str, Any] = {
        "seconds": seconds,
        "rows": summary.rows,
        "inserted": summary.inserted,
        "items_per_s": summary.rows / seconds,
        "base_mb": base,
        "peak_mb": peak_rss_mb(),
    }
    if profiler:
        out["profile"] = dump_profile(profiler, args.profile_out)
    if timer:
        out["sql"] = timer.top()
    db.dispose()
    return out


def child_setup(args: argparse.Namespace) -> dict[str, Any]:
    """Migrate the scratch database and create the project, for a ``labelworks import`` run."""
    from labelworks.domain.spec import spec_from_dict
    from labelworks.services import projects as project_service
    from labelworks.storage.engine import Database
    from labelworks.storage.migration import upgrade

    db = Database(args.url)
    upgrade(db)
    project_service.apply_spec(db, spec_from_dict(SPEC), guidelines="# Rules\nBe kind.")
    db.dispose()
    return {}


def cli_import(url: str, file: Path, timeout: float) -> dict[str, Any]:
    """Time ``labelworks import`` as a user runs it: a fresh process, startup included."""
    labelworks = Path(sys.executable).with_name("labelworks")
    cmd = [str(labelworks), "--database-url", url, "import", PROJECT, str(file)]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        deadline = start + timeout
        status_file = Path(f"/proc/{proc.pid}/status")
        peak_kb = 0
        while True:
            # The child's own high-water mark, polled: wait4's ru_maxrss would also count the
            # parent's memory at fork time (Linux keeps the larger of the two across exec).
            try:
                for line in status_file.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak_kb = max(peak_kb, int(line.split()[1]))
            except (OSError, ValueError):
                pass
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                raise RuntimeError(f"labelworks import timed out after {timeout} s")
            time.sleep(0.005)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"labelworks import failed:\n{stderr[-4000:]}")
    rows = int(stdout.split(" from ")[1].split(" rows")[0].replace(",", ""))
    return {
        "seconds": seconds,
        "rows": rows,
        "items_per_s": rows / seconds,
        "peak_mb": peak_kb / 1024,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "stdout": stdout.strip(),
    }


def dump_profile(profiler: cProfile.Profile, path: str | None) -> str:
    import io

    if path:
        profiler.dump_stats(path)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    stats.sort_stats("tottime").print_stats(20)
    stats.sort_stats("cumulative").print_stats(25)
    return text.getvalue()


def child_annotate(args: argparse.Namespace) -> dict[str, Any]:
    """Three submitted annotations per item, written with set-based SQL."""
    from sqlalchemy import DateTime, bindparam, text

    from labelworks.services import users as user_service
    from labelworks.storage.engine import Database, utcnow

    db = Database(args.url)
    annotators = [
        user_service.add_user(
            db, f"bench{i}@example.com", role="annotator", projects=[PROJECT]
        ).user.id
        for i in range(3)
    ]
    now = utcnow()
    start = time.perf_counter()
    with db.write() as conn:
        project_id, gv = conn.execute(
            text("SELECT id, guideline_version FROM projects WHERE name = :n"), {"n": PROJECT}
        ).one()
        params = {"p": project_id, "gv": gv, "now": now}
        ts = bindparam("now", type_=DateTime)
        conn.execute(
            text(
                "INSERT INTO assignments (project_id, item_id, annotator_id, state, leased_at,"
                " expires_at, closed_at, lease_count, guideline_version)"
                " SELECT i.project_id, i.id, m.user_id, 'submitted', :now, :now, :now, 1, :gv"
                " FROM items i JOIN memberships m ON m.project_id = i.project_id"
                " WHERE i.project_id = :p ORDER BY i.id, m.user_id"
            ).bindparams(ts),
            params,
        )
        conn.execute(
            text(
                "INSERT INTO annotations (assignment_id, project_id, item_id, annotator_id,"
                " value, seconds, guideline_version, idempotency_key, after_expiry, created_at)"
                " SELECT a.id, a.project_id, a.item_id, a.annotator_id,"
                " CASE (a.item_id + a.annotator_id) % 3"
                '   WHEN 0 THEN \'{"sentiment":"positive"}\''
                '   WHEN 1 THEN \'{"sentiment":"negative"}\''
                '   ELSE \'{"sentiment":"neutral"}\' END,'
                " 12.5, a.guideline_version, 'bench-' || a.id, FALSE, :now"
                " FROM assignments a WHERE a.project_id = :p ORDER BY a.id"
            ).bindparams(ts),
            params,
        )
        conn.execute(
            text(
                "UPDATE items SET n_submitted = 3, n_leased = 0, pool = NULL WHERE project_id = :p"
            ),
            {"p": project_id},
        )
        n = conn.execute(
            text("SELECT count(*) FROM annotations WHERE project_id = :p"), {"p": project_id}
        ).scalar_one()
    if db.is_postgresql:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    seconds = time.perf_counter() - start
    db.dispose()
    return {"annotators": annotators, "annotations": int(n), "seconds": seconds}


def child_export(args: argparse.Namespace) -> dict[str, Any]:
    from labelworks.services import exports
    from labelworks.storage.engine import Database

    db = Database(args.url)
    timer = SqlTimer(db.engine) if args.sql_timing else None
    base = rss_mb()
    profiler = cProfile.Profile() if args.profile else None
    with open(args.file, "wb") as stream:
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        n = exports.export_project(db, PROJECT, stream, format=args.format)
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - start
    out: dict[str, Any] = {
        "seconds": seconds,
        "items": n,
        "items_per_s": n / seconds,
        "file_mb": os.path.getsize(args.file) / 2**20,
        "base_mb": base,
        "peak_mb": peak_rss_mb(),
    }
    if profiler:
        out["profile"] = dump_profile(profiler, args.profile_out)
    if timer:
        out["sql"] = timer.top()
    os.unlink(args.file)
    db.dispose()
    return out


# --------------------------------------------------------------------------- parent side


def run_child(step: str, timeout: float, **options: Any) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", step]
    for key, value in options.items():
        if value is True:
            cmd.append(f"--{key.replace('_', '-')}")
        elif value not in (None, False):
            cmd += [f"--{key.replace('_', '-')}", str(value)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{step} failed:\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def parse_sizes(text: str) -> list[int]:
    return [int(s.replace("_", "")) for s in text.split(",") if s]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--export-sizes", default=None, help="default: the largest size")
    parser.add_argument(
        "--modes",
        default="service,cli",
        help="service: time import_items in-process; cli: time the whole labelworks import",
    )
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--timeout", type=float, default=3600.0, help="per step, seconds")
    parser.add_argument("--profile", action="store_true", help="cProfile imports and exports")
    parser.add_argument("--sql-timing", action="store_true", help="wall time per statement")
    parser.add_argument("--workdir", default=None, help="default: a fresh temp dir")
    # Child-process options (internal).
    parser.add_argument(
        "--child", choices=["import", "annotate", "export", "setup"], help=argparse.SUPPRESS
    )
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--format", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        step = {
            "import": child_import,
            "annotate": child_annotate,
            "export": child_export,
            "setup": child_setup,
        }
        print(json.dumps(step[args.child](args)))
        return

    sizes = parse_sizes(args.sizes)
    export_sizes = parse_sizes(args.export_sizes) if args.export_sizes else [max(sizes)]
    formats = [f for f in args.formats.split(",") if f]
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    results: dict[str, Any] = {
        "argv": sys.argv[1:],
        "provenance": provenance(),
        "imports": [],
        "cli_imports": [],
        "exports": [],
        "fixtures": [],
    }
    out_path = RESULTS / f"foundation_import_export-{stamp}.json"

    with tempfile.TemporaryDirectory(dir=args.workdir, prefix="lw-bench-") as tmp:
        workdir = Path(tmp)
        files: dict[int, Path] = {}
        for n in sizes:
            files[n] = workdir / f"items_{n}.jsonl"
            t = time.perf_counter()
            write_items(files[n], n)
            mb = files[n].stat().st_size / 2**20
            print(f"generated {n:,} items ({mb:.0f} MB) in {time.perf_counter() - t:.1f} s")
        modes = [m for m in args.modes.split(",") if m]
        for kind in [d for d in args.db.split(",") if d]:
            for n in sizes if "cli" in modes else []:
                with scratch_database(kind, f"cli{n}", workdir) as url:
                    # Settle the disk before timing (the file was just written, or the
                    # previous run's WAL is being dropped).
                    run_child("setup", args.timeout, url=url)
                    files[n].read_bytes()
                    r = cli_import(url, files[n], args.timeout)
                    r.update(db=kind, size=n)
                    results["cli_imports"].append(r)
                    print(
                        f"cli import {kind:10} {n:>9,}: {r['seconds']:7.1f} s "
                        f"{r['items_per_s']:>9,.0f} items/s  peak {r['peak_mb']:.0f} MB",
                        flush=True,
                    )
                    save(out_path, results)
            for n in sizes if "service" in modes else []:
                with scratch_database(kind, str(n), workdir) as url:
                    prof = str(RESULTS / f"import-{kind}-{n}-{stamp}.pstats")
                    r = run_child(
                        "import",
                        args.timeout,
                        url=url,
                        file=files[n],
                        profile=args.profile,
                        sql_timing=args.sql_timing,
                        profile_out=prof if args.profile else None,
                    )
                    r.update(db=kind, size=n)
                    results["imports"].append(r)
                    report_extras(r)
                    print(
                        f"import {kind:10} {n:>9,}: {r['seconds']:7.1f} s "
                        f"{r['items_per_s']:>9,.0f} items/s  peak {r['peak_mb']:.0f} MB",
                        flush=True,
                    )
                    save(out_path, results)
                    if n not in export_sizes:
                        continue
                    fx = run_child("annotate", args.timeout, url=url)
                    fx.update(db=kind, size=n)
                    results["fixtures"].append(fx)
                    print(
                        f"fixture {kind} {n:,}: {fx['annotations']:,} annotations "
                        f"in {fx['seconds']:.1f} s",
                        flush=True,
                    )
                    for fmt in formats:
                        prof = str(RESULTS / f"export-{kind}-{n}-{fmt}-{stamp}.pstats")
                        r = run_child(
                            "export",
                            args.timeout,
                            url=url,
                            file=workdir / f"export.{fmt}",
                            format=fmt,
                            profile=args.profile,
                            sql_timing=args.sql_timing,
                            profile_out=prof if args.profile else None,
                        )
                        r.update(db=kind, size=n, format=fmt)
                        results["exports"].append(r)
                        report_extras(r)
                        print(
                            f"export {kind:10} {n:>9,} {fmt:7}: {r['seconds']:7.1f} s "
                            f"{r['items_per_s']:>9,.0f} items/s  peak {r['peak_mb']:.0f} MB",
                            flush=True,
                        )
                        save(out_path, results)
    print_tables(results)
    print(f"\nraw results: {out_path}")


def report_extras(r: dict[str, Any]) -> None:
    if "profile" in r:
        print(r["profile"])
    for s in r.get("sql", []):
        print(f"    {s['seconds']:8.3f} s {s['calls']:>7} calls  {s['sql']}")


def save(path: Path, results: dict[str, Any]) -> None:
    path.write_text(json.dumps(results, indent=2))


def print_tables(results: dict[str, Any]) -> None:
    if results["cli_imports"]:
        print("\nImport, whole command (labelworks import, JSONL text items)")
        print(f"{'db':<11}{'items':>10}{'seconds':>9}{'items/s':>10}{'peak MB':>9}")
        for r in results["cli_imports"]:
            print(
                f"{r['db']:<11}{r['size']:>10,}{r['seconds']:>9.1f}{r['items_per_s']:>10,.0f}"
                f"{r['peak_mb']:>9.0f}"
            )
    print("\nImport (services.ingestion.import_items, JSONL text items)")
    print(f"{'db':<11}{'items':>10}{'seconds':>9}{'items/s':>10}{'base MB':>9}{'peak MB':>9}")
    for r in results["imports"]:
        print(
            f"{r['db']:<11}{r['size']:>10,}{r['seconds']:>9.1f}{r['items_per_s']:>10,.0f}"
            f"{r['base_mb']:>9.0f}{r['peak_mb']:>9.0f}"
        )
    if results["exports"]:
        print("\nExport (services.exports.export_project, 3 annotations per item)")
        print(
            f"{'db':<11}{'items':>10}{'format':>8}{'seconds':>9}{'items/s':>10}"
            f"{'file MB':>9}{'peak MB':>9}"
        )
        for r in results["exports"]:
            print(
                f"{r['db']:<11}{r['size']:>10,}{r['format']:>8}{r['seconds']:>9.1f}"
                f"{r['items_per_s']:>10,.0f}{r['file_mb']:>9.0f}{r['peak_mb']:>9.0f}"
            )
    print(
        "\nPeer (figures quoted in issue 2; Label Studio cannot be installed here): Label Studio "
        "1.23.2 imports ~4,200 tasks/s and exports 10k tasks in 25 s (~400 tasks/s)."
    )


if __name__ == "__main__":
    main()
