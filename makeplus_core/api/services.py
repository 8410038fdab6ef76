"""Declaring REST endpoints: the Cornice service factory, the request schema of the
OpenAPI document and the one UUID route pattern.

Cornice is barely maintained: views reach it only through :func:`service` and :func:`doc`.
"""
from __future__ import annotations

import colander
import cornice

from .error_views import cornice_error_handler

#: The route pattern of a UUID path segment (with or without dashes), the one for every
#: route: ``f"/api/rooms/{{id:{api.UUID}}}/"`` or, for the common ``id`` segment, ``api.UUID_ID``.
UUID = "[0-9a-fA-F-]{32,36}"
UUID_ID = "{id:" + UUID + "}"


def service(name: str, path: str, description: str | None = None, **kwargs) -> cornice.Service:
    """A Cornice service with our defaults (JSON errors, CORS handled by our tween)."""
    kwargs.setdefault("cors_enabled", False)
    kwargs.setdefault("renderer", "json")  # our JSON renderer (datetimes with Z, decimals as strings)
    kwargs.setdefault("error_handler", cornice_error_handler)
    kwargs.setdefault("depth", 2)  # venusian must see the caller's module, not this one
    return cornice.Service(name=name, path=path, description=description or name, **kwargs)


def doc(body_schema=None, querystring=None):
    """A request schema for the OpenAPI document: ``body`` and/or ``querystring``.

    Pass the result as ``schema=`` to a Cornice view decorator. Validation itself is
    done in the view with :func:`makeplus_core.api.validate`, so aliases and partial
    updates stay ours.
    """

    class RequestSchema(colander.MappingSchema):
        pass

    node = RequestSchema()
    for name, schema in (("body", body_schema), ("querystring", querystring)):
        if schema is not None:
            node.add(schema(name=name) if isinstance(schema, type) else schema.clone())
            node[name].name = name
    return node
