"""Languages: message catalogs, the locale of a request, Babel formats, mails.

French first, English too (issue 18). One gettext **domain**, ``makeplus``, shared by
the core and every plugin, but **one catalog per distribution**: each ships its own
``<package>/locale/<lang>/LC_MESSAGES/makeplus.po`` holding only its own strings, and
Pyramid merges the catalogs of one domain. A single domain lets the Jinja2 environment
(one per application, shared by every plugin's templates) use one ``gettext``; a
catalog per distribution keeps a plugin's strings in the plugin (a third-party plugin
ships its own ``locale/`` folder and nothing else is needed: it is found by
convention, next to its ``__init__.py``).

Catalogs are compiled (``.po`` -> ``.mo``) by ``make install`` and, when a ``.mo`` is
missing or older than its ``.po``, at start-up (into the package, or a cache folder
when the package is read-only), so a fresh clone runs without a build step and no
``.mo`` is committed.

The locale of a request (:func:`negotiate`):

1. ``?lang=xx`` (the pages' switch; remembered in the ``makeplus_lang`` cookie);
2. the ``makeplus_lang`` cookie (web pages only: the JSON API ignores cookies);
3. ``Accept-Language``;
4. the default: ``pyramid.default_locale_name`` (``fr``) for pages and mails,
   ``makeplus.i18n.api_default_locale`` (``en``) for ``/api/`` answers: existing API
   clients and scripts keep their English messages; a client asking for French gets it.

Only ``makeplus.i18n.locales`` (default ``fr en``) are ever chosen.
"""
from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import logging
import os
import pathlib
import tempfile
import zoneinfo

from pyramid.i18n import Localizer, TranslationString, TranslationStringFactory, make_localizer
from pyramid.interfaces import ITranslationDirectories
from pyramid.threadlocal import get_current_request

from .headers import add_vary, set_default
from .plugins import enabled_names

log = logging.getLogger(__name__)

DOMAIN = "makeplus"
COOKIE = "makeplus_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

_ = TranslationStringFactory(DOMAIN)  # a marker for Python strings translated later


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark a string for the catalog without translating it now (translated when shown)."""
    return message


# --------------------------------------------------------------------------- catalogs


def _compile(po: pathlib.Path, mo: pathlib.Path) -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as fp:
        catalog = read_po(fp, domain=po.stem)
    mo.parent.mkdir(parents=True, exist_ok=True)
    tmp = mo.with_name(f".{mo.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fp:
        write_mo(fp, catalog, use_fuzzy=False)
    os.replace(tmp, mo)


def compile_catalogs(locale_dir: pathlib.Path | str) -> pathlib.Path:
    """Compile every stale ``.po`` under ``locale_dir``; returns the folder holding the ``.mo``
    files (``locale_dir`` itself, or a cache folder when it cannot be written)."""
    locale_dir = pathlib.Path(locale_dir)
    pos = sorted(locale_dir.glob("*/LC_MESSAGES/*.po"))
    stale = [po for po in pos if not po.with_suffix(".mo").exists()
             or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime]
    if not stale:
        return locale_dir
    try:
        for po in stale:
            _compile(po, po.with_suffix(".mo"))
        return locale_dir
    except OSError:  # an installed, read-only package: compile into a cache folder
        key = hashlib.sha256(str(locale_dir.resolve()).encode()).hexdigest()[:16]
        cache = pathlib.Path(tempfile.gettempdir()) / "makeplus-locale" / key
        for po in pos:
            mo = cache / po.relative_to(locale_dir).with_suffix(".mo")
            if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
                _compile(po, mo)
        return cache


#: The core's own catalog folder (``makeplus_core/locale``).
CORE_LOCALE_DIR = pathlib.Path(__file__).parent / "locale"


def package_locale_dir(module) -> pathlib.Path | None:
    """``<package>/locale`` of an imported module's package, if it has one."""
    path = pathlib.Path(getattr(module, "__file__", "") or "").parent / "locale"
    return path if path.is_dir() else None


def add_catalog(config, locale_dir) -> None:
    """Compile (if needed) and register a catalog folder with Pyramid."""
    config.add_translation_dirs(str(compile_catalogs(locale_dir)))


# --------------------------------------------------------------------------- negotiation


