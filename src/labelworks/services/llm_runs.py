"""Running a prompt over a project's items against a chat endpoint, for judges and
generation alike: skip what is answered already, send the rest with bounded concurrency
(``services.chat_endpoint``), and store every reply as it comes, in small transactions, so a
killed or cancelled run loses nothing and its re-run asks only for what is still missing."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from labelworks.config import Settings
from labelworks.domain.errors import InvalidInput, InvalidPrompt, NotFound
from labelworks.domain.judges import RequestKey, endpoint_problem, origin, request_hash
from labelworks.domain.prompt_templates import render_template
from labelworks.domain.prompts import parse_ref
from labelworks.services.chat_endpoint import ChatReply, ChatRequest, Endpoint, complete_all
from labelworks.storage import llm_replies as store
from labelworks.storage import prompts as prompt_store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.llm_replies import Reply
from labelworks.storage.prompts import PromptRow

__all__ = [
    "MAX_CONCURRENCY",
    "Planned",
    "RunOutcome",
    "check_run_options",
    "endpoint_for",
    "plan_request",
    "prompt_reading",
    "registered_prompt",
    "run_requests",
]

# Requests one judge or generation may have in flight (JudgeSpec and GenerateIn say the same).
MAX_CONCURRENCY = 64
# Replies are stored in batches this large, or this often, whichever comes first.
FLUSH_REPLIES = 200
FLUSH_SECONDS = 2.0
MAX_ATTEMPTS = 5
# A reply is kept to this many characters (a judge's reasoning can be long; the verdict is
# already read from it).
MAX_TEXT = 20_000

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True, slots=True)
class Planned:
    """One request to make: for ``item_id`` (its outputs ``swapped`` or not), or for a
    campaign input row (``row_key``) that is no item yet."""

    item_id: int | None
    swapped: bool
    request: ChatRequest
    row_key: str | None = None


@dataclass(frozen=True, slots=True)
class RunOutcome:
    requests: int
    cached: int
    ok: int
    malformed: int
    failed: int
    retries: int
    rate_limited: int
    prompt_tokens: int
    completion_tokens: int
    seconds: float


def endpoint_for(
    settings: Settings, base_url: str, model: str, key_variable: str | None
) -> Endpoint:
    """The endpoint with its key read from ``key_variable``, which the settings must list
    (``LABELWORKS_LLM_KEY_VARIABLES``)."""
    problem = endpoint_problem(base_url)
    if problem is not None:
        raise InvalidInput(f"endpoint {base_url[:200]!r} {problem}")
    allowed_origins = settings.llm_endpoint_list
    if allowed_origins and origin(base_url) not in {origin(o) for o in allowed_origins}:
        raise InvalidInput(
            f"endpoint {base_url[:200]!r} is not one this server may call: "
            f"LABELWORKS_LLM_ENDPOINTS lists {', '.join(allowed_origins)}"
        )
    key = None
    if key_variable is not None:
        allowed = settings.llm_key_variable_list
        if key_variable not in allowed:
            raise InvalidInput(
                f"api key variable {key_variable!r} is not one labelworks may send: add it "
                "to LABELWORKS_LLM_KEY_VARIABLES (now: "
                f"{', '.join(allowed) or 'none'})"
            )
        key = os.environ.get(key_variable)
        if not key:
            raise InvalidInput(f"the environment variable {key_variable} is not set")
    return Endpoint(base_url=base_url, model=model, api_key=key, timeout=settings.llm_timeout)


def registered_prompt(conn: Connection, ref: str) -> PromptRow:
    """Version ``NAME@V`` of a registry prompt (``NAME``: its latest)."""
    name, version = parse_ref(ref)
    row = prompt_store.version_of(conn, name, version)
    if row is None:
        raise NotFound(f"prompt {ref[:100]!r} is not in the registry (labelworks prompt list)")
    return row


def check_run_options(concurrency: int, temperature: float | None) -> None:
    """A generation's own options, refused before anything is read or sent."""
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise InvalidInput(f"concurrency must be from 1 to {MAX_CONCURRENCY}")
    if temperature is not None and not 0 <= temperature <= 2:
        raise InvalidInput("temperature must be from 0 to 2")


def prompt_reading(conn: Connection, ref: str, allowed: tuple[str, ...], reader: str) -> PromptRow:
    """Registry prompt ``ref``, which may read only ``allowed`` (``reader``: who gives them,
    for the refusal: "a pairwise judge's prompt")."""
    row = registered_prompt(conn, ref)
    extra = [v for v in row.content.variables if v not in allowed]
    if extra:
        raise InvalidPrompt(
            f"prompt {row.name}@{row.version} reads {extra[0]!r}; {reader} may read "
            f"{', '.join(allowed)}"
        )
    return row


