"""The Prompts pages: every prompt (``/prompts``) and one prompt (``/prompts/{prompt}``): its
versions, the chosen version's template, variables and parameters, and the diff between any
two versions chosen in the URL (``?a=1&b=3``, shareable), as on a project's spec history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from labelworks.domain.prompts import check_prompt_name
from labelworks.domain.spec_diff import changed_lines, diff_lines
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import MAX_ROW_ID
from labelworks.server.web.pages import page
from labelworks.services import prompts

router = APIRouter(include_in_schema=False)

Chosen = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)]


@router.get("/prompts", response_class=HTMLResponse)
def prompts_page(request: Request, db: DB, actor: CurrentActor) -> HTMLResponse:
    """Every prompt with its latest version, how many it has and when it last changed."""
    return page(request, "prompts.html", actor, listed=prompts.list_prompts(db, actor=actor))


@router.get("/prompts/{prompt}", response_class=HTMLResponse)
def prompt_page(
    request: Request,
    prompt: str,
    db: DB,
    actor: CurrentActor,
    version: Chosen = None,
    a: Chosen = None,
    b: Chosen = None,
) -> HTMLResponse:
    """Version ``version`` (by default the latest) whole, the versions, and the diff from
    ``a`` to ``b`` (by default the one before the latest against the latest)."""
    check_prompt_name(prompt)
    found = prompts.prompt_detail(db, prompt, version, actor=actor)
    latest = found.versions[-1].version
    b = latest if b is None else b
    a = max(1, b - 1) if a is None else a
    compared = prompts.diff_prompt(db, prompt, a, b, actor=actor)
    added, removed = changed_lines(compared.diff)
    return page(
        request,
        "prompt.html",
        actor,
        shown=found.row,
        versions=list(reversed(found.versions)),
        latest=latest,
        a=a,
        b=b,
        diff=diff_lines(compared.diff),
        added=added,
        removed=removed,
    )
