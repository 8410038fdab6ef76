"""Rate limits (fixed windows) per client address and per user.

INI: ``makeplus.ratelimit.<bucket> = <count>/<seconds>`` (e.g. ``login = 10/60``);
``makeplus.ratelimit.enabled = false`` turns them off. With ``makeplus.redis_url``
the counters live in Redis and hold across server processes; without it an
in-process store is used (one process, e.g. ``make run``).
"""
from __future__ import annotations

import threading
import time

from . import errors

# The core's buckets; plugins declare theirs with the ``makeplus_rate_limits`` hook.
DEFAULT_LIMITS = {"login": "20/60", "register": "10/60", "password_reset": "5/60", "scan": "120/60",
                  "login_account": "10/900"}  # per account, not per address: see auth/throttle.py


class MemoryStore:
    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}

    def incr(self, key: str, window: int) -> tuple[int, int]:
        now = time.monotonic()
        with self._lock:
            count, reset = self._counts.get(key, (0, now + window))
            if now >= reset:
                count, reset = 0, now + window
            count += 1
            self._counts[key] = (count, reset)
            if len(self._counts) > 100_000:
                self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
        return count, max(1, int(reset - now + 0.999))

    def get(self, key):
        with self._lock:
            return self._counts.get(key)

    def set_nx(self, key, value, ttl):
        now = time.monotonic()
        with self._lock:
            cur = self._counts.get(key)
            if cur is not None and cur[1] > now:
                return False
            self._counts[key] = (value, now + ttl)
            return True

    def read(self, key):
        now = time.monotonic()
        with self._lock:
            cur = self._counts.get(key)
            if cur is None or cur[1] <= now:
                return None
            return cur[0]

    def write(self, key, value, ttl):
        with self._lock:
            self._counts[key] = (value, time.monotonic() + ttl)

    def delete(self, key):
        with self._lock:
            self._counts.pop(key, None)


class RedisStore:
    def __init__(self, url: str, prefix: str = "makeplus:"):
        import redis

        self.client = redis.Redis.from_url(url)
        self.prefix = prefix

    def incr(self, key: str, window: int) -> tuple[int, int]:
        k = self.prefix + key
        pipe = self.client.pipeline()
        pipe.incr(k)
        pipe.expire(k, window, nx=True)
        pipe.ttl(k)
        count, _, ttl = pipe.execute()
        return int(count), max(1, int(ttl))

    def set_nx(self, key, value, ttl):
        return bool(self.client.set(self.prefix + key, value, nx=True, ex=ttl))

    def read(self, key):
        return self.client.get(self.prefix + key)

    def write(self, key, value, ttl):
        self.client.set(self.prefix + key, value, ex=ttl)

    def delete(self, key):
        self.client.delete(self.prefix + key)


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


def make_store(settings: dict):
    url = settings.get("makeplus.redis_url")
    if url:
        return RedisStore(url, prefix=settings.get("makeplus.redis_prefix", "makeplus:"))
    return MemoryStore()


def includeme(config):
    settings = config.get_settings()
    store = make_store(settings)
    config.registry["kv_store"] = store
    config.registry["rate_limiter"] = RateLimiter(settings, store)
