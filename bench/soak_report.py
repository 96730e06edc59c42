"""The report of bench/soak.py: the table over time, start-vs-end verdicts, server log."""

from __future__ import annotations

import argparse
import math
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

COLUMNS = [
    # header, key, width, format
    ("phase", "phase", 11, "s"),
    ("t s", "t", 5, "d"),
    ("cyc/s", "cycles_per_s", 6, ".1f"),
    ("nx p50", "next_p50_ms", 7, ".1f"),
    ("nx p95", "next_p95_ms", 7, ".1f"),
    ("nx p99", "next_p99_ms", 7, ".1f"),
    ("sb p50", "submit_p50_ms", 7, ".1f"),
    ("sb p95", "submit_p95_ms", 7, ".1f"),
    ("sb p99", "submit_p99_ms", 7, ".1f"),
    ("409", "s409", 4, "d"),
    ("5xx", "s5xx", 4, "d"),
    ("oth", "other_errors", 4, "d"),
    ("abrt", "aborts", 5, "d"),
    ("kill", "kills", 5, "d"),
    ("RSS MB", "rss_mb", 7, ".1f"),
    ("thr", "threads", 5, "d"),
    ("fds", "fds", 5, "d"),
    ("tcp", "tcp", 5, "d"),
    ("clw", "close_wait", 4, "d"),
    ("db", "db_conns", 4, "d"),
    ("{extra}", "db_extra", 8, "g"),
    ("load", "load", 6, "s"),
]


def header(extra: str) -> str:
    return " ".join(f"{h.format(extra=extra):>{w}}" for h, _, w, _ in COLUMNS)


def row_text(r: dict[str, Any]) -> str:
    cells = []
    for _, key, width, fmt in COLUMNS:
        value = r.get(key, "")
        if isinstance(value, float) and math.isnan(value):
            value, fmt = "-", "s"
        cells.append(f"{value:>{width}{fmt}}")
    return " ".join(cells)


# --------------------------------------------------------------------------- verdict


LOAD_METRICS = [
    # label, key, kind: "pct" (relative growth, RSS and latency) or "abs" (a count)
    ("RSS MB", "rss_mb", "pct"),
    ("threads", "threads", "abs"),
    ("open fds", "fds", "abs"),
    ("TCP established", "tcp", "abs"),
    ("TCP close-wait", "close_wait", "abs"),
    ("db connections", "db_conns", "abs"),
    ("next p95 ms", "next_p95_ms", "pct"),
    ("submit p95 ms", "submit_p95_ms", "pct"),
]


def compare(
    title: str,
    start: dict[str, Any],
    end: dict[str, Any],
    metrics: list[tuple[str, str, str]],
    growth: float,
    extra: int,
) -> list[str]:
    """Print start vs end; return the metrics that grew past the thresholds."""
    print(f"\n{title}")
    print(f"  {'':<18}{'start':>10}{'end':>10}{'change':>10}")
    flagged = []
    for label, key, kind in metrics:
        a, b = float(start.get(key, 0)), float(end.get(key, 0))
        if kind == "pct":
            # latency is noisy on a shared machine: a p95 must also grow by 10 ms to count
            floor = 10.0 if key.endswith("_ms") else 0.0
            bad = b > a * (1 + growth) and b - a > floor
            change = f"{100 * (b - a) / a:+.0f}%" if a else "n/a"
        else:
            bad = b - a > extra
            change = f"{b - a:+.0f}"
        verdict = "NOT FLAT" if bad else "ok"
        print(f"  {label:<18}{a:>10.1f}{b:>10.1f}{change:>10}  {verdict}")
        if bad:
            flagged.append(f"{title.split(':')[0]}: {label} {a:g} -> {b:g}")
    return flagged


def log_exceptions(log: Path) -> dict[str, int]:
    """The exception line closing each traceback in the server log, counted."""
    found: Counter[str] = Counter()
    in_traceback = False
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("Traceback"):
            in_traceback = True
        elif in_traceback and line and not line[0].isspace():
            found[line[:160]] += 1
            in_traceback = False
    return dict(found)


def report(
    record: dict[str, Any],
    soaked: list[dict[str, Any]],
    idle_before: dict[str, Any],
    idle_after: dict[str, Any],
    args: argparse.Namespace,
    extra: str,
) -> list[str]:
    kind = record["db"]
    print(f"\n{kind}: soak samples every {args.sample_every:g} s ({extra} = db_extra)")
    print(header(extra))
    for r in record["samples"]:
        print(row_text(r))
    flagged = []
    if soaked:
        # Footprints are instantaneous: the first sample against the last. A p95 of one
        # interval is noisy on a shared machine: the median over the first and the last
        # --p95-window samples.
        k = max(1, min(args.p95_window, len(soaked) // 2))
        start, end = dict(soaked[0]), dict(soaked[-1])
        for key in ("next_p95_ms", "submit_p95_ms"):
            start[key] = statistics.median(r[key] for r in soaked[:k])
            end[key] = statistics.median(r[key] for r in soaked[-k:])
        flagged += compare(
            f"{kind} under load: first sample (t={soaked[0]['t']} s) vs last "
            f"(t={soaked[-1]['t']} s); p95: median of {k} sample(s) at each end",
            start,
            end,
            LOAD_METRICS,
            args.max_growth,
            args.max_extra,
        )
    flagged += compare(
        f"{kind} idle: before the soak vs {args.idle_wait:g} s after it",
        idle_before,
        idle_after,
        [m for m in LOAD_METRICS if not m[1].endswith("_ms")],
        args.max_growth,
        args.idle_slack,
    )
    total_5xx = sum(v for k, v in record["statuses"].items() if k.split()[1].startswith("5"))
    if total_5xx:
        flagged.append(f"{total_5xx} responses with 5xx")
    deaths = [rc for r in record["samples"] for rc in r["client_deaths"]]
    if deaths:
        flagged.append(f"{len(deaths)} client processes died on their own (exit {deaths[:5]})")
    if not record["server_survived"]:
        flagged.append("the server process died")
    inv = record["invariants"]
    if not inv["ok"]:
        flagged.append(f"invariants: {inv}")
    aborts = [a for r in soaked for a in r["abort_details"]]
    kills = record["kills"]
    print(
        f"\naborted exports: {len(aborts)} "
        f"({dict(Counter(a['format'] for a in aborts))}, statuses "
        f"{dict(Counter(str(a['status']) for a in aborts))}, "
        f"{sum(1 for a in aborts if a.get('complete'))} ran to completion before the abort)"
    )
    print(
        f"killed clients: {len(kills)}; requests in flight at the kills: "
        f"{sum(k['mid_next'] for k in kills)} next, {sum(k['mid_submit'] for k in kills)} "
        f"submit, {sum(k['mid_body'] for k in kills)} submit with half its body sent"
    )
    print(f"non-200 responses and client-side errors: {record['statuses'] or 'none'}")
    print(f"invariants: {inv}")
    if record["server_log_exceptions"]:
        print(f"server log tracebacks: {record['server_log_exceptions']}")
    print(f"{kind}: {'NOT FLAT: ' + '; '.join(flagged) if flagged else 'FLAT'}", flush=True)
    return flagged
