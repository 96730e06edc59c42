"""``labelworks qualification``: where each member stands in a project's qualification
test (or a training project's progress), and letting a blocked member try again."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from labelworks.cli.context import console, reported, state, utc_or_none
from labelworks.services import qualification as qualification_service
from labelworks.services.qualification_report import (
    QualificationReport,
    State,
    qualification_report,
    rule_words,
    standing_words,
)

app = typer.Typer(
    help="Qualification tests and training: members' standing, and retries after failing."
)


def _report_dict(report: QualificationReport) -> dict[str, Any]:
    """The same shape as ``GET /api/v1/projects/{project}/qualification``."""
    rule = report.rule
    return {
        "project": report.project,
        "rule": None
        if rule is None
        else {"items": rule.items, "pass": rule.pass_share, "retries": rule.retries},
        "training": report.training,
        "gold_items": report.gold_items,
        "members": [
            {
                "email": m.email,
                "name": m.name,
                "role": m.role,
                "vendor": m.vendor,
                "state": m.state.value,
                "qualified_at": utc_or_none(m.qualified_at),
                "failed_attempts": m.failed_attempts,
                "attempt": m.attempt,
                "answered": m.answered,
                "correct": m.correct,
                "questions_left": m.questions_left,
                "gold_answered": m.gold_answered,
                "gold_correct": m.gold_correct,
            }
            for m in report.members
        ],
    }


@app.command("status")
def status(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Each member's standing in the qualification test, blocked people first (in a
    training project: each trainee's progress and score)."""
    with reported():
        report = qualification_report(state(ctx).database(), project)
    if as_json:
        typer.echo(json.dumps(_report_dict(report), indent=2, ensure_ascii=False))
        return
    console.print(
        escape(f"{report.project}: {rule_words(report)}; {report.gold_items} gold items.")
    )
    table = Table("member", "role", "vendor", "state", "standing", "unseen questions")
    for m in report.members:
        passed = utc_or_none(m.qualified_at)
        words = standing_words(m, report)
        if passed is not None and m.state is State.QUALIFIED:
            words = f"{words} {passed[:16].replace('T', ' ')} UTC"
        table.add_row(
            escape(m.email),
            m.role,
            escape(m.vendor or "-"),
            m.state.value.replace("_", " "),
            escape(words),
            str(m.questions_left),
        )
    console.print(table)


@app.command("retry")
def retry(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    email: str = typer.Argument(..., help="the member's email"),
) -> None:
    """Let a member who has not passed take the qualification test again, from a fresh
    attempt on questions they have not seen."""
    with reported():
        qualification_service.allow_retry(state(ctx).database(), project, email)
    console.print(
        f"{escape(email)} may take the qualification test of {escape(project)} again: "
        "a fresh attempt starts with their next task"
    )
