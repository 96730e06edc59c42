"""The ``labelworks`` command."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError

from labelworks import __version__
from labelworks.cli import db, gold, items, project, quality, user
from labelworks.cli import escalations as escalations_cli
from labelworks.cli import evaluation as evaluation_cli
from labelworks.cli import experiments as experiments_cli
from labelworks.cli import generations as generations_cli
from labelworks.cli import jobs as jobs_cli
from labelworks.cli import judges as judges_cli
from labelworks.cli import leaderboard as leaderboard_cli
from labelworks.cli import lots as lots_cli
from labelworks.cli import media as media_cli
from labelworks.cli import members as members_cli
from labelworks.cli import migrate as migrate_cli
from labelworks.cli import model as model_cli
from labelworks.cli import pii as pii_cli
from labelworks.cli import prompts as prompts_cli
from labelworks.cli import qualification as qualification_cli
from labelworks.cli import reviews as reviews_cli
from labelworks.cli import spec_history as spec_history_cli
from labelworks.cli import vendors as vendors_cli
from labelworks.cli import webhooks as webhooks_cli
from labelworks.cli.activity import activity_command
from labelworks.cli.agreement import agreement_command
from labelworks.cli.audit import audit_command
from labelworks.cli.capacity import capacity_command, forecast_command
from labelworks.cli.coaching import coaching_command
from labelworks.cli.consistency import consistency_command
from labelworks.cli.context import CliState, RootGroup, fail, wrap_only_on_terminals
from labelworks.cli.deliver import acceptance_command, deliver_command
from labelworks.cli.duplicates import duplicates_command
from labelworks.cli.people import people_command
from labelworks.cli.report import report_command
from labelworks.cli.sample import sample_command
from labelworks.cli.server import demo_command, serve_command
from labelworks.cli.simulate import simulate_command
from labelworks.cli.status import status_command
from labelworks.cli.transfer import export_command, import_command
from labelworks.config import Settings
from labelworks.domain.errors import InvalidInput, Location

app = typer.Typer(
    name="labelworks",
    help="Self-hosted ML data and annotation operations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=RootGroup,
)
app.add_typer(project.app, name="project")
project.app.command("history")(spec_history_cli.history_command)
project.app.command("check")(spec_history_cli.check_command)
app.add_typer(user.app, name="user")
app.add_typer(user.token_app, name="token")
app.add_typer(members_cli.app, name="member")
app.add_typer(db.app, name="db")
app.add_typer(items.app, name="items")
app.add_typer(gold.app, name="gold")
app.add_typer(qualification_cli.app, name="qualification")
app.add_typer(quality.consensus_app, name="consensus")
app.add_typer(quality.adjudication_app, name="adjudication")
app.add_typer(escalations_cli.app, name="escalations")
app.add_typer(reviews_cli.app, name="review")
app.add_typer(lots_cli.app, name="lots")
app.add_typer(experiments_cli.app, name="experiment")
app.add_typer(webhooks_cli.app, name="webhook")
app.add_typer(media_cli.app, name="media")
app.add_typer(pii_cli.app, name="pii")
app.add_typer(model_cli.app, name="model")
app.add_typer(evaluation_cli.predictions_app, name="predictions")
app.add_typer(evaluation_cli.app, name="eval")
app.command("leaderboard")(leaderboard_cli.leaderboard)
app.command("judge")(judges_cli.judge_command)
app.command("judges")(judges_cli.judges_command)
app.command("generate")(judges_cli.generate_command)
app.command("generations")(generations_cli.generations_command)
app.command("calibration")(judges_cli.calibration_command)
app.command("report")(report_command)
app.add_typer(prompts_cli.app, name="prompt")
app.add_typer(jobs_cli.app, name="jobs")
app.add_typer(migrate_cli.app, name="migrate")
app.command("worker")(jobs_cli.worker_command)
app.command("edge-cases")(escalations_cli.edge_cases_command)
app.command("import")(import_command)
app.command("export")(export_command)
app.command("status")(status_command)
app.command("serve")(serve_command)
app.command("demo")(demo_command)
app.command("simulate")(simulate_command)
app.command("audit")(audit_command)
app.command("consistency")(consistency_command)
app.command("acceptance")(acceptance_command)
app.command("agreement")(agreement_command)
app.command("activity")(activity_command)
app.command("deliver")(deliver_command)
app.command("duplicates")(duplicates_command)
app.command("people")(people_command)
app.command("sample")(sample_command)
app.command("vendors")(vendors_cli.vendors_command)
app.add_typer(vendors_cli.app, name="vendor")
app.command("coaching")(coaching_command)
app.command("forecast")(forecast_command)
app.command("capacity")(capacity_command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"labelworks {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="data directory (default ./labelworks-data, LABELWORKS_DATA_DIR)"
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", help="database URL (default: SQLite in the data directory)"
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="print the version"
    ),
) -> None:
    wrap_only_on_terminals()
    overrides: dict[str, object] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if database_url is not None:
        overrides["database_url"] = database_url
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        fail(_bad_setting(exc))
    ctx.obj = CliState(settings)


def _bad_setting(exc: ValidationError) -> InvalidInput:
    """The first bad setting, named as the environment variable that carries it."""
    problem = exc.errors()[0]
    name = f"LABELWORKS_{'_'.join(str(p) for p in problem['loc']).upper()}"
    given = repr(problem.get("input"))
    if len(given) > 60:  # a runaway value is named, not echoed whole
        given = f"{given[:57]}..."
    return InvalidInput(f"{problem['msg']} (got {given})", location=Location(field=name))


def main() -> None:
    app()
