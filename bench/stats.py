"""Benchmark labelworks.stats against crowd-kit, krippendorff and statsmodels, side by side.

Every measurement runs in its own subprocess so that peak memory (ru_maxrss) is per method
and a slow peer can be stopped by a timeout. Data: ``simulate_crowd`` — 500 annotators,
5 classes, 3-5 labels per item, annotator-specific confusion matrices, 10% spammers — seeded,
so every implementation sees the same table.

    .venv-peers/bin/python bench/stats.py            # 10k, 100k, 1M, peers time out after 120 s
    .venv/bin/python bench/stats.py --sizes 10m --no-peers   # ours only at 10M labels
    .venv-peers/bin/python bench/stats.py --sizes 100k --methods DawidSkene,GLAD --timeout 600

The peers come with the ``peers`` extra, kept out of the main venv; ``bash .ci/peers`` builds
their venv, ``.venv-peers``.

Columns: seconds (fit only, data preparation excluded), peak MB (whole subprocess, data
included), data MB (peak before fitting), accuracy against the simulated truth.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import time
from typing import Any

import numpy as np

AGGREGATORS = ["MajorityVote", "Wawa", "DawidSkene", "OneCoinDawidSkene", "GLAD", "MACE"]
# crowd-kit 1.4.2's Wawa.predict fails under scikit-learn >= 1.6 (missing __sklearn_tags__).
PEER_AGGREGATORS = ["MajorityVote", "DawidSkene", "OneCoinDawidSkene", "GLAD", "MACE"]
AGREEMENT = ["krippendorff_alpha", "fleiss_kappa", "cohen_kappa"]
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


def crowdkit_frame(r: Any) -> Any:
    import pandas as pd

    return pd.DataFrame({"task": r.item, "worker": r.annotator, "label": r.label})


def run_aggregator(impl: str, method: str, size: int, seed: int) -> dict[str, Any]:
    c = crowd(size, seed)
    r, truth = c.ratings, c.truth
    if impl == "ours":
        import labelworks.stats.aggregation as agg

        est = getattr(agg, method)()
        data_mb = peak_mb()
        start = time.perf_counter()
        est.fit(r)
        seconds = time.perf_counter() - start
        accuracy = float((est.labels_.codes == truth).mean())
    else:
        import crowdkit.aggregation as ck

        df = crowdkit_frame(r)
        del c, r
        est = getattr(ck, method)()
        data_mb = peak_mb()
        start = time.perf_counter()
        labels = est.fit_predict(df)
        seconds = time.perf_counter() - start
        accuracy = float((labels.to_numpy() == truth[labels.index.to_numpy()]).mean())
    return {"seconds": seconds, "accuracy": accuracy, "data_mb": data_mb}


def run_agreement(impl: str, method: str, size: int, seed: int) -> dict[str, Any]:
    if method == "cohen_kappa":
        # Two raters on size/2 items, each with its own confusion matrix.
        rng = np.random.default_rng(seed)
        n = size // 2
        truth = rng.integers(0, 5, n)
        labels = [np.where(rng.random(n) < acc, truth, rng.integers(0, 5, n)) for acc in (0.8, 0.7)]
        from labelworks.stats import Ratings

        r = Ratings.from_columns(
            np.tile(np.arange(n), 2), np.repeat([0, 1], n), np.concatenate(labels)
        )
    else:
        per_item = (4, 4) if method == "fleiss_kappa" else (3, 5)
        r = crowd(size, seed, per_item).ratings
    if impl == "ours":
        from labelworks.stats import agreement

        fn = getattr(agreement, method)
        kwargs = {"level": "nominal"} if method == "krippendorff_alpha" else {}
        data_mb = peak_mb()
        start = time.perf_counter()
        value = float(fn(r, **kwargs))
    elif method == "krippendorff_alpha":
        import krippendorff

        matrix = np.full((r.n_annotators, r.n_items), np.nan)
        matrix[r.annotator, r.item] = r.label
        data_mb = peak_mb()
        start = time.perf_counter()
        value = float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"))
    elif method == "fleiss_kappa":
        from statsmodels.stats.inter_rater import fleiss_kappa

        table = r.counts()
        data_mb = peak_mb()
        start = time.perf_counter()
        value = float(fleiss_kappa(table))
    else:
        from statsmodels.stats.inter_rater import cohens_kappa

        wide = r.wide()
        table = np.bincount(wide[:, 0] * 5 + wide[:, 1], minlength=25).reshape(5, 5)
        data_mb = peak_mb()
        start = time.perf_counter()
        value = float(cohens_kappa(table).kappa)
    return {"seconds": time.perf_counter() - start, "value": value, "data_mb": data_mb}


def worker(args: argparse.Namespace) -> None:
    kind, impl, method = args.worker.split(":")
    run = run_aggregator if kind == "agg" else run_agreement
    result = run(impl, method, args.size, args.seed)
    result["peak_mb"] = peak_mb()
    print(json.dumps(result))


def measure(
    kind: str, impl: str, method: str, size: int, seed: int, timeout: float
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        f"{kind}:{impl}:{method}",
        "--size",
        str(size),
        "--seed",
        str(seed),
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


def show(row: dict[str, Any]) -> None:
    def fmt(key: str, spec: str) -> str:
        return format(row[key], spec) if key in row else "-"

    score = fmt("accuracy", ".4f") if "accuracy" in row else fmt("value", ".4f")
    print(
        f"{row['size']:>10,} {row['method']:<19} {row['impl']:<13} "
        f"{fmt('seconds', '9.3f'):>9} {fmt('peak_mb', '8.0f'):>8} {fmt('data_mb', '8.0f'):>8} "
        f"{score:>8}  {row.get('note', '')}",
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
    print(
        f"{'labels':>10} {'method':<19} {'impl':<13} {'seconds':>9} {'peak MB':>8} "
        f"{'data MB':>8} {'acc/val':>8}"
    )
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
                    show(row)
                    continue
                peer = "krippendorff" if method == "krippendorff_alpha" else "statsmodels"
                plan = [("agr", "ours")] + ([] if args.no_peers else [("agr", peer)])
            else:
                raise SystemExit(f"unknown method {method!r}")
            for kind, impl in plan:
                limit = args.timeout if impl != "ours" else max(args.timeout, 1800.0)
                row = {"size": size, "method": method, "impl": impl}
                row.update(measure(kind, impl, method, size, args.seed, limit))
                rows.append(row)
                show(row)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(rows, out, indent=1)


if __name__ == "__main__":
    main()
