"""MakePlus core: the Pyramid application factory.

``main`` builds the WSGI app from INI settings: database and transactions,
security, JSON errors, CORS, the core domains, then every plugin listed in
``makeplus.plugins``.
"""
from __future__ import annotations

import os

from pyramid.config import Configurator

from . import extensions
from .hookspecs import hookimpl  # noqa: F401  (plugins import it from here)
from .plugins import PluginNotInstalled, make_plugin_manager  # noqa: F401
from .version import __version__  # noqa: F401

CORE_DOMAINS = (
    ".auth",
    ".events",
    ".rooms",
    ".sessions",
    ".participants",
    ".staff",
    ".access",
    ".stats",
    ".meta",
    ".search",
    ".reports",
    ".audit",
    ".agenda",
    ".exports",
)


def apply_environment(settings: dict) -> dict:
    """Environment variables override the INI (secrets, database URL)."""
    env = os.environ
    if env.get("MAKEPLUS_DATABASE_URL"):
        settings["sqlalchemy.url"] = env["MAKEPLUS_DATABASE_URL"]
    if env.get("MAKEPLUS_JWT_SECRET"):
        settings["makeplus.jwt_secret"] = env["MAKEPLUS_JWT_SECRET"]
    if env.get("MAKEPLUS_REDIS_URL"):
        settings["makeplus.redis_url"] = env["MAKEPLUS_REDIS_URL"]
    if env.get("MAKEPLUS_PLUGINS") is not None and "MAKEPLUS_PLUGINS" in env:
        settings["makeplus.plugins"] = env["MAKEPLUS_PLUGINS"]
    for key in list(settings):
        value = settings[key]
        if isinstance(value, str) and value.startswith("env:"):
            name, _, default = value[4:].partition("|")
            settings[key] = env.get(name, default)
    return settings


def check_settings(settings: dict) -> None:
    if not settings.get("sqlalchemy.url"):
        raise RuntimeError("No database configured: set sqlalchemy.url or MAKEPLUS_DATABASE_URL")
    secret = settings.get("makeplus.jwt_secret") or ""
    if settings.get("makeplus.env", "development") == "production":
        from .secret_policy import check_production_secrets

        check_production_secrets(settings)  # shipped, short or low-entropy secrets stop start-up
    elif not secret:
        raise RuntimeError("makeplus.jwt_secret is not set")


def main(global_config=None, **settings):
    """Build the MakePlus WSGI application."""
    settings = apply_environment(dict(settings))
    check_settings(settings)
    settings.setdefault("handle_exceptions", "false")  # our JSON error views, not Cornice's
    settings.setdefault("pyramid.default_locale_name", "fr")  # French first (Pyramid's own default is en)
    pm = make_plugin_manager(settings)
    with Configurator(settings=settings) as config:
        config.include(".components")  # registry.makeplus: what the includes below build
        config.registry.makeplus.plugins = pm
        config.include("cornice")
        config.include(".db")
        config.include(".proxies")  # request.client_addr trusts X-Forwarded-For only from our proxies
        config.include(".security")
        config.include(".api")  # the JSON renderer, error views, body parser, cache headers
        config.include(".cors")
        config.include(".mail")
        config.include(".kv")
        config.include(".ratelimit")
        config.include(".idempotency")
        config.include(".jobs")
        config.include(".readiness")
        config.include(".storage")
        config.include(".i18n")  # French first, English too: catalogs, locale, Babel formats
        config.include(".web")
        config.include(".headers")
        config.include(".modules")  # plugins switched off per event answer 404 for it
        for domain in CORE_DOMAINS:
            config.include(domain)
        pm.hook.makeplus_includeme(config=config)
        extensions.setup(config, pm)
        from .meta.views import compute_capabilities

        config.registry.makeplus.capabilities = compute_capabilities(config.registry)
        app = config.make_wsgi_app()
    _bake_request_extensions(app)
    return app


def _bake_request_extensions(router) -> None:
    """Build the request class with every ``add_request_method`` extension once, at start-up.

    Pyramid applies the extensions to each request by creating a new subclass of the request
    class per request (``InstancePropertyHelper.apply_properties``): about a third of the
    CPU of a request that needs nothing else (``/api/health/``). The same methods and
    (reified) properties set once on one subclass behave identically; the router then has
    nothing left to apply. Scripts and tests that build requests themselves
    (``pyramid.scripting``, ``pyramid.request.apply_request_extensions``) are unaffected.
    """
    extensions = getattr(router, "request_extensions", None)
    base = getattr(router, "request_factory", None)
    if extensions is None or not isinstance(base, type):
        return
    attrs = {**dict(extensions.descriptors), **extensions.methods, "__module__": base.__module__}
    baked = type(base.__name__, (base,), attrs)
    for name in ("__implemented__", "__provides__"):  # behave as the parent class (as Pyramid does)
        value = getattr(base, name, None)
        if value is not None:
            setattr(baked, name, value)
    router.request_factory = baked
    router.request_extensions = None
