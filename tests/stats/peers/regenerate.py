"""Recompute reference_values.json from the installed peer libraries.

Run from the repository root in the peers environment (docs/testing.md):

    .venv-peers/bin/python -m tests.stats.peers.regenerate

Every check's peer side runs on its seeded input; the file records each value with a hash
of the input it was computed on, and the versions of the peers and of numpy/scipy/pandas.
Only the peer side is stored: labelworks' own results are never written into the fixture.
"""

from __future__ import annotations

import json
import platform
import sys
import warnings
from importlib.metadata import version
from typing import Any

from tests.stats.peers import agreement_checks, crowd_checks, leaderboard_checks
from tests.stats.peers.check import (
    REFERENCE_PATH,
    REGENERATE,
    Check,
    all_cases,
    case_key,
    fingerprint,
    plain,
)

CHECKS: list[Check] = [*agreement_checks.CHECKS, *crowd_checks.CHECKS, *leaderboard_checks.CHECKS]
DISTRIBUTIONS = [
    "crowd-kit", "irrCAC", "krippendorff", "scikit-learn", "statsmodels", "pandas", "numpy",
    "scipy",
]  # fmt: skip


def compute() -> dict[str, Any]:
    """Every check's peer value on every case, with the input hashes and the versions."""
    checks: dict[str, Any] = {}
    for check, params in all_cases(CHECKS):
        data = check.data(params)
        with warnings.catch_warnings():
            # irrCAC assigns into DataFrame slices (pandas' SettingWithCopyWarning).
            warnings.simplefilter("ignore")
            value = plain(check.theirs(data, params))
        stored = {"input": fingerprint(data), "value": value}
        checks.setdefault(check.name, {"doc": check.doc, "cases": {}})["cases"][
            case_key(params)
        ] = stored
    return {
        "about": "Peer libraries' results on seeded inputs, compared with labelworks' by "
        "tests/stats/peers/test_reference_values.py. Regenerate: " + REGENERATE + ".",
        "versions": {"python": platform.python_version()}
        | {name: version(name) for name in DISTRIBUTIONS},
        "checks": checks,
    }


def dumps(reference: dict[str, Any]) -> str:
    """JSON with one line per case (values compact) so diffs show which cases moved."""
    lines = ["{"]
    lines.append(f'  "about": {json.dumps(reference["about"], ensure_ascii=False)},')
    lines.append(f'  "versions": {json.dumps(reference["versions"])},')
    lines.append('  "checks": {')
    names = list(reference["checks"])
    for i, name in enumerate(names):
        check = reference["checks"][name]
        lines.append(f"    {json.dumps(name)}: {{")
        lines.append(f'      "doc": {json.dumps(check["doc"], ensure_ascii=False)},')
        lines.append('      "cases": {')
        keys = list(check["cases"])
        for j, key in enumerate(keys):
            body = json.dumps(check["cases"][key], separators=(",", ":"), allow_nan=False)
            lines.append(f"        {json.dumps(key)}: {body}" + ("," if j < len(keys) - 1 else ""))
        lines.append("      }")
        lines.append("    }" + ("," if i < len(names) - 1 else ""))
    lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    reference = compute()
    REFERENCE_PATH.write_text(dumps(reference), encoding="utf-8")
    n = sum(len(c["cases"]) for c in reference["checks"].values())
    print(f"wrote {n} cases of {len(reference['checks'])} checks to {REFERENCE_PATH}")
    print("versions:", ", ".join(f"{k} {v}" for k, v in reference["versions"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
