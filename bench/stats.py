"""Benchmark labelworks.stats against crowd-kit, krippendorff and statsmodels, side by side.

Every measurement runs in its own subprocess so that peak memory (ru_maxrss) is per method
and a slow peer can be stopped by a timeout. Data: ``simulate_crowd`` — 500 annotators,
5 classes, 3-5 labels per item, annotator-specific confusion matrices, 10% spammers — seeded,
as one long-form pandas frame (task, worker, label) that every implementation starts from.

    .venv-peers/bin/python bench/stats.py            # 10k, 100k, 1M, peers time out after 120 s
    .venv/bin/python bench/stats.py --sizes 10m --no-peers   # ours only at 10M labels
    .venv-peers/bin/python bench/stats.py --sizes 100k --methods DawidSkene,GLAD --timeout 600
    .venv-peers/bin/python bench/stats.py --sizes 1m --ids str   # string task and worker ids

The peers come with the ``peers`` extra, kept out of the main venv; ``bash .ci/peers`` builds
their venv, ``.venv-peers``.

Columns: seconds (end to end from the frame), build (ours: ``Ratings.from_frame``; a
peer: reshaping the frame into its input; crowd-kit takes the frame itself), fit (the rest),
peak MB (whole subprocess, data included), data MB (peak with the frame built), accuracy
against the simulated truth or the coefficient, and a peer's end-to-end time over ours.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

AGGREGATORS = ["MajorityVote", "Wawa", "DawidSkene", "OneCoinDawidSkene", "GLAD", "MACE"]
# crowd-kit 1.4.2's Wawa.predict fails under scikit-learn >= 1.6 (missing __sklearn_tags__).
PEER_AGGREGATORS = ["MajorityVote", "DawidSkene", "OneCoinDawidSkene", "GLAD", "MACE"]
AGREEMENT = ["krippendorff_alpha", "fleiss_kappa", "cohen_kappa"]
# Each coefficient's peer routes from the frame (see peer_agreement).
AGREEMENT_PEERS = {
    "krippendorff_alpha": ["krippendorff", "krippendorff-counts"],
    "fleiss_kappa": ["statsmodels", "statsmodels-counts"],
    "cohen_kappa": ["statsmodels"],
}
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}
# The modules each peer run imports (crowd-kit works on pandas frames).
PEER_MODULES = {
    "agg": ["crowdkit", "pandas"],
    "krippendorff": ["krippendorff"],
    "statsmodels": ["statsmodels"],
}


def require_peers(modules: list[str]) -> None:
    """Stop before measuring anything when a peer is missing: otherwise every peer row would
    only say ModuleNotFoundError, and the labelworks rows would run for nothing."""
    missing = [m for m in dict.fromkeys(modules) if importlib.util.find_spec(m) is None]
    if missing:
        raise SystemExit(
            f"bench/stats.py: peer libraries not installed here: {', '.join(missing)}.\n"
            "Install the `peers` extra in its own venv (kept out of .venv: it would change the "
            "stack under test) and run the benchmark there:\n"
            "    bash .ci/peers    # builds .venv-peers, then runs the live cross-checks\n"
            "    .venv-peers/bin/python bench/stats.py ...\n"
            "or pass --no-peers to time labelworks alone."
        )


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def crowd(size: int, seed: int, per_item: tuple[int, int] = (3, 5)) -> Any:
    from labelworks.stats.aggregation import simulate_crowd

    return simulate_crowd(size, n_annotators=500, n_classes=5, labels_per_item=per_item, seed=seed)


def frame(method: str, size: int, seed: int, ids: str) -> tuple[Any, Any]:
    """The long-form frame every implementation starts from (columns task, worker, label, as
    crowd-kit names them), and the true label per item where there is one.

    With ``ids="str"`` tasks and workers are zero-padded strings ("t0000042", "w007"), so
    that their sorted order is the integer order and the truth stays aligned.
    """
    import pandas as pd

    truth = None
    if method == "cohen_kappa":
        # Two raters on size/2 items, each with its own accuracy.
        rng = np.random.default_rng(seed)
        n = size // 2
        true = rng.integers(0, 5, n)
        labels = [np.where(rng.random(n) < acc, true, rng.integers(0, 5, n)) for acc in (0.8, 0.7)]
        task, worker, label = np.tile(np.arange(n), 2), np.repeat([0, 1], n), np.concatenate(labels)
    else:
        per_item = (4, 4) if method == "fleiss_kappa" else (3, 5)
        c = crowd(size, seed, per_item)
        task, worker, label, truth = c.ratings.item, c.ratings.annotator, c.ratings.label, c.truth
    df = pd.DataFrame({"task": task, "worker": worker, "label": label})
    if ids == "str":
        df["task"] = df["task"].map("t{:07d}".format)
        df["worker"] = df["worker"].map("w{:03d}".format)
    return df, truth


def task_numbers(index: Any) -> Any:
    """Item ids (ints, or "t0000042") as integer positions into the truth array."""
    values = np.asarray(list(index))
    return values if values.dtype.kind in "iu" else np.char.lstrip(values, "t").astype(np.int64)


Route = tuple[Callable[[Any], Any], Callable[[Any], Any]]


def aggregator_route(impl: str, method: str) -> Route:
    """From the frame to the implementation's input (``build``), and from there to labels."""
    if impl == "ours":
        import labelworks.stats.aggregation as agg
        from labelworks.stats import Ratings

        return (
            lambda df: Ratings.from_frame(df, item="task", annotator="worker", label="label"),
            lambda r: getattr(agg, method)().fit(r).labels_,
        )
    import crowdkit.aggregation as ck

    return (lambda df: df, lambda df: getattr(ck, method)().fit_predict(df))


