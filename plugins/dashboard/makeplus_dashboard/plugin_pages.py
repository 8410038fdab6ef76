"""Registration of the pages plugins contribute (see ``Dashboard.add_page``)."""
from __future__ import annotations

from pyramid.response import Response

from makeplus_core.plugin_api import WEB, errors, event_modules

from .core import EVENT, PREFIX, event_for, form_error, render


def register(config, page):
    config.add_route(page.route, f"{PREFIX}/events/{EVENT}/{page.path}/")

    def get(request, extra=None, status=200):
        event = event_for(request)
        event_modules.require_enabled(request.dbsession, event.id, page.plugin)  # switched off: 404
        result = page.view(request, event)
        if isinstance(result, Response):
            return result
        ctx = dict(result or {})
        ctx.update(extra or {})
        return render(request, page.template, {"page_title": page.title, **ctx}, event=event, status=status)

    def post(request):
        event = event_for(request)
        event_modules.require_enabled(request.dbsession, event.id, page.plugin)
        try:
            result = page.view(request, event)
        except errors.DomainError as exc:
            if isinstance(exc, errors.NotFound) and exc.field is None:
                raise
            form = {k: v for k, v in request.POST.items() if k not in ("csrf_token", "password")}
            request.method = "GET"  # the page's view gives its GET context for the re-render
            try:
                return get(request, {"form": form, "errors": form_error(exc)}, status=exc.status)
            finally:
                request.method = "POST"
        if isinstance(result, Response):
            return result
        return render(request, page.template, {"page_title": page.title, **(result or {})}, event=event)

    for method in page.methods:
        view = post if method == "POST" else get
        config.add_view(view, route_name=page.route, request_method=method, permission=WEB,
                        require_csrf=method == "POST")
