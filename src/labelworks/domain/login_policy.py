"""When a login attempt is refused before its password is even checked.

Failures count per identity (the normalised email) and client address, so one attacker
cannot lock a person out from everywhere; a much larger budget per identity alone bounds a
guessing attack spread over many addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class LoginRules:
    per_client: int = 5  # failures from one client address within the window
    per_identity: int = 50  # failures from all addresses within the window
    window_seconds: float = 300.0
    session_seconds: float = 14 * 24 * 3600.0

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self.window_seconds)


def lockout_seconds(
    failures: list[tuple[str, datetime]], client: str, now: datetime, rules: LoginRules
) -> int:
    """Seconds until ``client`` may try this identity again (0: it may try now).

    ``failures`` are ``(client, when)`` within the window, oldest first.
    """
    recent = [(c, t) for c, t in failures if now - t < rules.window]
    mine = [t for c, t in recent if c == client]
    waits = []
    if len(mine) >= rules.per_client:
        waits.append(rules.window - (now - mine[-rules.per_client]))
    if len(recent) >= rules.per_identity:
        waits.append(rules.window - (now - recent[-rules.per_identity][1]))
    if not waits:
        return 0
    return max(1, int(max(waits).total_seconds()) + 1)
