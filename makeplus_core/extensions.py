"""What plugins declare once, at start-up, instead of the core naming plugin things.

Collected by :func:`setup` (called by ``makeplus_core.main`` after every plugin's
``makeplus_includeme``) from these hooks (see ``hookspecs.py``):

* ``makeplus_token_kinds`` — a plugin's own bearer-token kind (the caisse's desk
  token): :func:`issue_token` signs one with the core's key, :func:`token_principal`
  verifies it and returns what the plugin's loader made of it (401 otherwise). The
  core's user security policy never accepts such a token.
* ``makeplus_schema_fields`` — validated fields a plugin adds to a core request
  schema (``"session"``): the core validates them with the rest of the body (400
  naming the field, before anything is written); the plugin reads the validated
  values with :func:`plugin_fields`.
* ``makeplus_rate_limits`` — default ``count/seconds`` of a plugin's own rate-limit
  buckets (``makeplus.ratelimit.<bucket>`` in the INI still wins).
* ``makeplus_permissions`` — permission names a plugin adds to a role's
  ``permissions`` list in the login/event JSON.
* ``makeplus_capabilities`` — what ``GET /api/`` advertises for the plugin beside its
  version.
* ``makeplus_access_gates`` — where (in SQL) a plugin's access check may deny a room
  scan, so the one-statement door path stays on elsewhere (:func:`access_gates`).
* ``makeplus_paid_items_gates`` — where (in SQL) a plugin's paid items may exist, so the
  check-in does not ask for items that cannot be there (:func:`paid_items_gates`).
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import colander

from . import errors
from .api import json_body

SCHEMAS = ("session",)
# Set by the token kind's own views; the core's user policy ignores these tokens.
_BEARER_CACHE = "makeplus.token_principal"


@dataclasses.dataclass
class Extensions:
    token_kinds: dict = dataclasses.field(default_factory=dict)   # kind -> (plugin, loader)
    fields: dict = dataclasses.field(default_factory=dict)        # schema -> [(plugin, node)]
    rate_limits: dict = dataclasses.field(default_factory=dict)   # bucket -> "count/seconds"
    permissions: dict = dataclasses.field(default_factory=dict)   # role -> [permission]
    capabilities: dict = dataclasses.field(default_factory=dict)  # plugin -> {key: value}
    access_gates: dict = dataclasses.field(default_factory=dict)  # plugin -> gate(room, holder) -> SQL boolean
    paid_items_gates: dict = dataclasses.field(default_factory=dict)  # plugin -> gate(user, participant, event_id)


def _results(pm, hook: str, **kwargs):
    """``(plugin name, result)`` of each plugin implementing ``hook``, in registration order."""
    order = [name for name, _ in pm.list_name_plugin()]
    impls = sorted(getattr(pm.hook, hook).get_hookimpls(), key=lambda h: order.index(h.plugin_name)
                   if h.plugin_name in order else len(order))
    out = []
    for h in impls:
        res = h.function(**{k: v for k, v in kwargs.items() if k in h.argnames})
        if res is not None:
            out.append((h.plugin_name, res))
    return out


def collect(pm) -> Extensions:
    ext = Extensions()
    for name, kinds in _results(pm, "makeplus_token_kinds"):
        for kind, loader in dict(kinds).items():
            if kind in ("access", "refresh", "") or kind in ext.token_kinds:
                raise RuntimeError(f"plugin {name}: token kind {kind!r} is taken")
            ext.token_kinds[kind] = (name, loader)
    for schema in SCHEMAS:
        seen = set()
        for name, nodes in _results(pm, "makeplus_schema_fields", schema=schema):
            for node in nodes:
                if node.name in seen:
                    raise RuntimeError(f"plugin {name}: field {node.name!r} of {schema!r} is declared twice")
                seen.add(node.name)
                ext.fields.setdefault(schema, []).append((name, node))
    for _name, limits in _results(pm, "makeplus_rate_limits"):
        for bucket, value in dict(limits).items():
            ext.rate_limits[bucket] = value
    for _name, perms in _results(pm, "makeplus_permissions"):
        for role, names in dict(perms).items():
            current = ext.permissions.setdefault(role, [])
            current.extend(p for p in names if p not in current)
    for name, caps in _results(pm, "makeplus_capabilities"):
        ext.capabilities[name] = dict(caps)
    for name, gate in _results(pm, "makeplus_access_gates"):
        if not callable(gate):
            raise RuntimeError(f"plugin {name}: makeplus_access_gates must return a callable gate(room, holder)")
        ext.access_gates[name] = gate
    for name, gate in _results(pm, "makeplus_paid_items_gates"):
        if not callable(gate):
            raise RuntimeError(f"plugin {name}: makeplus_paid_items_gates must return a callable "
                               "gate(user, participant, event_id)")
        ext.paid_items_gates[name] = gate
    return ext


def access_gates(registry, pm) -> tuple | None:
    """The gates of the plugins that check room scans, as a tuple (hashable: the door's
    statement is built once per tuple); ``None`` when a plugin checks scans without a gate
    or records them (``makeplus_access_recorded``): then every scan takes the Python path."""
    hook = pm.hook
    if hook.makeplus_access_recorded.get_hookimpls():
        return None
    gates = of(registry).access_gates
    out = []
    for impl in hook.makeplus_check_access.get_hookimpls():
        gate = gates.get(impl.plugin_name)
        if gate is None:
            return None
        out.append(gate)
    return tuple(out)


def paid_items_gates(registry, pm) -> tuple | None:
    """The gates of the plugins that list paid items, as a tuple (hashable: the holder's
    statement is built once per tuple); ``None`` when a plugin lists items without a gate."""
    gates = of(registry).paid_items_gates
    out = []
    for impl in pm.hook.makeplus_paid_items.get_hookimpls():
        gate = gates.get(impl.plugin_name)
        if gate is None:
            return None
        out.append(gate)
    return tuple(out)


def setup(config, pm) -> Extensions:
    """Collect the declarations and wire them (rate-limit defaults)."""
    ext = collect(pm)
    components = config.registry.makeplus
    components.extensions = ext
    components.access_gates = access_gates(config.registry, pm)
    components.paid_items_gates = paid_items_gates(config.registry, pm)
    if components.rate_limiter is not None:
        components.rate_limiter.add_defaults(ext.rate_limits, config.get_settings())
    return ext


def of(registry) -> Extensions:
    return getattr(getattr(registry, "makeplus", None), "extensions", None) or Extensions()


# --------------------------------------------------------------------------- permissions


def role_permissions(registry, role, core: list[str]) -> list[str]:
    """The core's permissions of ``role`` followed by those enabled plugins add."""
    extra = of(registry).permissions.get(role, [])
    return [*core, *(p for p in extra if p not in core)]


