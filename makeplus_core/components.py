"""The application's shared components: built once at start-up, reached by name.

Every long-lived object the app shares between requests (the plugin manager, the
database engine, the key-value store, the rate limiter, the mailer, the badge keyring,
the JWT policy, the job queue, …) is an attribute of one :class:`Components` object,
``registry.makeplus``, created first by :func:`makeplus_core.main` and filled by the
``includeme`` of the module that owns each component. Views reach the ones they use as
request properties (``request.plugins``, ``request.kv``, ``request.rate_limiter``,
``request.mailer``, ``request.badge_keyring``, ``request.jwt_policy``,
``request.job_queue``); code without a request (jobs, scripts, tests) reads
``registry.makeplus.<name>``. A misspelt name is an ``AttributeError`` at once, not a
``KeyError`` (or a silent ``None``) deep inside a request.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The components views reach as ``request.<name>``.
REQUEST_PROPERTIES = ("plugins", "kv", "rate_limiter", "mailer", "badge_keyring", "jwt_policy", "job_queue")


@dataclass
class Components:
    plugins: Any = None  # pluggy.PluginManager of the enabled plugins (makeplus_core.plugins)
    db_engine: Any = None  # sqlalchemy Engine (makeplus_core.db)
    dbsession_factory: Any = None  # sessionmaker the request sessions come from (makeplus_core.db)
    kv: Any = None  # key-value store: Redis, or in-process (makeplus_core.kv)
    rate_limiter: Any = None  # makeplus_core.ratelimit.RateLimiter
    mailer: Any = None  # makeplus_core.mail
    badge_keyring: Any = None  # makeplus_core.qr.signing.Keyring
    jwt_policy: Any = None  # makeplus_core.security
    job_queue: Any = None  # makeplus_core.jobs
    trusted_proxies: Any = None  # makeplus_core.proxies
    extensions: Any = None  # the plugins' declarations (makeplus_core.extensions.Extensions)
    access_gates: Any = None  # the plugins' room-scan gates, or None (makeplus_core.extensions.access_gates)
    paid_items_gates: Any = None  # the plugins' paid-items gates, or None (makeplus_core.extensions.paid_items_gates)
    capabilities: dict = field(default_factory=dict)  # GET /api/'s capabilities (makeplus_core.meta)
    db_probe: Any = None  # the cached health check's probe (makeplus_core.meta.fast)
    module_packages: dict | None = None  # view module -> plugin name (makeplus_core.modules)
    i18n_locales: list = field(default_factory=lambda: ["fr", "en"])  # makeplus_core.i18n
    i18n_default: str = "fr"
    i18n_api_default: str = "fr"
    i18n_localizers: dict = field(default_factory=dict)


def of(registry) -> Components:
    """The components of ``registry`` (created on first use: a registry built by a script)."""
    found = getattr(registry, "makeplus", None)
    if found is None:
        found = registry.makeplus = Components()
    return found


def _property(name):
    def get(request):
        return getattr(request.registry.makeplus, name)

    get.__name__ = name
    return get


def includeme(config):
    of(config.registry)
    for name in REQUEST_PROPERTIES:
        config.add_request_method(_property(name), name, property=True)
