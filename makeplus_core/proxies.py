"""The client's address, with forwarded-address headers trusted only from our proxies.

WebOb's ``request.client_addr`` believes any ``X-Forwarded-For`` header, so a client
could pick the address rate limits, login throttling, auth sessions and the audit
trail see. Here ``request.client_addr`` is replaced (for every caller) by
:func:`client_address`:

* the peer (``REMOTE_ADDR``) is the client unless it is one of ``makeplus.trusted_proxies``
  (space-separated addresses or networks, e.g. ``127.0.0.1 10.0.0.0/8``; default: none);
* behind a trusted proxy, the ``Forwarded`` (RFC 7239 ``for=``) or else the
  ``X-Forwarded-For`` list is read **from the right**, skipping trusted proxies: the first
  address that is not a trusted proxy is the client. Anything a client writes to the
  left of that is ignored, so rotating ``X-Forwarded-For`` changes nothing.

Behind a trusted proxy, the scheme and host the client used are also taken from
``X-Forwarded-Proto`` (``http``/``https``) and ``X-Forwarded-Host`` (the rightmost value
of each, as the nearest proxy wrote it), so URLs the app builds (links in answers, mails,
redirects) and the CSRF origin check of the pages see ``https://`` and the public host
whatever WSGI server runs the app (:func:`forwarded_tween_factory`). From anyone else
these headers are ignored.
"""
from __future__ import annotations

import ipaddress
import re

SETTING = "makeplus.trusted_proxies"


def parse_networks(text: str | None) -> Trusted:
    networks = []
    for item in (text or "").replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise RuntimeError(f"{SETTING}: {item!r} is not an IP address or network (e.g. 10.0.0.0/8)") from None
    return Trusted(networks)


def _ip(text: str):
    """The address in a peer or hop (``None`` if it is none)."""
    text = text.strip().strip('"')
    if text.startswith("["):  # [2001:db8::1]:4711
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # 192.0.2.1:4711
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _forwarded_hops(environ) -> list[str]:
    forwarded = environ.get("HTTP_FORWARDED")
    if forwarded:
        hops = []
        for element in forwarded.split(","):
            for pair in element.split(";"):
                name, _, value = pair.strip().partition("=")
                if name.strip().lower() == "for":
                    hops.append(value)
        return hops
    return [h for h in (environ.get("HTTP_X_FORWARDED_FOR") or "").split(",") if h.strip()]


class Trusted(tuple):
    """The trusted proxies' networks (``makeplus.trusted_proxies``), remembering what each
    address text it was asked about is (a handful of peers and proxies, on every request;
    parsing and matching one costs more than the rest of a cheap request's address handling)."""

    def __new__(cls, networks=()):
        self = super().__new__(cls, networks)
        self.seen = {}
        return self

    def lookup(self, text: str) -> tuple:
        """``(address or None, trusted?)`` of an address text (a peer or a forwarded hop)."""
        found = self.seen.get(text)
        if found is None:
            address = _ip(text)
            found = (address, address is not None and any(address in net for net in tuple.__iter__(self)))
            if len(self.seen) < 4096:
                self.seen[text] = found
        return found


def _lookup(trusted, text: str) -> tuple:
    if isinstance(trusted, Trusted):
        return trusted.lookup(text)
    address = _ip(text)
    return address, address is not None and any(address in net for net in trusted)


def client_address(environ, trusted: tuple) -> str | None:
    peer = environ.get("REMOTE_ADDR")
    if not trusted or peer is None:
        return peer
    current, is_proxy = _lookup(trusted, peer)
    if not is_proxy:
        return peer
    for hop in reversed(_forwarded_hops(environ)):
        address, is_proxy = _lookup(trusted, hop)
        if address is None:
            break  # garbage (or "unknown"): the last trusted hop is all we know
        current = address
        if not is_proxy:
            return str(address)
    return str(current)


_HOST = re.compile(r"^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")


def _nearest(value: str) -> str:
    return value.rsplit(",", 1)[-1].strip()


def apply_forwarded(environ, trusted: tuple) -> None:
    """Set ``wsgi.url_scheme`` and ``HTTP_HOST`` from a trusted proxy's ``X-Forwarded-Proto``
    and ``X-Forwarded-Host`` (malformed values are ignored)."""
    if not _lookup(trusted, environ.get("REMOTE_ADDR") or "")[1]:
        return
    proto = environ.get("HTTP_X_FORWARDED_PROTO")
    if proto:
        proto = _nearest(proto).lower()
        if proto in ("http", "https"):
            environ["wsgi.url_scheme"] = proto
    host = environ.get("HTTP_X_FORWARDED_HOST")
    if host:
        host = _nearest(host)
        if _HOST.match(host):
            environ["HTTP_HOST"] = host


def forwarded_tween_factory(handler, registry):
    trusted = registry.makeplus.trusted_proxies
    if not trusted:
        return handler

    def tween(request):
        environ = request.environ
        if "HTTP_X_FORWARDED_PROTO" in environ or "HTTP_X_FORWARDED_HOST" in environ:
            apply_forwarded(environ, trusted)
        return handler(request)

    return tween


def includeme(config):
    from pyramid.tweens import INGRESS

    trusted = parse_networks(config.get_settings().get(SETTING))
    config.registry.makeplus.trusted_proxies = trusted
    # first of all: every URL the request builds, from the tweens down, uses the client's scheme and host
    config.add_tween("makeplus_core.proxies.forwarded_tween_factory", under=INGRESS,
                     over="makeplus_core.api.caching.cache_headers_tween_factory")

    def client_addr(request):
        return client_address(request.environ, trusted)

    config.add_request_method(client_addr, "client_addr", reify=True)