def accuracy(labels: Any, truth: Any) -> float:
    """Share of items whose label is the simulated truth (our ItemLabels or a pd.Series)."""
    if hasattr(labels, "codes"):
        predicted = np.asarray(labels.category_values)[labels.codes]
        items = task_numbers(labels.item_ids)
    else:
        predicted, items = labels.to_numpy(), task_numbers(labels.index)
    return float((predicted == truth[items]).mean())


def count_table(df: Any) -> Any:
    """Units x values counts, as a pandas groupby builds them (``pd.crosstab`` is 40x slower)."""
    return df.groupby(["task", "label"]).size().unstack(fill_value=0).to_numpy()


def peer_route(impl: str, method: str) -> Route:
    """How a peer gets from the frame to its own input (timed as ``build``), and its call.

    Imports happen here, before the clock starts, as ours do.
    """
    if impl.startswith("krippendorff"):
        import krippendorff

        if impl == "krippendorff-counts":  # its other input: units x values counts
            return count_table, lambda d: krippendorff.alpha(
                value_counts=d, level_of_measurement="nominal"
            )
        # the package's primary input: raters x units, NaN where a rater skipped a unit
        return (
            lambda df: df.pivot(index="worker", columns="task", values="label").to_numpy(float),
            lambda d: krippendorff.alpha(reliability_data=d, level_of_measurement="nominal"),
        )
    from statsmodels.stats import inter_rater as ir

    if method == "cohen_kappa":
        return (
            lambda df: ir.to_table(df.pivot(index="task", columns="worker", values="label"))[0],
            lambda t: ir.cohens_kappa(t).kappa,
        )
    if impl == "statsmodels-counts":  # the count table straight from a pandas groupby
        return count_table, ir.fleiss_kappa

    def rater_slots(df: Any) -> Any:
        """statsmodels' route: subjects x rater slots, then aggregate_raters' count table."""
        wide = df.assign(slot=df.groupby("task").cumcount())
        return ir.aggregate_raters(wide.pivot(index="task", columns="slot", values="label"))[0]

    return rater_slots, ir.fleiss_kappa


def agreement_route(impl: str, method: str) -> Route:
    if impl != "ours":
        return peer_route(impl, method)
    from labelworks.stats import Ratings, agreement

    fn = getattr(agreement, method)
    kwargs = {"level": "nominal"} if method == "krippendorff_alpha" else {}
    return (
        lambda df: Ratings.from_frame(df, item="task", annotator="worker", label="label"),
        lambda r: float(fn(r, **kwargs)),
    )


def timed(route: Route, df: Any, repeat: int) -> tuple[Any, dict[str, float]]:
    """The result and the timings of the fastest of ``repeat`` runs (the machine is shared);
    a run over 5 s is not repeated, its noise is small next to it and the timeout is not."""
    build, fit = route
    best: dict[str, float] = {}
    result = None
    for _ in range(repeat):
        if best and best["end_to_end_s"] > 5.0:
            break
        start = time.perf_counter()
        data = build(df)
        built = time.perf_counter()
        result = fit(data)
        done = time.perf_counter()
        del data
        if not best or done - start < best["end_to_end_s"]:
            best = {"end_to_end_s": done - start, "build_s": built - start, "fit_s": done - built}
    return result, best


