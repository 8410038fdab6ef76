"""The shared key-value store: counters, claims and short-lived values with a time to live.

With ``makeplus.redis_url`` (key prefix ``makeplus.redis_prefix``) the values live in Redis
and hold across server processes and machines; without it an in-process store serves one
process (``make run``, tests). Its users: rate limits and login throttling
(``makeplus_core.ratelimit``, ``auth/throttle.py``), ``Idempotency-Key`` replays
(``makeplus_core.idempotency``), the scanner manifest's cache and the jobs' context.
Reached as ``request.kv`` or ``registry.makeplus.kv`` (``makeplus_core.components``).
"""
from __future__ import annotations

import threading
import time


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


def make_store(settings: dict):
    url = settings.get("makeplus.redis_url")
    if url:
        return RedisStore(url, prefix=settings.get("makeplus.redis_prefix", "makeplus:"))
    return MemoryStore()




def includeme(config):
    from .components import of

    components = of(config.registry)
    if components.kv is None:
        components.kv = make_store(config.get_settings())
