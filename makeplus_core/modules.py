"""Modules per event: an installed, enabled plugin switched on or off for one event.

Plugins are enabled per deployment in the INI (``makeplus.plugins``). On top of that,
an event's gestionnaire or an admin can switch each of them off for that event
(``PATCH /api/events/{id}/`` with ``{"modules": {"qa": false}}``). The switch lives in
the event's ``settings["modules"]`` (``{name: bool}``; a name absent is on) so the
plugin's data is kept and returns when switched back on.

A plugin off for an event:

- its endpoints answer 404 (``module_disabled``) for that event: every view a plugin
  registered is wrapped by the ``makeplus_module`` view deriver below, which checks the
  event the request works in (path ``{event}``, ``?event=``, the token's event) before
  the view runs; :func:`makeplus_core.api.require_event` checks again once the view
  resolved its event;
- its event-scoped hooks are not called for that event (:func:`event_hook`, used by the
  core's hook dispatch for statistics, search, access checks, paid items, session
  changes and the JSON of event-owned resources: rooms, sessions, participants);
- its dashboard pages and menu entries vanish (the dashboard reads :func:`off_in` of the
  event's settings before listing them), and so do its statistics blocks (statistics go
  through :func:`event_hook`).

``GET /api/`` tells a caller working in an event which modules it uses (:func:`enabled_for`).
"""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from . import errors
from .events.models import Event
from .plugins import enabled_names

SETTING = "modules"
CACHE = "makeplus_event_modules"  # db.info: {event id: settings} for one transaction


@sa.event.listens_for(Session, "after_transaction_end")
def _end_of_transaction(session, transaction):
    if transaction.parent is None:
        session.info.pop(CACHE, None)
        session.info.pop(CACHE + ".rows", None)


class ModuleDisabled(errors.NotFound):
    code = "module_disabled"


def installed_modules(registry) -> list[str]:
    """The plugins enabled on this deployment, in INI order."""
    return enabled_names(registry.settings)


def off_in(settings: dict | None) -> set[str]:
    mods = (settings or {}).get(SETTING) or {}
    if not isinstance(mods, dict):
        return set()
    return {name for name, on in mods.items() if on is False}


def _event_settings(db, event_id) -> dict | None:
    cache = db.info.setdefault(CACHE, {})
    key = str(event_id)
    if key not in cache:
        event = db.get(Event, event_id)
        cache[key] = dict(event.settings or {}) if event is not None else None
        # hold the row: the session's identity map is weak, and a later ``db.get(Event, id)``
        # in the same request (e.g. /api/auth/me/'s event) would otherwise read it again
        db.info.setdefault(CACHE + ".rows", []).append(event)
    return cache[key]


def remember(db, event_id, settings: dict | None) -> None:
    """Prime the per-transaction cache with an event's settings read by another query."""
    db.info.setdefault(CACHE, {})[str(event_id)] = dict(settings or {})


def forget(db, event_id) -> None:
    """Drop the cached switch of ``event_id`` (after a change in this transaction)."""
    db.info.get(CACHE, {}).pop(str(event_id), None)


def disabled_for(db, event_id) -> set[str]:
    """Names of the plugins switched off for ``event_id`` (empty for an unknown event)."""
    if event_id is None:
        return set()
    return off_in(_event_settings(db, event_id))


def enabled_for(registry, db, event_id) -> list[str]:
    """The plugins an event uses: enabled on the deployment and not switched off for it."""
    off = disabled_for(db, event_id)
    return [n for n in installed_modules(registry) if n not in off]


def event_modules(registry, event) -> list[str]:
    """Same as :func:`enabled_for` for an already loaded ``Event``."""
    off = off_in(event.settings)
    return [n for n in installed_modules(registry) if n not in off]


def validate(registry, value) -> dict:
    """``{name: bool}`` for installed plugins; anything else is a 400 naming the field."""
    if not isinstance(value, dict):
        raise errors.Invalid("modules: must be an object {plugin: true|false}", field="modules")
    known = set(installed_modules(registry))
    out = {}
    for name, on in value.items():
        if name not in known:
            raise errors.Invalid(f"modules.{name}: not an enabled plugin (enabled: {', '.join(sorted(known))})",
                                 field=f"modules.{name}")
        if not isinstance(on, bool):
            raise errors.Invalid(f"modules.{name}: must be true or false", field=f"modules.{name}")
        out[name] = on
    return out


