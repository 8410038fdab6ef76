"""Rate limits (fixed windows) per client address and per user.

INI: ``makeplus.ratelimit.<bucket> = <count>/<seconds>`` (e.g. ``login = 10/60``);
``makeplus.ratelimit.enabled = false`` turns them off. With ``makeplus.redis_url``
the counters live in Redis and hold across server processes; without it an
in-process store is used (one process, e.g. ``make run``): the store is ``makeplus_core.kv``'s.
"""
from __future__ import annotations

from . import errors

# The core's buckets; plugins declare theirs with the ``makeplus_rate_limits`` hook.
DEFAULT_LIMITS = {"login": "20/60", "register": "10/60", "password_reset": "5/60", "scan": "120/60",
                  "login_account": "10/900"}  # per account, not per address: see auth/throttle.py


def parse_limit(text: str) -> tuple[int, int]:
    count, _, seconds = str(text).partition("/")
    return int(count), int(seconds or 60)


class RateLimiter:
    def __init__(self, settings: dict, store):
        self.store = store
        self.enabled = str(settings.get("makeplus.ratelimit.enabled", "true")).lower() == "true"
        self.limits = {b: parse_limit(settings.get(f"makeplus.ratelimit.{b}", d))
                       for b, d in DEFAULT_LIMITS.items()}
        for key, value in settings.items():
            if key.startswith("makeplus.ratelimit.") and key.count(".") == 2 and key[19:] not in (
                    "enabled",):
                self.limits[key[19:]] = parse_limit(value)

    def add_defaults(self, limits: dict, settings: dict) -> None:
        """Plugins' buckets (``makeplus_rate_limits``); the INI still wins."""
        for bucket, default in limits.items():
            self.limits[bucket] = parse_limit(settings.get(f"makeplus.ratelimit.{bucket}", default))

    def hit(self, request, bucket: str, user_key=None) -> None:
        """Count one attempt; 429 (with ``Retry-After``) when over the limit."""
        if not self.enabled or bucket not in self.limits:
            return
        count_max, window = self.limits[bucket]
        keys = [f"rl:{bucket}:ip:{request.client_addr or '-'}"]
        if user_key is not None:
            keys.append(f"rl:{bucket}:user:{user_key}")
        for key in keys:
            count, retry_after = self.store.incr(key, window)
            if count > count_max:
                raise errors.RateLimited("Too many requests, retry later", retry_after=retry_after)


def includeme(config):
    settings = config.get_settings()
    config.registry.makeplus.rate_limiter = RateLimiter(settings, config.registry.makeplus.kv)