def available(registry) -> list[str]:
    return registry.makeplus.i18n_locales or ["fr", "en"]


def _pick(registry, value) -> str | None:
    if not value:
        return None
    value = str(value).strip().lower().replace("-", "_").split("_")[0]
    return value if value in available(registry) else None


def is_api(request) -> bool:
    return request.environ.get("PATH_INFO", "").startswith("/api/")


def _lang_param(request) -> str | None:
    if "lang=" not in request.environ.get("QUERY_STRING", ""):
        return None  # no query string to parse (most requests)
    try:
        return request.GET.get("lang")
    except UnicodeDecodeError:  # a query string that is not UTF-8: answered 400 elsewhere
        return None


def negotiate(request) -> str:
    """The request's locale (Pyramid's locale negotiator; see the module docstring)."""
    registry = request.registry
    chosen = _pick(registry, _lang_param(request)) if request.method in ("GET", "HEAD") else None
    if chosen:
        return chosen
    if not is_api(request):
        chosen = _pick(registry, request.cookies.get(COOKIE))
        if chosen:
            return chosen
    header = request.environ.get("HTTP_ACCEPT_LANGUAGE")
    if header:
        try:
            chosen = request.accept_language.lookup(available(registry), default="")
        except Exception:  # a malformed header is ignored (the default applies)
            chosen = None
        if chosen:
            return _pick(registry, chosen)
    if is_api(request):
        return registry.makeplus.i18n_api_default
    return registry.makeplus.i18n_default


def language_headers_tween_factory(handler, registry):
    """Every answer says its language (``Content-Language``) and varies by it; ``?lang=`` on
    a page is remembered in a cookie (:func:`remember_choice`). A tween at the top of the
    chain, not a ``NewResponse`` subscriber: it costs a function call, where notifying a
    subscriber costs a registry lookup per response."""

    # duplicates: deliberate — the same three-line tween as api/caching.py's: each module adds its own headers
    def tween(request):
        response = handler(request)
        remember_choice(request, response)
        return response

    return tween


def remember_choice(request, response) -> None:
    """``?lang=`` on a page: remember the choice in a cookie; answers vary by language (the
    API's answers get their ``Vary`` from :func:`makeplus_core.api.caching.no_shared_cache`)."""
    set_default(response, "Content-Language", request.locale_name)
    if is_api(request):
        return
    add_vary(response, "Accept-Language")
    if request.method not in ("GET", "HEAD"):
        return
    chosen = _pick(request.registry, _lang_param(request))
    if chosen and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(COOKIE, chosen, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax",
                            secure=request.registry.settings.get("makeplus.env") == "production")


# --------------------------------------------------------------------------- translating


def localizer_for(registry, locale: str | None = None) -> Localizer:
    """A localizer outside a request (mails sent by jobs, scripts)."""
    locale = _pick(registry, locale) or registry.makeplus.i18n_default
    cache = registry.makeplus.i18n_localizers
    if locale not in cache:
        dirs = registry.queryUtility(ITranslationDirectories) or []
        cache[locale] = make_localizer(locale, dirs)
    return cache[locale]


def translate(request, message, locale: str | None = None, **mapping) -> str:
    """``message`` in the request's language (or ``locale``), ``${name}`` filled from ``mapping``."""
    if request is None:
        request = get_current_request()
    if locale is None and request is not None:
        localizer = request.localizer
    else:
        from pyramid.threadlocal import get_current_registry

        localizer = localizer_for(request.registry if request is not None else get_current_registry(), locale)
    if not isinstance(message, TranslationString):
        message = TranslationString(message, domain=DOMAIN, mapping=mapping or None)
    elif mapping:
        message = TranslationString(message, mapping={**(message.mapping or {}), **mapping})
    return localizer.translate(message)


def translate_message(request, message: str) -> str:
    """An API error message in the request's language, when the catalog knows it.

    Messages are English msgids; ``"field: text"`` is looked up as ``text`` (the field name
    stays as it is). A message the catalog does not hold is answered as it is (English).
    """
    if request is None or not message:
        return message
    localizer = request.localizer
    if localizer.locale_name == "en":
        return message
    text = localizer.translate(TranslationString(message, domain=DOMAIN))
    if text != message:
        return text
    head, sep, tail = message.partition(": ")
    if sep and head and " " not in head:
        text = localizer.translate(TranslationString(tail, domain=DOMAIN))
        if text != tail:
            return f"{head}: {text}"
    return message