def plan_request(
    prompt: PromptRow,
    model: str,
    item_id: int | None,
    swapped: bool,
    values: dict[str, Any],
    overrides: dict[str, Any],
    *,
    row_key: str | None = None,
) -> Planned:
    """The request asking ``prompt`` about one item: the template rendered with ``values``
    and the prompt's parameters, ``overrides`` (the judge's) taking precedence."""
    params = {**prompt.content.parameters, **{k: v for k, v in overrides.items() if v is not None}}
    text = render_template(prompt.content.template, values)
    messages = ({"role": "user", "content": text},)
    stop = params.get("stop")
    body = {
        "messages": list(messages),
        "temperature": params.get("temperature", 0.0),
        "max_tokens": params.get("max_tokens"),
        "top_p": params.get("top_p"),
        "stop": stop,
        "seed": params.get("seed"),
    }
    about: int | str = item_id if item_id is not None else f"row:{row_key}"
    key = request_hash(RequestKey(prompt.name, prompt.version, model, about, swapped, body))
    request = ChatRequest(
        key=key,
        messages=messages,
        temperature=body["temperature"],
        max_tokens=body["max_tokens"],
        top_p=body["top_p"],
        stop=None if stop is None else tuple(stop),
        seed=body["seed"],
    )
    return Planned(item_id, swapped, request, row_key)


class _Batcher:
    """Collects replies and writes them in batches (with ``also``, in the same transaction)."""

    def __init__(
        self,
        db: Database,
        project_id: int,
        task: str,
        job_id: int | None,
        also: Callable[[Connection, list[Reply]], None] | None,
    ) -> None:
        self.db = db
        self.project_id = project_id
        self.task = task
        self.job_id = job_id
        self.also = also
        self.pending: list[Reply] = []
        self.last = time.monotonic()

    def add(self, reply: Reply) -> None:
        self.pending.append(reply)
        due = time.monotonic() - self.last >= FLUSH_SECONDS
        if len(self.pending) >= FLUSH_REPLIES or due:
            self.flush()

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        self.last = time.monotonic()
        if not batch:
            return

        def work(conn: Connection) -> None:
            store.save(conn, self.project_id, self.task, batch, self.job_id, utcnow())
            if self.also is not None:
                self.also(conn, batch)

        self.db.run_write(work)


def run_requests(
    db: Database,
    *,
    project_id: int,
    task: str,
    endpoint: Endpoint,
    prompt: PromptRow,
    planned: Iterable[Planned],
    total: int,
    parse: Callable[[str], Any],
    read_back: Callable[[Any, bool], Any],
    concurrency: int,
    backoff: float,
    job_id: int | None = None,
    progress: Progress | None = None,
    also: Callable[[Connection, list[Reply]], None] | None = None,
) -> RunOutcome:
    """Ask for every planned request not answered yet and store each reply.

    ``parse`` reads a reply's text (``ValueError``: not in the form asked for, asked again,
    then kept as malformed); ``read_back(parsed, swapped)`` turns it into what is stored.
    ``progress(done, total)`` may raise to stop the run: the replies in hand are stored
    first. ``also`` runs in each batch's transaction (generation stores predictions there).
    """
    with db.read() as conn:
        known = store.answered(conn, project_id, task)
    counts = {"cached": 0, "done": 0}
    where: dict[str, Planned] = {}

    def fresh() -> Iterator[ChatRequest]:
        for plan in planned:
            key = str(plan.request.key)
            if key in known or key in where:
                counts["cached"] += 1
                continue
            where[key] = plan
            yield plan.request

    batcher = _Batcher(db, project_id, task, job_id, also)

    def on_reply(reply: ChatReply) -> None:
        plan = where.pop(str(reply.key))
        parsed = read_back(reply.parsed, plan.swapped) if reply.status == "ok" else None
        text = None if reply.text is None else reply.text[:MAX_TEXT]
        batcher.add(
            Reply(
                item_id=plan.item_id,
                row_key=plan.row_key,
                swapped=plan.swapped,
                prompt=prompt.name,
                prompt_version=prompt.version,
                model=endpoint.model,
                request_hash=str(reply.key),
                status=reply.status,
                text=text,
                parsed=parsed,
                error=reply.error,
                attempts=reply.attempts,
                prompt_tokens=reply.prompt_tokens,
                completion_tokens=reply.completion_tokens,
                seconds=reply.seconds,
            )
        )
        counts["done"] += 1
        if progress is not None:
            progress(counts["cached"] + counts["done"], total)

    if progress is not None:
        progress(0, total)
    try:
        summary = complete_all(
            endpoint,
            fresh(),
            on_reply=on_reply,
            concurrency=concurrency,
            max_attempts=MAX_ATTEMPTS,
            parse=parse,
            backoff=backoff,
        )
    finally:
        # Stopped or not, the replies in hand are paid for: keep them.
        batcher.flush()
    if progress is not None:
        progress(total, total)
    return RunOutcome(
        requests=summary.sent,
        cached=counts["cached"],
        ok=summary.ok,
        malformed=summary.malformed,
        failed=summary.failed,
        retries=summary.retries,
        rate_limited=summary.rate_limited,
        prompt_tokens=summary.prompt_tokens,
        completion_tokens=summary.completion_tokens,
        seconds=summary.seconds,
    )