def worker(args: argparse.Namespace) -> None:
    kind, impl, method = args.worker.split(":")
    df, truth = frame(method, args.size, args.seed, args.ids)
    data_mb = peak_mb()
    if kind == "agg":
        labels, result = timed(aggregator_route(impl, method), df, args.repeat)
        score = {"accuracy": accuracy(labels, truth)}
    else:
        value, result = timed(agreement_route(impl, method), df, args.repeat)
        score = {"value": float(value)}
    print(json.dumps({**result, **score, "data_mb": data_mb, "peak_mb": peak_mb()}))


def measure(
    kind: str, impl: str, method: str, size: int, args: argparse.Namespace, timeout: float
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        f"{kind}:{impl}:{method}",
        "--size",
        str(size),
        "--seed",
        str(args.seed),
        "--ids",
        args.ids,
        "--repeat",
        str(args.repeat),
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"note": f"timeout > {timeout:.0f} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"note": f"error: {last[:70]}"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


HEADER = (
    f"{'labels':>10} {'method':<19} {'impl':<19} {'seconds':>8} {'build':>7} {'fit':>8} "
    f"{'peak MB':>8} {'data MB':>8} {'acc/val':>8} {'vs ours':>8}"
)


def show(row: dict[str, Any], ours: dict[str, Any] | None) -> None:
    """One line; a peer's line ends with its end-to-end time over ours."""

    def fmt(key: str, spec: str) -> str:
        return format(row[key], spec) if key in row else "-"

    score = fmt("accuracy", ".4f") if "accuracy" in row else fmt("value", ".4f")
    ratio = "-"
    if row["impl"] != "ours" and ours and "end_to_end_s" in ours and "end_to_end_s" in row:
        ratio = f"{row['end_to_end_s'] / ours['end_to_end_s']:.1f}x"
    print(
        f"{row['size']:>10,} {row['method']:<19} {row['impl']:<19} "
        f"{fmt('end_to_end_s', '8.3f'):>8} {fmt('build_s', '7.3f'):>7} {fmt('fit_s', '8.3f'):>8} "
        f"{fmt('peak_mb', '8.0f'):>8} {fmt('data_mb', '8.0f'):>8} {score:>8} {ratio:>8}  "
        f"{row.get('note', '')}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10k,100k,1m", help="comma list of 10k,100k,1m,10m")
    parser.add_argument("--methods", default=",".join(AGGREGATORS + AGREEMENT))
    parser.add_argument("--no-peers", action="store_true", help="run labelworks only")
    parser.add_argument("--no-agreement", action="store_true", help="skip alpha / kappa")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per peer run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--ids", choices=["int", "str"], default="int", help="task and worker ids in the frame"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per measurement; the fastest is reported"
    )
    parser.add_argument("--json", help="also write all rows to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    methods = args.methods.split(",")
    try:
        import labelworks.stats.agreement  # noqa: F401

        have_agreement = True
    except ImportError:
        have_agreement = False
    if not args.no_peers:
        needed: list[str] = []
        for method in methods:
            if method in PEER_AGGREGATORS:
                needed += PEER_MODULES["agg"]
            elif method in AGREEMENT and not args.no_agreement:
                needed += PEER_MODULES[
                    "krippendorff" if method == "krippendorff_alpha" else "statsmodels"
                ]
        require_peers(needed)
    rows = []
    print(HEADER)
    for label in args.sizes.split(","):
        size = SIZES[label.lower()]
        for method in methods:
            if method in AGGREGATORS:
                plan = [("agg", "ours")]
                if not args.no_peers and method in PEER_AGGREGATORS:
                    plan.append(("agg", "crowdkit"))
            elif method in AGREEMENT:
                if args.no_agreement:
                    continue
                if not have_agreement:
                    row = {
                        "size": size,
                        "method": method,
                        "impl": "ours",
                        "note": "skipped: labelworks.stats.agreement not importable",
                    }
                    rows.append(row)
                    show(row, None)
                    continue
                plan = [("agr", "ours")] + (
                    [] if args.no_peers else [("agr", peer) for peer in AGREEMENT_PEERS[method]]
                )
            else:
                raise SystemExit(f"unknown method {method!r}")
            ours = None
            for kind, impl in plan:
                limit = args.timeout if impl != "ours" else max(args.timeout, 1800.0)
                row = {"size": size, "method": method, "impl": impl, "ids": args.ids}
                row.update(measure(kind, impl, method, size, args, limit))
                ours = row if impl == "ours" else ours
                rows.append(row)
                show(row, ours)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(rows, out, indent=1)


if __name__ == "__main__":
    main()
