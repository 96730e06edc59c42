"""The load of bench/soak.py: annotator client processes (started, killed, replaced), aborted
exports, top-ups, and the tallies their events land in between two samples."""

from __future__ import annotations

import json
import math
import random
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from foundation_import_export import sentence  # bench/ is on sys.path: soak.py put it there

HERE = Path(__file__).resolve().parent
WORK = "soak"
EXPORTS = "exports"
FORMATS = ("jsonl", "csv", "parquet")


# --------------------------------------------------------------------------- tallies


@dataclass
class Interval:
    """What the clients and the load threads saw since the last sample."""

    started: float = field(default_factory=time.monotonic)
    next_ms: list[float] = field(default_factory=list)
    submit_ms: list[float] = field(default_factory=list)
    cycles: int = 0
    slow_submits: int = 0
    statuses: Counter[str] = field(default_factory=Counter)  # "next 409", "submit ReadTimeout"
    exhausted: int = 0
    client_errors: list[str] = field(default_factory=list)
    aborts: list[dict[str, Any]] = field(default_factory=list)
    kills: list[dict[str, Any]] = field(default_factory=list)
    topups: int = 0
    client_deaths: list[int] = field(default_factory=list)  # exit codes, SIGKILLs excluded


class Tally:
    """Shared by the client readers, the abort, kill and top-up threads and the sampler."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.current = Interval()
        self.acked: set[tuple[int, str]] = set()  # (assignment id, idempotency key)
        self.sent: set[tuple[int, str]] = set()
        self.statuses: Counter[str] = Counter()
        self.need_items = threading.Event()

    def swap(self) -> Interval:
        with self.lock:
            done, self.current = self.current, Interval()
        return done

    def status(self, what: str, status: str) -> None:
        # under self.lock
        self.current.statuses[f"{what} {status}"] += 1
        self.statuses[f"{what} {status}"] += 1


class ClientProcess:
    """One bench/soak_client.py process and the thread that reads its event lines."""

    generations = 0

    def __init__(
        self, annotators: list[tuple[int, str]], cfg: dict[str, Any], tally: Tally, log: IO[bytes]
    ) -> None:
        ClientProcess.generations += 1
        self.annotators = annotators
        self.tally = tally
        self.inflight: dict[int, str] = {}  # slot -> "n" | "s" | "h"
        payload = {**cfg, "generation": ClientProcess.generations, "annotators": annotators}
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "soak_client.py"), json.dumps(payload)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        tally = self.tally
        for raw in self.proc.stdout:
            if not raw.endswith(b"\n"):
                break  # the last line of a killed process
            f = raw.decode().rstrip("\n").split("\t")
            slot = int(f[1])
            with tally.lock:
                cur = tally.current
                if f[0] == "B":
                    self.inflight[slot] = f[2]
                    if f[2] == "s":
                        tally.sent.add((int(f[3]), f[4]))
                elif f[0] == "H":
                    self.inflight[slot] = "h"
                elif f[0] == "N":
                    self.inflight.pop(slot, None)
                    if f[3] == "200":
                        cur.next_ms.append(float(f[2]))
                    elif f[3] == "204":
                        cur.exhausted += 1
                        tally.need_items.set()
                    else:
                        tally.status("next", f[3])
                elif f[0] == "S":
                    self.inflight.pop(slot, None)
                    if f[3] == "200":
                        cur.cycles += 1
                        tally.acked.add((int(f[4]), f[5]))
                        if f[6] == "1":
                            cur.slow_submits += 1  # its latency includes our own pause
                        else:
                            cur.submit_ms.append(float(f[2]))
                    else:
                        tally.status("submit", f[3])
                elif f[0] == "E":
                    cur.client_errors.append(f[2])

    def kill(self) -> dict[str, Any]:
        """SIGKILL; what was in flight then (read once the pipe is drained)."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.reader.join()
        states = Counter(self.inflight.values())
        return {
            "pid": self.proc.pid,
            "mid_next": states["n"],
            "mid_submit": states["s"],
            "mid_body": states["h"],
        }

    def stop(self, timeout: float) -> None:
        """Close stdin: every thread finishes its cycle and the process exits."""
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join()


