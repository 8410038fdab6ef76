"""Our thin layer over Cornice and Pyramid for REST views: ``from makeplus_core import api``.

Views use :func:`service` to declare a Cornice service, :func:`validate` to run a
colander schema over the body (400 naming the field), :func:`paginate` for lists,
:func:`require_event` / :func:`require_role` for scoping and roles, :func:`get_or_404`
to resolve ids inside the caller's event. Errors are :mod:`makeplus_core.errors`
exceptions (also reachable as ``api.errors``), rendered with one JSON shape:
``{"error": code, "message": text, "detail": text, "field"?, "errors"?}``.

This module only gathers the names (the one place that re-exports them) and wires the
package in :func:`includeme`. Each name lives in the submodule of its job:

==================  ===================================================================
``services``        the Cornice service factory and route patterns: ``service``, ``doc``,
                    ``UUID``, ``UUID_ID``
``json``            JSON out, one encoder: ``json_dumps``, ``json_default``,
                    ``json_renderer``, ``json_response``, ``no_content``, ``isoformat``,
                    ``money``
``body``            the request body parser (a tween): size, media type, strict JSON
``inputs``          input in views: ``json_body``, ``json_body_in_event``, ``validate``,
                    ``param``, ``path_int``, ``parse_uuid``, ``parse_bool``
``scoping``         identity, event and roles: ``identity``, ``require_event``,
                    ``role_in_event``, ``require_role``, ``require_gestionnaire``,
                    ``get_or_404``, ``load_in_scope``, ``get_as_gestionnaire``
``pagination``      ``page_params``, ``paginate``, ``paginate_rows``
``error_views``     the error shape and its views: ``error_response``,
                    ``server_error_response``, ``request_id``, ``forbidden_view``,
                    ``notfound_view``, ``cornice_error_handler``
``caching``         ``Cache-Control``/``Vary`` of API answers (a subscriber)
==================  ===================================================================
"""
from __future__ import annotations

from .. import errors
from .error_views import (
    cornice_error_handler,
    error_response,
    forbidden_view,
    notfound_view,
    request_id,
    server_error_response,
)
from .inputs import json_body, json_body_in_event, param, parse_bool, parse_uuid, path_int, validate
from .json import isoformat, json_default, json_dumps, json_renderer, json_response, money, no_content
from .pagination import page_params, paginate, paginate_rows
from .scoping import (
    get_as_gestionnaire,
    get_or_404,
    identity,
    load_in_scope,
    require_event,
    require_gestionnaire,
    require_role,
    role_in_event,
)
from .services import UUID, UUID_ID, doc, service

_json_default = json_default  # its name before the split; access/pipeline.py still uses it

__all__ = [
    "errors",
    # services
    "UUID", "UUID_ID", "doc", "service",
    # json
    "isoformat", "json_default", "json_dumps", "json_renderer", "json_response", "money", "no_content",
    # inputs
    "json_body", "json_body_in_event", "param", "parse_bool", "parse_uuid", "path_int", "validate",
    # scoping
    "get_as_gestionnaire", "get_or_404", "identity", "load_in_scope", "require_event", "require_gestionnaire",
    "require_role", "role_in_event",
    # pagination
    "page_params", "paginate", "paginate_rows",
    # error_views
    "cornice_error_handler", "error_response", "forbidden_view", "notfound_view", "request_id",
    "server_error_response",
]


def includeme(config):
    """The JSON renderer, the error views, the body parser tween and the cache headers."""
    config.add_renderer("json", json_renderer())  # overrides Pyramid's (committed before any include)
    config.include(".error_views")
    config.include(".body")
    config.include(".caching")
