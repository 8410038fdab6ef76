"""Security headers of every web page (one tween, for every HTML response).

The dashboard, the caisse's point of sale, Swagger UI and any plugin page get:

* ``Content-Security-Policy``: scripts, styles, fonts, images and fetches from our own
  origin only (images also as ``data:`` URIs), no inline script or style and no
  event-handler attributes (pages load their behaviour from static files), no plugins,
  no ``<base>``, forms posting only to us, and ``frame-ancestors 'none'``;
* ``X-Frame-Options: DENY`` (the same, for browsers without CSP level 2);
* ``Referrer-Policy: same-origin`` (links to other sites never carry a page's URL and
  its tokens; same-origin form posts keep their ``Referer``/``Origin``, which
  Pyramid's CSRF origin check needs on HTTPS).

A view that needs another policy sets its own ``Content-Security-Policy`` header; the
tween leaves it as it is. Every response (pages, JSON, files) gets
``X-Content-Type-Options: nosniff``.

Setting: ``makeplus.csp`` replaces the default policy (e.g. to add a CDN a deployment
needs); keep ``frame-ancestors 'none'`` in it.

:func:`add_vary` is the one way to add to a response's ``Vary`` (CORS, the API's cache
headers and the language negotiation each add theirs).
"""
from __future__ import annotations

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HTML_TYPES = ("text/html", "application/xhtml+xml")


def add_vary(response, *names: str) -> None:
    """Add ``names`` to the response's ``Vary`` header (sorted, each name once)."""
    headers = response.headers
    current = headers.get("Vary")
    vary = {v.strip() for v in current.split(",") if v.strip()} if current else set()
    headers["Vary"] = ", ".join(sorted(vary.union(names)))


def security_headers_tween_factory(handler, registry):
    csp = registry.settings.get("makeplus.csp") or CSP
    page_headers = {"Content-Security-Policy": csp, "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}

    def tween(request):
        response = handler(request)
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.content_type in HTML_TYPES:
            for name, value in page_headers.items():
                if name not in headers:
                    headers[name] = value
        return response

    return tween


def includeme(config):
    config.add_tween("makeplus_core.headers.security_headers_tween_factory")
