"""``labelworks sample``: draw items of a project (random, stratified, diverse or
uncertain) and copy them into another project, noting what was sampled and why."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from labelworks.cli.context import console, progress_bar, reported, state
from labelworks.cli.jobs import queue_here
from labelworks.domain.errors import InvalidInput
from labelworks.services import sampling
from labelworks.services.sampling import SampleResult


def sample_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project to sample from"),
    strategy: str = typer.Option(
        ..., "--strategy", help="random, stratified, diverse or uncertain"
    ),
    n: int = typer.Option(..., "--n", help="how many items to sample"),
    into: str = typer.Option(..., "--into", help="project to copy the sample into"),
    by: str | None = typer.Option(
        None,
        "--by",
        help="stratified: the payload (else metadata) key to stratify by; "
        "diverse: the payload's text key (TF-IDF)",
    ),
    vectors: str | None = typer.Option(
        None, "--vectors", help="diverse: payload key of each item's embedding (numbers)"
    ),
    measure: str = typer.Option(
        "least", "--measure", help="uncertain: least (confident), margin or entropy"
    ),
    equal: bool = typer.Option(
        False, "--equal", help="stratified: the same number from each stratum"
    ),
    seed: int | None = typer.Option(None, "--seed", help="seed for random draws"),
    preview: bool = typer.Option(
        False, "--preview", help="show the picks (and allocation) without copying"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
    background: bool = typer.Option(
        False, "--background", help="queue a job for a worker or the server and return"
    ),
) -> None:
    """Sample N items of PROJECT into OTHER_PROJECT; each copy's metadata says where it came
    from and why (sampled_from), and the audit trail records the parameters."""
    if background:
        if preview:
            with reported():
                raise InvalidInput("--preview shows the picks here: leave out --background")
        params = {"strategy": strategy, "n": n, "into": into, "by": by, "vectors": vectors,
                  "measure": measure, "equal": equal, "seed": seed}  # fmt: skip
        with reported():
            queue_here(ctx, "sample", params, project)
        return
    with reported(), progress_bar("sampling") as update:
        result = sampling.sample_items(
            state(ctx).database(),
            project,
            strategy=strategy,
            n=n,
            into=into,
            by=by,
            vectors=vectors,
            measure=measure,
            equal=equal,
            seed=seed,
            preview=preview,
            progress=update,
            data_dir=state(ctx).settings.data_dir,
        )
    if as_json:
        typer.echo(json.dumps(sampling.result_dict(result), indent=2, ensure_ascii=False))
        return
    _print(result)


def _print(result: SampleResult) -> None:
    if result.allocation:
        table = Table("stratum", "items", "sampled")
        for name, count in result.allocation.items():
            table.add_row(escape(name), f"{result.available[name]:,}", f"{count:,}")
        console.print(table)
    seed = f", seed {result.seed}" if result.seed is not None else ""
    if result.preview:
        ids = ", ".join(str(p.item) for p in result.picks[:20])
        more = f" … +{len(result.picks) - 20:,}" if len(result.picks) > 20 else ""
        console.print(
            f"Would copy {len(result.picks):,} items ({result.strategy}{seed}) from "
            f"{escape(result.project)} into {escape(result.into)}: {ids}{more}",
            highlight=False,
        )
        return
    skipped = (
        f"; {result.skipped_duplicates:,} were there already" if result.skipped_duplicates else ""
    )
    console.print(
        f"Sampled {len(result.picks):,} items ({result.strategy}{seed}) from "
        f"{escape(result.project)} into {escape(result.into)}: {result.inserted:,} copied"
        f"{skipped}{sampling.suggestions_note(result)}.",
        highlight=False,
    )