def localize_error_body(request, body: dict, colander_error=None) -> dict:
    """Translate the human parts of a JSON error body in place (codes and fields stay)."""
    if request is None:
        return body
    try:
        locale = request.localizer.locale_name
    except Exception:  # no registry at hand (a tween outside the router)
        return body
    if locale == "en":
        return body
    if colander_error is not None:
        flat = colander_error.asdict(translate=request.localizer.translate)
        descriptions = {k: translate_message(request, v) for k, v in flat.items()}
        for item in body.get("errors") or []:
            if item.get("name") in descriptions:
                item["description"] = descriptions[item["name"]]
        first = (body.get("errors") or [None])[0]
        if first:
            body["message"] = body["detail"] = f"{first['name']}: {first['description']}"
        return body
    for key in ("message", "detail"):
        if isinstance(body.get(key), str):
            body[key] = translate_message(request, body[key])
    for item in body.get("errors") or []:
        if isinstance(item.get("description"), str):
            item["description"] = translate_message(request, item["description"])
    return body


def mail_locale(request, own: bool = False, event=None) -> str:
    """The language of a mail: French (the default locale) unless

    * the recipient is the caller (``own``: a password reset, an address confirmation) and
      asked for a language (``Accept-Language`` or ``?lang=``), or
    * the mail is about ``event`` and the event names its language in its metadata
      (``{"language": "en"}``, set with the event's metadata in the API or the dashboard).

    A mail an organiser's action sends to someone else (an invitation, a decision) is never
    in the organiser's own language."""
    registry = request.registry
    if own and (request.headers.get("Accept-Language") or _lang_param(request)):
        return request.localizer.locale_name
    meta = getattr(event, "meta", None) if event is not None else None
    chosen = _pick(registry, meta.get("language")) if isinstance(meta, dict) else None
    return chosen or registry.makeplus.i18n_default


# --------------------------------------------------------------------------- formats (Babel)


def _locale(request=None) -> str:
    request = request or get_current_request()
    if request is None:
        return "fr"
    try:
        return request.localizer.locale_name
    except Exception:
        return "fr"


def to_zone(value: dt.datetime, tz: str | None) -> dt.datetime:
    """An aware datetime in the event's time zone (naive values are UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    if tz is None:  # the page's event (set by the page, e.g. the dashboard's layout)
        request = get_current_request()
        tz = request.environ.get("makeplus.timezone") if request is not None else None
    try:
        zone = zoneinfo.ZoneInfo(tz or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    return value.astimezone(zone)


def format_datetime(value, tz: str | None = None, fmt: str | None = None, locale: str | None = None) -> str:
    """A date and time in the locale's format, in the time zone ``tz`` (the event's; by default
    the page's, else UTC): ``10 mars 2026 10:00`` in French, ``Mar 10, 2026 10:00 AM`` in English
    (the medium date and the short time), or Babel's ``fmt`` (``short``, ``long``, a pattern)."""
    from babel import dates

    if value is None:
        return "—"
    locale = locale or _locale()
    if not isinstance(value, dt.datetime):
        return format_date(value, fmt=fmt or "medium", locale=locale)
    value = to_zone(value, tz)
    if fmt:
        return dates.format_datetime(value, format=fmt, locale=locale)
    return f"{dates.format_date(value, format='medium', locale=locale)} {dates.format_time(value, format='short', locale=locale)}"


def format_date(value, fmt: str = "medium", tz: str | None = None, locale: str | None = None) -> str:
    from babel import dates

    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = to_zone(value, tz).date()
    return dates.format_date(value, format=fmt, locale=locale or _locale())


def format_time(value, tz: str | None = None, fmt: str = "short", locale: str | None = None) -> str:
    from babel import dates

    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = to_zone(value, tz)
    return dates.format_time(value, format=fmt, locale=locale or _locale())


def format_number(value, locale: str | None = None) -> str:
    from babel import numbers

    if value is None:
        return "—"
    return numbers.format_decimal(value, locale=locale or _locale())


