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


# The helpers below work on ``response.headerlist`` itself: WebOb's case-insensitive
# ``response.headers`` lower-cases every header name on every lookup, and the tweens of every
# answer (cache, language, request id, security headers, CORS) each look a few up.


def get_header(response, name: str) -> str | None:
    """The value of header ``name`` (its last one, as ``response.headers`` gives), else None."""
    lname = name.lower()
    found = None
    for key, value in response.headerlist:
        if key.lower() == lname:
            found = value
    return found


def set_default(response, name: str, value: str) -> None:
    """Add ``name: value`` unless the response already has that header."""
    headerlist = response.headerlist
    lname = name.lower()
    for key, _ in headerlist:
        if key.lower() == lname:
            return
    headerlist.append((name, value))


def set_header(response, name: str, value: str) -> None:
    """``name: value``, replacing any value the response had."""
    headerlist = response.headerlist
    lname = name.lower()
    if any(key.lower() == lname for key, _ in headerlist):
        headerlist[:] = [(k, v) for k, v in headerlist if k.lower() != lname]
    headerlist.append((name, value))


def add_vary(response, *names: str) -> None:
    """Add ``names`` to the response's ``Vary`` header (sorted, each name once)."""
    headerlist = response.headerlist
    vary = set(names)
    kept = []
    for key, value in headerlist:
        if key.lower() == "vary":
            vary.update(v.strip() for v in value.split(",") if v.strip())
        else:
            kept.append((key, value))
    if len(kept) != len(headerlist):
        headerlist[:] = kept
    headerlist.append(("Vary", ", ".join(sorted(vary))))


def security_headers_tween_factory(handler, registry):
    csp = registry.settings.get("makeplus.csp") or CSP
    page_headers = {"Content-Security-Policy": csp, "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}

    def tween(request):
        response = handler(request)
        set_default(response, "X-Content-Type-Options", "nosniff")
        content_type = (get_header(response, "Content-Type") or "").partition(";")[0].strip().lower()
        if content_type in HTML_TYPES:
            for name, value in page_headers.items():
                set_default(response, name, value)
        return response

    return tween


def includeme(config):
    config.add_tween("makeplus_core.headers.security_headers_tween_factory")
