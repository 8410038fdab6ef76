"""Password hashing with Argon2id (argon2-cffi's tuned defaults)."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so both failures cost the same time.
_DUMMY_HASH = _hasher.hash("makeplus-timing-equaliser")


def configure(time_cost: int | None = None, memory_cost: int | None = None) -> None:
    """Tune Argon2 (INI ``makeplus.argon2.time_cost`` / ``memory_cost``; tests use cheap ones)."""
    global _hasher, _DUMMY_HASH
    if time_cost is None and memory_cost is None:
        return
    default = PasswordHasher()
    _hasher = PasswordHasher(time_cost=time_cost or default.time_cost,
                             memory_cost=memory_cost or default.memory_cost)
    _DUMMY_HASH = _hasher.hash("makeplus-timing-equaliser")

MIN_LENGTH = 8
# Stored for accounts without a password (invited, not yet accepted): no password verifies.
UNUSABLE = "!"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
