"""People's identities: one normal form for email addresses, applied before anything else.

Every path that takes an email — login, its throttle, lookups, filters, storage — goes
through ``email_key`` (for lookups) or ``normal_email`` (for storing), so ``" Ann@X.org "``
and ``"ann@x.org"`` can never be two identities, two throttle buckets or two accounts.
"""

from __future__ import annotations

import re
import unicodedata

from labelworks.domain.errors import InvalidInput, Location

MAX_EMAIL = 254  # RFC 5321's limit on a forward path
MAX_LOCAL = 64

# A deliberately narrow dot-atom: letters and digits of any script, and ``_ ' + -``
# inside dot-separated words. RFC 5322 allows more (quoted strings, ``!#$%&*/=?^`{|}~``),
# but none of it shows up in real work addresses, and every character left out is one
# that means something in HTML, a shell or a spreadsheet.
_WORD = r"[\w'+-]+"
_LABEL = r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?"
_EMAIL = re.compile(rf"(?:{_WORD})(?:\.{_WORD})*@{_LABEL}(?:\.{_LABEL})+")


def email_key(raw: str) -> str:
    """The form an email is looked up by: trimmed, NFC-normalised and case-folded.

    Never raises: a lookup of something that is not an address simply finds nobody.
    """
    return unicodedata.normalize("NFC", raw.strip()).casefold()


def normal_email(raw: str, *, field: str = "email") -> str:
    """``email_key(raw)`` if it is an address fit to store, else ``InvalidInput``."""
    email = email_key(raw)
    where = Location(field=field)
    if len(email) > MAX_EMAIL:
        raise InvalidInput(f"an email address is at most {MAX_EMAIL} characters", location=where)
    if not _EMAIL.fullmatch(email) or len(email.partition("@")[0]) > MAX_LOCAL:
        shown = email if len(email) <= 80 else email[:80] + "…"
        raise InvalidInput(
            f"{shown!r} is not an email address (name@example.org: letters, digits and "
            "_ ' + - . before the @, a domain with a dot after it)",
            location=where,
        )
    return email
