"""Password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from labelworks.domain.errors import InvalidInput

MIN_LENGTH = 8
_hasher = PasswordHasher()


def check_new_password(password: str) -> None:
    """Refuse passwords too short to be worth hashing."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_LENGTH} characters")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a user without a password never matches."""
    if not password_hash:
        # Same work as a real check, so timing does not tell which accounts exist.
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
