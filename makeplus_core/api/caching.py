"""Cache headers of the API: its answers are per caller, so no shared cache may keep them."""
from __future__ import annotations

from pyramid.events import NewResponse

from ..headers import add_vary


def no_shared_cache(event) -> None:
    """``Cache-Control: private, no-store`` and ``Vary: Authorization`` on every ``/api/`` answer
    (Swagger UI's static files excepted): no proxy or browser cache may serve one caller's
    answer to anyone else."""
    request, response = event.request, event.response
    path = request.environ.get("PATH_INFO", "")  # the raw path: no decoding, no quoting per request
    if path.startswith("/api/"):
        if path.startswith("/api/docs/static/"):
            add_vary(response, "Accept-Language")
            return
        response.headers.setdefault("Cache-Control", "private, no-store")
        add_vary(response, "Accept-Language", "Authorization")  # (the language: makeplus_core.i18n)


def includeme(config):
    config.add_subscriber(no_shared_cache, NewResponse)
