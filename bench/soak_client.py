"""An annotator client process for bench/soak.py: a few threads cycling next + submit.

bench/soak.py starts several of these and SIGKILLs one now and then, so that the server sees
connections vanish mid-request and mid-body the way a crashed browser or a dead laptop
leaves them. Started with one JSON argument::

    {"base": "http://127.0.0.1:PORT", "project": "soak", "generation": 3, "seed": 7,
     "slow": 0.05, "timeout": 60, "annotators": [[slot, token], ...]}

Each thread has its own keep-alive ``httpx.Client`` and one annotator's token, and loops
``POST /api/v1/projects/{p}/next`` then ``POST /api/v1/assignments/{id}/submit`` until its
stdin closes (soak.py's way of stopping it gracefully). A fraction ``slow`` of submits send
half the body, pause 0.2–1 s, then send the rest (a slow uplink; a kill in the pause leaves
a half-sent body). Idempotency keys are ``g<generation>-<assignment id>``: a restarted
annotator gets the same lease back but submits with a new key, as a reloaded page would.

Every event goes to stdout as one tab-separated line, written with a single ``os.write``
(atomic on a pipe below PIPE_BUF, so a kill never leaves half a line inside another)::

    B <slot> n                              a next request starts
    B <slot> s <aid> <key> <slow>           a submit starts
    H <slot>                                a slow submit has sent half its body
    N <slot> <ms> <status>                  a next ended (<status>: HTTP code or exception)
    S <slot> <ms> <status> <aid> <key> <slow>   a submit ended
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx

LABELS = ("positive", "negative", "neutral")


def emit(*fields: object) -> None:
    os.write(1, ("\t".join(str(f) for f in fields) + "\n").encode())


def slow_body(slot: int, body: bytes, pause: float) -> Iterator[bytes]:
    half = len(body) // 2
    yield body[:half]
    emit("H", slot)  # httpx asks for the next chunk once the first is on the wire
    time.sleep(pause)
    yield body[half:]


def annotate(cfg: dict[str, Any], slot: int, token: str, stop: threading.Event) -> None:
    rng = random.Random(f"{cfg['seed']}-{slot}")
    project, gen = cfg["project"], cfg["generation"]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=cfg["base"], headers=headers, timeout=cfg["timeout"]) as client:
        while not stop.is_set():
            try:
                cycle(client, rng, project, gen, slot, cfg["slow"])
            except Exception as exc:  # reported, never a silently dead annotator
                emit("E", slot, f"{type(exc).__name__}: {exc}"[:300].replace("\n", " "))
                time.sleep(0.5)


def cycle(
    client: httpx.Client, rng: random.Random, project: str, gen: int, slot: int, slow_share: float
) -> None:
    emit("B", slot, "n")
    t0 = time.perf_counter()
    try:
        r = client.post(f"/api/v1/projects/{project}/next")
        status: object = r.status_code
    except httpx.HTTPError as exc:
        status = type(exc).__name__
    emit("N", slot, f"{(time.perf_counter() - t0) * 1000:.2f}", status)
    if status == 204:  # nothing left: soak.py tops the project up
        time.sleep(0.5)
        return
    if status != 200:
        time.sleep(0.1)
        return
    aid = r.json()["assignment_id"]
    key = f"g{gen}-{aid}"
    body = json.dumps(
        {
            "value": {"sentiment": rng.choice(LABELS)},
            "seconds": round(rng.uniform(2, 30), 1),
            "idempotency_key": key,
        }
    ).encode()
    slow = int(rng.random() < slow_share)
    emit("B", slot, "s", aid, key, slow)
    t0 = time.perf_counter()
    try:
        if slow:
            r = client.post(
                f"/api/v1/assignments/{aid}/submit",
                content=slow_body(slot, body, rng.uniform(0.2, 1.0)),
                headers={
                    "Content-Type": "application/json",
                    "Content-Length": str(len(body)),
                },
            )
        else:
            r = client.post(
                f"/api/v1/assignments/{aid}/submit",
                content=body,
                headers={"Content-Type": "application/json"},
            )
        status = r.status_code
    except httpx.HTTPError as exc:
        status = type(exc).__name__
    emit("S", slot, f"{(time.perf_counter() - t0) * 1000:.2f}", status, aid, key, slow)
    if status != 200:
        time.sleep(0.1)


def main() -> None:
    cfg = json.loads(sys.argv[1])
    stop = threading.Event()
    threads = [
        threading.Thread(target=annotate, args=(cfg, slot, token, stop), daemon=True)
        for slot, token in cfg["annotators"]
    ]
    for t in threads:
        t.start()
    sys.stdin.buffer.read()  # soak.py closes our stdin to stop us gracefully
    stop.set()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