def merged(settings: dict | None, switches: dict) -> dict:
    """Event settings with ``switches`` applied (only switched-off names are stored)."""
    new = dict(settings or {})
    current = {n: v for n, v in (new.get(SETTING) or {}).items() if v is False}
    for name, on in switches.items():
        if on:
            current.pop(name, None)
        else:
            current[name] = False
    if current:
        new[SETTING] = current
    else:
        new.pop(SETTING, None)
    return new


# --------------------------------------------------------------------------- hooks


def event_hook(pm, name: str, db, event_id):
    """The hook caller ``name`` without the plugins switched off for ``event_id``."""
    caller = getattr(pm.hook, name)
    if not caller.get_hookimpls():  # no plugin implements it: no need to read the event's switches
        return caller
    off = disabled_for(db, event_id)
    if not off:
        return caller
    plugins = [pm.get_plugin(n) for n in off if pm.get_plugin(n) is not None]
    if not plugins:
        return caller
    return pm.subset_hook_caller(name, remove_plugins=plugins)


def extend_json(request, kind: str, objects, payloads, event_id=None) -> None:
    """``makeplus_extend_json`` for resources of one event (the plugins off for it skip)."""
    pm = request.plugins
    objects = list(objects)
    if event_id is None and objects:
        ids = {getattr(o, "event_id", None) for o in objects}
        event_id = ids.pop() if len(ids) == 1 else None
    caller = event_hook(pm, "makeplus_extend_json", request.dbsession, event_id) if event_id else \
        pm.hook.makeplus_extend_json
    caller(kind=kind, objects=objects, payloads=payloads, request=request)


# --------------------------------------------------------------------------- endpoints


def owner_of(registry, view) -> str | None:
    """The enabled plugin a view callable belongs to (by its top-level package)."""
    owners = registry.makeplus.module_packages
    if owners is None:
        pm = registry.makeplus.plugins
        owners = {}
        if pm is not None:
            for name, plugin in pm.list_name_plugin():
                mod = getattr(plugin, "__name__", None)
                if mod:
                    owners[mod.split(".")[0]] = name
        registry.makeplus.module_packages = owners
    seen = set()
    while view is not None and id(view) not in seen:
        seen.add(id(view))
        module = getattr(view, "__module__", None)
        if module and module.split(".")[0] in owners:
            return owners[module.split(".")[0]]
        view = getattr(view, "__wrapped__", None)
    return None


def _asked_event(request):
    """The event a request names before its view runs (best effort, never raises)."""
    md = request.matchdict or {}
    for value in (md.get("event"), request.GET.get("event"), request.GET.get("event_id")):
        if value:
            try:
                return uuid.UUID(str(value))
            except ValueError:
                return None
    if not request.path.startswith("/api/"):
        return None  # a web page names its event in its path (the token's event is the API's)
    try:
        ident = request.identity
    except Exception:  # noqa: BLE001 - an invalid token is the view's business
        return None
    return getattr(ident, "event_id", None) if ident is not None else None


def require_enabled(db, event_id, name: str | None) -> None:
    """404 ``module_disabled`` when plugin ``name`` is switched off for ``event_id``."""
    if name and event_id is not None and name in disabled_for(db, event_id):
        raise ModuleDisabled(f"The {name} module is not used by this event", field="event", module=name)


def check_request(request, event_id) -> None:
    """404 when the plugin serving ``request`` is switched off for ``event_id``."""
    require_enabled(request.dbsession, event_id, getattr(request, "makeplus_module", None))


def module_view_deriver(view, info):
    context = info.options.get("context")
    if info.exception_only or (isinstance(context, type) and issubclass(context, BaseException)):
        return view  # exception views answer errors, whatever the event
    owner = owner_of(info.registry, info.original_view)
    if owner is None:
        return view

    def checked(context, request):
        if getattr(request, "exception", None) is None:
            request.makeplus_module = owner
            check_request(request, _asked_event(request))
        return view(context, request)

    return checked


def includeme(config):
    # Outside the permission check: a switched-off module does not exist for that event.
    from pyramid.viewderivers import INGRESS

    config.add_view_deriver(module_view_deriver, name="makeplus_module", under=INGRESS, over="secured_view")