def format_money(value, currency: str | None = "DZD", locale: str | None = None) -> str:
    """An amount with its currency in the locale's format (``5 000,00 DZD`` in French)."""
    from babel import numbers

    if value is None:
        return "—"
    if not isinstance(value, decimal.Decimal):
        value = decimal.Decimal(str(value))
    return numbers.format_currency(value, currency or "DZD", locale=locale or _locale())


# --------------------------------------------------------------------------- set-up


def install_jinja2(config) -> None:
    """gettext (new style: ``_("Hello %(name)s", name=x)``, autoescaped) and the Babel
    formats for every template; ``lang`` and ``lang_url(code)`` for ``<html lang>`` and
    the language switch."""
    env = config.get_jinja2_environment()
    env.add_extension("jinja2.ext.i18n")

    # Jinja2's new-style wrappers fill ``%(name)s`` from the call's keywords (escaped).
    def gettext(message):
        request = get_current_request()
        return request.localizer.translate(TranslationString(message, domain=DOMAIN)) if request else message

    def ngettext(singular, plural, n):
        request = get_current_request()
        if request is None:
            return singular if n == 1 else plural
        return request.localizer.pluralize(singular, plural, n, domain=DOMAIN)

    env.install_gettext_callables(gettext, ngettext, newstyle=True)

    def lang_url(code):
        request = get_current_request()
        from urllib.parse import urlencode

        try:
            params = [(k, v) for k, v in request.GET.items() if k != "lang"] + [("lang", code)]
        except UnicodeDecodeError:
            params = [("lang", code)]
        return f"{request.path_url}?{urlencode(params)}"

    env.globals.update(
        lang=lambda: _locale(),
        languages=lambda: available(get_current_request().registry),
        lang_url=lang_url,
        format_datetime=format_datetime, format_date=format_date, format_time=format_time,
        format_number=format_number, format_money=format_money,
    )
    env.filters.update(datetime=format_datetime, date=format_date, time=format_time,
                       number=format_number, money=format_money)


LANGUAGE_NAMES = {"fr": "Français", "en": "English"}


def includeme(config):
    settings = config.get_settings()
    default = (settings.get("pyramid.default_locale_name") or "fr").strip()
    locales = (settings.get("makeplus.i18n.locales") or "fr en").replace(",", " ").split()
    if default not in locales:
        locales.insert(0, default)
    registry = config.registry
    registry.makeplus.i18n_locales = locales
    registry.makeplus.i18n_default = default
    api_default = (settings.get("makeplus.i18n.api_default_locale") or "en").strip()
    registry.makeplus.i18n_api_default = api_default if api_default in locales else default
    settings["pyramid.default_locale_name"] = default
    config.set_locale_negotiator(negotiate)
    config.add_tween("makeplus_core.i18n.language_headers_tween_factory",
                     under="makeplus_core.api.caching.cache_headers_tween_factory",
                     over="makeplus_core.audit.accesslog.access_log_tween_factory")
    # colander's own catalog: its validation messages ("Required") in French
    config.add_translation_dirs("colander:locale/")
    add_catalog(config, CORE_LOCALE_DIR)
    pm = registry.makeplus.plugins
    if pm is not None:
        for name in enabled_names(settings):
            plugin = pm.get_plugin(name)
            folder = package_locale_dir(plugin) if plugin is not None else None
            if folder is not None:
                add_catalog(config, folder)


_JOB_LOCALIZERS: dict = {}


def job_localizer(locale: str, *modules) -> Localizer:
    """A localizer for a background job, which has no request and, in a ``makeplus-worker``,
    no app registry: the core's catalog and those of ``modules``' packages (a plugin passes
    its own package), compiled if needed. ``locale`` is decided when the job is enqueued
    (:func:`mail_locale`) and travels in its payload."""
    key = (locale, tuple(m.__name__ for m in modules))
    if key not in _JOB_LOCALIZERS:
        folders = [CORE_LOCALE_DIR, *(package_locale_dir(m) for m in modules)]
        _JOB_LOCALIZERS[key] = make_localizer(locale, [str(compile_catalogs(f)) for f in folders if f is not None])
    return _JOB_LOCALIZERS[key]


def job_translate(locale: str, module, message: str, **mapping) -> str:
    """``message`` in ``locale`` for a job (see :func:`job_localizer`), ``${name}`` filled from ``mapping``."""
    return job_localizer(locale, module).translate(TranslationString(message, domain=DOMAIN, mapping=mapping or None))
