"""The HTTP side of ``chat_endpoint``: the connection pools its workers share, and one
attempt at a chat completion.

Workers share pools of at most ``POOL_SIZE`` connections, one ``httpx.AsyncClient`` each,
rather than one pool of ``concurrency``: httpcore 1.0's pool assigns requests to connections
in time quadratic in its size (encode/httpcore#1035). At concurrency 64, one pool cost about
8 ms of the client's CPU per request and reached 100 requests/s of a possible 1,280; pools of
4 cost 0.85 ms and reached about 700 (bench/judge_throughput.py; pools of 1 to 8 were alike,
16 already slower). Each worker keeps to its own pool, and a pool has a connection for each
of its workers, so no request ever queues inside httpx.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx

from labelworks.services.chat_retry import Outcome, read_reply

__all__ = ["POOL_SIZE", "attempt", "client_pools"]

POOL_SIZE = 4


@asynccontextmanager
async def client_pools(
    workers: int,
    headers: dict[str, str],
    timeout: float,
    transport: httpx.AsyncBaseTransport | None,
) -> AsyncIterator[list[httpx.AsyncClient]]:
    """One client per worker, the same one for each run of ``POOL_SIZE`` workers; all of
    them when ``transport`` is given (a test's transport is one pool by its own choice)."""
    async with AsyncExitStack() as stack:
        if transport is not None:
            one = httpx.AsyncClient(transport=transport, headers=headers, timeout=timeout)
            shared = await stack.enter_async_context(one)
            yield [shared] * workers
            return
        # Loading the CA bundle costs milliseconds each time: once per run, not per pool.
        tls = httpx.create_ssl_context()
        clients = []
        for first in range(0, workers, POOL_SIZE):
            size = min(POOL_SIZE, workers - first)
            limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
            client = httpx.AsyncClient(headers=headers, timeout=timeout, limits=limits, verify=tls)
            clients.extend([await stack.enter_async_context(client)] * size)
        yield clients


async def attempt(
    client: httpx.AsyncClient,
    url: str,
    content: bytes,
    timeout: float,
    parse: Callable[[str], Any] | None,
    max_backoff: float,
) -> Outcome:
    """POST ``content`` to ``url`` once, at most ``timeout`` seconds in all, and judge the
    answer (``chat_retry.read_reply``); a timeout or a connection error is worth a retry."""
    try:
        # httpx's timeout is per phase (connect, each read): this bounds the whole attempt.
        async with asyncio.timeout(timeout):
            response = await client.post(url, content=content)
    except (TimeoutError, httpx.TimeoutException):
        return Outcome(error=f"timed out after {timeout:g} s", retry=True)
    except httpx.RequestError as exc:
        return Outcome(error=f"connection error: {str(exc) or type(exc).__name__}", retry=True)
    return read_reply(response.status_code, response.headers, response.content, parse, max_backoff)