class Annotators:
    """The client processes: started, killed and replaced, stopped."""

    def __init__(
        self, tokens: list[str], per_process: int, cfg: dict[str, Any], tally: Tally, log: Path
    ) -> None:
        slots = list(enumerate(tokens))
        self.groups = [slots[i : i + per_process] for i in range(0, len(slots), per_process)]
        self.cfg, self.tally = cfg, tally
        self.log = log.open("ab")
        self.procs: list[ClientProcess] = []
        self.lock = threading.Lock()

    def start(self) -> None:
        with self.lock:
            self.procs = [ClientProcess(g, self.cfg, self.tally, self.log) for g in self.groups]

    def kill_one(self, rng: random.Random) -> dict[str, Any]:
        with self.lock:
            i = rng.randrange(len(self.procs))
            victim = self.procs[i]
            out = victim.kill()
            self.procs[i] = ClientProcess(victim.annotators, self.cfg, self.tally, self.log)
        return out

    def revive(self) -> list[int]:
        """Restart the client processes that exited on their own; their exit codes."""
        codes = []
        with self.lock:
            for i, p in enumerate(self.procs):
                rc = p.proc.poll()
                if rc is not None:
                    p.reader.join()
                    codes.append(rc)
                    self.procs[i] = ClientProcess(p.annotators, self.cfg, self.tally, self.log)
        return codes

    def stop(self, timeout: float = 90) -> None:
        with self.lock:
            for p in self.procs:
                if p.proc.stdin is not None and not p.proc.stdin.closed:
                    p.proc.stdin.close()  # all at once, then wait for each
            for p in self.procs:
                p.stop(timeout)
            self.procs = []

    def close(self) -> None:
        self.stop(5)
        self.log.close()


# --------------------------------------------------------------------------- load


def aborted_export(
    port: int,
    token: str,
    fmt: str,
    rng: random.Random,
    full: bool = False,
    project: str = EXPORTS,
) -> dict[str, Any]:
    """Start an export, read a few KB (or everything, ``full``) and drop the connection."""
    want = math.inf if full else rng.randint(2, 64) * 1024
    rst = not full and rng.random() < 0.5
    out: dict[str, Any] = {"format": fmt, "rst": rst, "bytes": 0}
    t0 = time.perf_counter()
    sock = socket.create_connection(("127.0.0.1", port), timeout=120 if full else 30)
    try:
        sock.sendall(
            (
                f"GET /api/v1/projects/{project}/export?format={fmt} HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
                f"Connection: {'close' if full else 'keep-alive'}\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(65536)
            if not chunk:
                break
            head += chunk
        out["ttfb_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        line = head.split(b"\r\n", 1)[0].split()
        out["status"] = line[1].decode() if len(line) > 1 else "no response"
        got = len(head.partition(b"\r\n\r\n")[2])
        while got < want:
            chunk = sock.recv(65536)
            if not chunk:
                out["complete"] = True
                break
            got += len(chunk)
        out["bytes"] = got
    except OSError as exc:
        out["status"] = type(exc).__name__
    finally:
        if rst:  # SO_LINGER 0: close() sends RST, as a killed browser tab may
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    out["seconds"] = round(time.perf_counter() - t0, 2)
    return out


def every(
    seconds: float, stop: threading.Event, rng: random.Random, act: Callable[[], None]
) -> None:
    """Start ``act()`` at random intervals averaging ``seconds`` until ``stop``."""
    due = time.monotonic()
    while True:
        due += rng.uniform(0.5, 1.5) * seconds
        if stop.wait(max(0.0, due - time.monotonic())):
            return
        act()


def top_up(base: str, token: str, n: int, batch: int) -> None:
    rng = random.Random(batch)
    body = "".join(
        json.dumps({"external_id": f"top{batch}-{i}", "text": f"{sentence(rng, 92)} #t{batch}.{i}"})
        + "\n"
        for i in range(n)
    )
    r = httpx.post(
        f"{base}/api/v1/projects/{WORK}/items",
        content=body.encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"},
        timeout=120,
    )
    r.raise_for_status()


def poke(base: str, token: str, workers: int) -> None:
    """A few requests to sync routes: anyio retires idle pool threads only when work arrives."""
    for _ in range(3 * workers):
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as c:
            c.get("/api/v1/projects")
