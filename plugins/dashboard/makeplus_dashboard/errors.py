"""HTML error pages for /dashboard/ (the JSON API keeps its JSON errors)."""
from __future__ import annotations

from pyramid.csrf import BadCSRFToken
from pyramid.httpexceptions import HTTPFound
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config

from makeplus_core.plugin_api import errors, translate

from .core import render

PATH = r"^/dashboard"


@forbidden_view_config(path_info=PATH)
def forbidden(exc, request):
    ident = request.identity
    if ident is None or ident.kind != "web":
        target = request.route_url("dashboard.login")
        if request.method == "GET" and request.path != "/dashboard/login/":
            target += "?next=" + request.path_qs.replace("&", "%26")
        return HTTPFound(location=target)
    message = exc.message if getattr(exc, "message", "") and "Unauthorized" not in exc.message else \
        "You may not open this page."
    return render(request, "error.jinja2", {"code": 403, "title": translate(request, "Forbidden"),
                                            "message": translate(request, message)}, status=403)


@notfound_view_config(path_info=PATH)
def notfound(exc, request):
    return render(request, "error.jinja2", {"code": 404, "title": translate(request, "Page not found"),
                                            "message": translate(request, "This page does not exist or is not "
                                                                          "one of your events.")},
                  status=404)


@exception_view_config(BadCSRFToken, path_info=PATH)
def bad_csrf(exc, request):
    return render(request, "error.jinja2", {
        "code": 400, "title": translate(request, "Form expired"),
        "message": translate(request, "This form could not be accepted (its security token is missing or out of "
                                      "date). Go back, reload the page and try again. Nothing was saved.")},
        status=400)


@exception_view_config(errors.DomainError, path_info=PATH)
def domain_error(exc, request):
    if isinstance(exc, errors.NotFound):
        return notfound(exc, request)
    headers = {}
    if isinstance(exc, errors.RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    from makeplus_core.plugin_api import i18n

    resp = render(request, "error.jinja2", {"code": exc.status, "title": translate(request, "Request refused"),
                                            "message": i18n.translate_message(request, exc.message)},
                  status=exc.status)
    resp.headers.update(headers)
    return resp
