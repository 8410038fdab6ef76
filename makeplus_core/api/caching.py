"""Cache headers of the API: its answers are per caller, so no shared cache may keep them."""
from __future__ import annotations

from ..headers import add_vary, set_default


def cache_headers_tween_factory(handler, registry):
    """:func:`no_shared_cache` on every answer (a tween at the top of the chain, over the access
    log: its own 500 answers included; cheaper than a ``NewResponse`` subscriber)."""

    def tween(request):
        response = handler(request)
        no_shared_cache(request, response)
        return response

    return tween


def no_shared_cache(request, response) -> None:
    """``Cache-Control: private, no-store`` and ``Vary: Authorization`` on every ``/api/`` answer
    (Swagger UI's static files excepted): no proxy or browser cache may serve one caller's
    answer to anyone else."""
    path = request.environ.get("PATH_INFO", "")  # the raw path: no decoding, no quoting per request
    if path.startswith("/api/"):
        if path.startswith("/api/docs/static/"):
            add_vary(response, "Accept-Language")
            return
        set_default(response, "Cache-Control", "private, no-store")
        add_vary(response, "Accept-Language", "Authorization")  # (the language: makeplus_core.i18n)


def includeme(config):
    from pyramid.tweens import INGRESS

    # at the top: over the access log (makeplus_core.audit), whose own 500 answers get the headers too
    config.add_tween("makeplus_core.api.caching.cache_headers_tween_factory",
                     under=("makeplus_core.proxies.forwarded_tween_factory", INGRESS),
                     over="makeplus_core.audit.accesslog.access_log_tween_factory")
