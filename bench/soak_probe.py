"""What bench/soak.py measures of the server from outside: /proc, socket tables, the database.

Everything here reads state the operating system or the database already keeps; nothing is
asked of the server itself, so a server whose request handling is wedged is still measured.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# /proc/net/tcp state codes (include/net/tcp_states.h).
ESTABLISHED = "01"
CLOSE_WAIT = "08"


def _ppid(pid: str) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rpartition(")")[2].split()[1])


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants (uvicorn's supervisor and its worker processes)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            parent = _ppid(entry)
            if parent is not None:
                children.setdefault(parent, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return sorted(tree)


def _status(pid: int) -> dict[str, str]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


@dataclass
class ServerFigures:
    """Summed over the server's processes (the uvicorn parent included)."""

    pids: list[int] = field(default_factory=list)
    rss_mb: float = 0.0
    threads: int = 0
    fds: int = 0
    db_file_fds: int = 0  # SQLite: open handles on the database file, one per connection
    per_process: dict[int, dict[str, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def server_figures(root: int, db_file: Path | None) -> ServerFigures:
    figures = ServerFigures()
    target = str(db_file.resolve()) if db_file is not None else None
    for pid in process_tree(root):
        try:
            status = _status(pid)
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:  # exited between the listing and the read
            continue
        on_db = 0
        if target is not None:
            for fd in fds:
                with contextlib.suppress(OSError):
                    on_db += os.readlink(f"/proc/{pid}/fd/{fd}") == target
        rss = int(status.get("VmRSS", "0 kB").split()[0]) / 1024
        threads = int(status.get("Threads", "0"))
        figures.pids.append(pid)
        figures.rss_mb += rss
        figures.threads += threads
        figures.fds += len(fds)
        figures.db_file_fds += on_db
        figures.per_process[pid] = {
            "rss_mb": round(rss, 1),
            "threads": threads,
            "fds": len(fds),
            "db_file_fds": on_db,
        }
    figures.rss_mb = round(figures.rss_mb, 1)
    return figures


def tcp_states(port: int) -> dict[str, int]:
    """Server-side sockets on ``port`` (local port = the server's) by state, IPv4 and IPv6."""
    counts = {"established": 0, "close_wait": 0, "other": 0}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, state = parts[1], parts[3]
            if int(local.rpartition(":")[2], 16) != port or state == "0A":  # 0A: LISTEN
                continue
            if state == ESTABLISHED:
                counts["established"] += 1
            elif state == CLOSE_WAIT:
                counts["close_wait"] += 1
            else:
                counts["other"] += 1
    return counts


class DatabaseProbe:
    """Connections the server holds to its database.

    PostgreSQL: ``pg_stat_activity`` rows for the scratch database, read over a connection to
    the ``postgres`` database (so the probe is not counted), with how many sit idle inside a
    transaction. SQLite: the server's open handles on the database file (counted in
    ``server_figures``) and the size of the write-ahead log, which a reader that never ends
    keeps from being checkpointed.
    """

    def __init__(self, url: str, admin_url: str) -> None:
        self.kind = "postgresql" if url.startswith("postgresql") else "sqlite"
        self.name = url.rpartition("/")[2]
        self.db_file = Path(url.removeprefix("sqlite:///")) if self.kind == "sqlite" else None
        self._conn: Any = None
        if self.kind == "postgresql":
            import psycopg

            self._conn = psycopg.connect(admin_url, autocommit=True)

    def read(self, figures: ServerFigures) -> dict[str, float]:
        if self._conn is None:
            assert self.db_file is not None
            wal = Path(f"{self.db_file}-wal")
            size = wal.stat().st_size if wal.exists() else 0
            return {"db_conns": figures.db_file_fds, "db_extra": round(size / 2**20, 1)}
        row = self._conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE state = 'idle in transaction'),"
            " count(*) FILTER (WHERE state = 'active')"
            " FROM pg_stat_activity WHERE datname = %s",
            (self.name,),
        ).fetchone()
        return {"db_conns": row[0], "db_extra": row[1], "db_active": row[2]}

    @property
    def extra_name(self) -> str:
        return "WAL MB" if self.kind == "sqlite" else "idle-tx"

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