# --------------------------------------------------------------------------- token kinds


def issue_token(registry, kind: str, subject: str, ttl_seconds: int, **claims) -> str:
    """A bearer token of a plugin's own ``kind`` (declared by ``makeplus_token_kinds``),
    signed with the core's key, expiring after ``ttl_seconds``."""
    if kind not in of(registry).token_kinds:
        raise RuntimeError(f"token kind {kind!r} is not declared by an enabled plugin")
    return registry.makeplus.jwt_policy.create_token(subject, expiration=dt.timedelta(seconds=ttl_seconds),
                                               typ=kind, **claims)


def _bearer(request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def token_principal(request, kind: str, message: str = "A valid token is required"):
    """What the ``kind`` loader returns for the request's bearer token; 401 when the
    token is missing, badly signed, expired, of another kind, or refused by the loader.
    Computed once per request."""
    import jwt

    cache = request.environ.setdefault(_BEARER_CACHE, {})
    if kind in cache:
        return cache[kind]
    fail = errors.NotAuthenticated(message)
    entry = of(request.registry).token_kinds.get(kind)
    token = _bearer(request)
    if entry is None or token is None:
        raise fail
    policy = request.jwt_policy
    try:
        claims = jwt.decode(token, policy.public_key, algorithms=[policy.algorithm], leeway=policy.leeway)
    except jwt.InvalidTokenError:
        raise fail from None
    if claims.get("typ") != kind:
        raise fail
    principal = entry[1](request, claims)
    if principal is None:
        raise fail
    cache[kind] = principal
    return principal


# --------------------------------------------------------------------------- schema fields


def schema_nodes(registry, schema: str) -> list[colander.SchemaNode]:
    return [node for _, node in of(registry).fields.get(schema, [])]


def _raw_body(request) -> dict:
    try:
        return json_body(request)
    except errors.DomainError:
        return {}


def validate_fields(request, schema: str, body: dict | None = None) -> dict:
    """Validate the plugin fields of ``schema`` present in ``body`` (default: the
    request's JSON object or form) and remember them for :func:`plugin_fields`.

    A field absent from the body is left out; ``null`` (or an empty form value) is kept
    as ``None`` (the plugin's "clear"); anything else goes through the plugin's colander
    node (a failure is a 400 naming the field).
    """
    nodes = schema_nodes(request.registry, schema)
    store = request.environ.setdefault("makeplus.plugin_fields", {})
    if not nodes:
        store[schema] = {}
        return {}
    body = _raw_body(request) if body is None else body
    out = {}
    for node in nodes:
        if node.name not in body:
            continue
        value = body[node.name]
        if value is None or value == "":
            out[node.name] = None
            continue
        try:
            out[node.name] = node.deserialize(value)
        except colander.Invalid as exc:
            message = "; ".join(str(v) for v in exc.asdict().values())
            raise errors.Invalid(f"{node.name}: {message}", field=node.name) from None
    store[schema] = out
    return out


def plugin_fields(request, schema: str) -> dict:
    """The validated plugin fields of ``schema`` sent with this request (``{}`` when
    none; validated now when the core's view has not done it yet, e.g. a dashboard form)."""
    if request is None:
        return {}
    store = request.environ.get("makeplus.plugin_fields", {})
    if schema in store:
        return store[schema]
    return validate_fields(request, schema)
