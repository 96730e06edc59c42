"""LLM judge throughput: ``services.chat_endpoint.complete_all`` against the local
chat-completions server (tests/chat_server.py), beside the official ``openai.AsyncOpenAI``
client driven the usual way (``asyncio.gather`` under an ``asyncio.Semaphore``).

    python bench/judge_throughput.py                          # 400 requests at 1, 8, 32, 64
    python bench/judge_throughput.py --requests 1000 --concurrency 8 64 --repeat 3

Two measurements:

1. requests per second with the server answering after ``--latency`` seconds (0.05): what
   concurrency buys; the ideal is concurrency / latency;
2. CPU seconds per 1,000 requests with latency 0 (concurrency 8): the client's own cost.

The server runs in its own process (this script with ``--serve``), so the CPU figures are
the client's alone. The peer comes with the ``peers`` extra; without it the table says so.
Both clients make the same requests (one user message, temperature 0) and read the text.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# tests/ holds the server; the repository root makes it importable as tests.chat_server.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.chat_server import ChatServer

from labelworks.services.chat_endpoint import ChatReply, ChatRequest, Endpoint, complete_all


def verdict(body: dict[str, Any]) -> str:
    """The server's answer: a short, fixed-size judge verdict."""
    return "yes" if len(body["messages"][-1]["content"]) % 2 else "no"


def serve(latency: float) -> None:
    """Run a ChatServer until stdin closes, its URL on the first line of stdout."""
    with ChatServer(verdict, latency=latency) as server:
        print(server.url, flush=True)
        sys.stdin.read()


class Server:
    """A ChatServer in a child process (its CPU is not ours)."""

    def __init__(self, latency: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(latency)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def prompt(i: int) -> str:
    return f"Is answer {i} correct? Reply yes or no."


def ours(url: str, n: int, concurrency: int) -> int:
    replies: list[ChatReply] = []
    requests = (
        ChatRequest(i, ({"role": "user", "content": prompt(i)},), temperature=0.0) for i in range(n)
    )
    complete_all(Endpoint(url, "bench"), requests, on_reply=replies.append, concurrency=concurrency)
    return sum(r.status == "ok" for r in replies)


def peer(url: str, n: int, concurrency: int) -> int:
    import openai

    async def main() -> list[str | None]:
        client = openai.AsyncOpenAI(base_url=url, api_key="bench", max_retries=4, timeout=60)
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int) -> str | None:
            async with gate:
                reply = await client.chat.completions.create(
                    model="bench",
                    messages=[{"role": "user", "content": prompt(i)}],
                    temperature=0.0,
                )
                return reply.choices[0].message.content

        try:
            return await asyncio.gather(*(one(i) for i in range(n)))
        finally:
            await client.close()

    return sum(text is not None for text in asyncio.run(main()))


def peer_missing() -> str | None:
    try:
        import openai
    except ImportError:
        return "openai is not installed (pip install -e '.[peers]'): peer not measured"
    return None if hasattr(openai, "AsyncOpenAI") else "this openai has no AsyncOpenAI"


def measure(
    client: Callable[[str, int, int], int], url: str, n: int, concurrency: int, repeat: int
) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest of ``repeat`` runs; every request must be answered."""
    best: tuple[float, float] | None = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        answered = client(url, n, concurrency)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if answered != n:
            raise SystemExit(f"{client.__name__}: {answered} of {n} answered")
        if best is None or wall < best[0]:
            best = (wall, cpu)
    assert best is not None
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--cpu-requests", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per figure, fastest shown")
    parser.add_argument("--serve", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return
    missing = peer_missing()
    clients: list[tuple[str, Callable[[str, int, int], int]]] = [("labelworks", ours)]
    if missing is None:
        clients.append(("openai.AsyncOpenAI", peer))
    else:
        print(missing, "\n")

    n = args.requests
    print(f"{n} requests, server latency {args.latency:g} s\n")
    print("| client | concurrency | wall s | requests/s | ideal | CPU s | CPU ms/request |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    with Server(args.latency) as server:
        for concurrency in args.concurrency:
            ideal = concurrency / args.latency if args.latency else float("inf")
            for name, client in clients:
                wall, cpu = measure(client, server.url, n, concurrency, args.repeat)
                print(f"| {name} | {concurrency} | {wall:.2f} | {n / wall:.0f} | {ideal:.0f} | "
                      f"{cpu:.2f} | {cpu / n * 1000:.2f} |", flush=True)  # fmt: skip

    m = args.cpu_requests
    print(f"\n{m} requests, server latency 0, concurrency 8\n")
    print("| client | CPU s per 1,000 | wall s | requests/s |")
    print("| --- | ---: | ---: | ---: |")
    with Server(0.0) as server:
        for name, client in clients:
            wall, cpu = measure(client, server.url, m, 8, args.repeat)
            print(f"| {name} | {cpu / m * 1000:.2f} | {wall:.2f} | {m / wall:.0f} |", flush=True)


if __name__ == "__main__":
    main()
