"""Login throttling per account (the per-address limit is the ``login`` rate-limit bucket).

Every password check for an account (``POST /api/auth/login/``, ``/api/auth/token/``, the
dashboard's login form, a cash desk's login) first counts one attempt against the
account in the shared key-value store (``registry.makeplus.kv``: Redis when
``makeplus.redis_url`` is set, so every process sees the same count; memory otherwise).
Over ``makeplus.ratelimit.login_account`` (default ``10/900``: 10 attempts without a
success per account per 15 minutes) the answer is a 429 with ``Retry-After`` *before*
the password is looked at, so guessing stops whatever address the guesses come from.
A successful login clears the account's count. Unknown e-mails are counted the same
way (no enumeration). The key holds a hash of the account, never the e-mail itself.
"""
from __future__ import annotations

import hashlib

from .. import errors

BUCKET = "login_account"


def _key(account: str) -> str:
    return "rl:login_account:" + hashlib.sha256(account.strip().lower().encode()).hexdigest()[:40]


def check_attempt(request, account: str) -> None:
    """Count one login attempt for ``account`` (an e-mail, or ``caisse:<e-mail>``);
    429 when the account has had too many attempts without a success."""
    limiter = request.rate_limiter
    if limiter is None or not limiter.enabled or BUCKET not in limiter.limits:
        return
    count_max, window = limiter.limits[BUCKET]
    count, retry_after = limiter.store.incr(_key(account), window)
    if count > count_max:
        raise errors.RateLimited("Too many failed logins for this account: retry later",
                                 retry_after=retry_after, field="email")


def succeeded(request, account: str) -> None:
    """A correct password: the account's failure count starts again."""
    limiter = request.rate_limiter
    if limiter is not None and limiter.enabled:
        limiter.store.delete(_key(account))
