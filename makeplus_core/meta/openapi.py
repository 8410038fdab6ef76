"""The OpenAPI 3.0 document, generated from the Cornice services registered in *this*
application (core + enabled plugins) and their colander schemas, and Swagger UI
served from the ``swagger-ui-bundle`` package (no CDN).

cornice_swagger turns colander schemas into JSON schemas (it emits Swagger 2.0);
:func:`to_openapi3` turns its output into OpenAPI 3.0.3: route regexes leave the path
templates (``{id}``) and become typed path parameters, body parameters become request
bodies, every operation gets tags, a summary, an operationId, its security and the
response schemas of :mod:`.responses` (the JSON error shape on every 4xx). The
document is checked by ``openapi-spec-validator`` and fuzzed by schemathesis in the
test suite (docs/security.md, "OpenAPI document and fuzzing").
"""
from __future__ import annotations

import copy
import logging
import re

import colander
import swagger_ui_bundle
from cornice_swagger import CorniceSwagger
from cornice_swagger.converters.schema import IntegerTypeConverter, NumberTypeConverter, TypeConverter
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED

from .. import schema as types
from ..version import __version__
from . import responses

log = logging.getLogger(__name__)

OPENAPI_VERSION = "3.0.3"


def registered_services(registry) -> list:
    return list(getattr(registry, "cornice_services", {}).values())


class _FallbackConverter(TypeConverter):
    """Types cornice_swagger does not know: use a known base class's converter
    (e.g. a subclass of colander.Int), else an untyped schema (custom JSON types)."""

    def __call__(self, schema_node):
        for base in type(schema_node.typ).__mro__[1:]:
            known = self.dispatcher.converters.get(base)
            if known is not None:
                return known(self.dispatcher)(schema_node)
        converted = {}
        if schema_node.title:
            converted["title"] = schema_node.title
        if schema_node.description:
            converted["description"] = schema_node.description
        return converted


class _BoundedIntConverter(IntegerTypeConverter):
    """Our bounded ``Int``: the document states the range the server enforces."""

    def __call__(self, schema_node):
        converted = super().__call__(schema_node)
        converted.setdefault("minimum", schema_node.typ.min)
        converted.setdefault("maximum", schema_node.typ.max)
        return converted


class _MoneyConverter(NumberTypeConverter):
    """Amounts: finite, below 10¹⁰, not negative unless the type allows it."""

    def __call__(self, schema_node):
        converted = super().__call__(schema_node)
        converted.setdefault("exclusiveMaximum", True)
        converted.setdefault("maximum", int(types.MONEY_MAX))
        if not schema_node.typ.allow_negative:
            converted.setdefault("minimum", 0)
        return converted


class _Swagger(CorniceSwagger):
    custom_type_converters = {colander.Decimal: NumberTypeConverter, colander.Money: NumberTypeConverter,
                              types.Int: _BoundedIntConverter, types.Money: _MoneyConverter}
    default_type_converter = _FallbackConverter


# --------------------------------------------------------------------------- path templates

_SEGMENT = re.compile(r"\{(\w+)(?::((?:[^{}]|\{[^{}]*\})*))?\}")

# Route regexes we use, as JSON schemas of the path parameter they match.
_KNOWN_PATTERNS = {
    "[0-9a-fA-F-]{32,36}": {"type": "string", "format": "uuid"},
    r"\d+": {"type": "integer", "minimum": 1, "maximum": responses.MAX_INT},
}


def path_template(pattern: str) -> tuple[str, list[dict]]:
    """``/api/x/{id:[0-9a-fA-F-]{32,36}}/`` → (``/api/x/{id}/``, [its path parameter])."""
    params = []

    def plain(match):
        name, regex = match.group(1), match.group(2)
        if regex is None:
            schema = {"type": "string"}
        elif regex in _KNOWN_PATTERNS:
            schema = dict(_KNOWN_PATTERNS[regex])
        else:
            schema = {"type": "string", "pattern": f"^{regex}$"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    path = "/" + _SEGMENT.sub(plain, pattern).lstrip("/")
    return path, params


# --------------------------------------------------------------------------- schemas

_PARAM_SCHEMA_KEYS = ("type", "format", "items", "enum", "default", "minimum", "maximum",
                      "exclusiveMinimum", "exclusiveMaximum", "pattern", "minLength", "maxLength")


def _schema3(schema: dict, partial: bool = False) -> dict:
    """A cornice_swagger JSON schema made valid OpenAPI 3.0: ``default: null`` means the
    field may be null; a partial update (PATCH) requires no field."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if not isinstance(node, dict):
            return
        if "default" in node and node["default"] is None:
            del node["default"]
            node["nullable"] = True
        for child in (node.get("properties") or {}).values():
            walk(child)
        if isinstance(node.get("items"), dict):
            walk(node["items"])

    walk(schema)
    if partial:
        schema.pop("required", None)
    return schema


def _query_parameter(p: dict) -> dict:
    out = {"name": p["name"], "in": p["in"], "required": bool(p.get("required", False))}
    if p.get("description"):
        out["description"] = p["description"]
    schema = {k: p[k] for k in _PARAM_SCHEMA_KEYS if k in p}
    out["schema"] = _schema3(schema or {"type": "string"})
    return out


def _summary(view, service, method: str) -> str:
    doc = getattr(view, "__doc__", None) if not isinstance(view, str) else None
    if doc and doc.strip():
        return doc.strip().splitlines()[0].strip()
    return f"{method.upper()} {service.description or service.name}"


def _tag(view, service) -> str:
    """The feature an operation belongs to: its plugin, or the core package's module."""
    module = getattr(view, "__module__", "") or ""
    parts = module.split(".")
    if parts[0] == "makeplus_core" and len(parts) > 2:
        return parts[1]
    if parts[0].startswith("makeplus_"):
        return parts[0][len("makeplus_"):]
    return service.name.split("-")[0]


def _is_public(args: dict) -> bool:
    return args.get("permission") == NO_PERMISSION_REQUIRED


USER_BEARER = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
               "description": "`Authorization: Bearer <access token>` of a user"}


def security_schemes(services) -> dict:
    """``Bearer`` (a user's token) plus the schemes services declare.

    A plugin whose endpoints take another token (its own token kind, e.g. the caisse's
    desk token) sets, on each such Cornice service, ``service.openapi_security =
    [{"Name": []}]`` and ``service.openapi_security_schemes = {"Name": {...}}`` (an
    OpenAPI security scheme object)."""
    schemes = {"Bearer": USER_BEARER}
    for service in services:
        for name, scheme in (getattr(service, "openapi_security_schemes", None) or {}).items():
            if name in schemes and schemes[name] != scheme:
                raise RuntimeError(f"OpenAPI security scheme {name!r} is declared twice, differently")
            schemes[name] = scheme
    return schemes


def to_openapi3(swagger: dict, services: list) -> dict:
    """The Swagger 2.0 document cornice_swagger built for ``services``, as OpenAPI 3.0."""
    by_path = {s.path: s for s in services}
    paths: dict = {}
    tags: set[str] = set()
    for raw_path, raw_item in swagger["paths"].items():
        service = by_path.get(raw_path)
        path, path_params = path_template(raw_path)
        item: dict = {}
        if path_params:
            item["parameters"] = path_params
        views = {m.lower(): (view, args) for m, view, args in (service.definitions if service else [])}
        for method, raw_op in raw_item.items():
            if method == "parameters":
                continue
            view, args = views.get(method, (None, {}))
            op: dict = {}
            tag = _tag(view, service) if service else "api"
            tags.add(tag)
            op["tags"] = [tag]
            op["summary"] = _summary(view, service, method) if service else method.upper()
            op["operationId"] = f"{method}_{service.name if service else path}".replace("-", "_")
            params = []
            for p in raw_op.get("parameters", []):
                if p["in"] == "body":
                    op["requestBody"] = {
                        "required": False,
                        "content": {"application/json": {"schema": _schema3(p["schema"],
                                                                             partial=method == "patch")}},
                    }
                elif p["in"] in ("query", "header"):
                    params.append(_query_parameter(p))
            if params:
                op["parameters"] = params
            security = getattr(service, "openapi_security", None)
            if security is not None:
                op["security"] = security
            elif _is_public(args):
                op["security"] = []
            op["responses"] = responses.for_operation(method, path)
            item[method] = op
        paths[path] = item
    return {
        "openapi": OPENAPI_VERSION,
        "info": swagger["info"],
        "servers": [{"url": "/"}],
        "tags": [{"name": t} for t in sorted(tags)],
        "paths": paths,
        "components": {
            "schemas": responses.components(),
            "securitySchemes": security_schemes(services),
        },
        "security": [{"Bearer": []}],
    }


def build(request) -> dict:
    services = registered_services(request.registry)
    generator = _Swagger(services, pyramid_registry=request.registry)
    swagger = generator.generate(
        title="MakePlus API", version=__version__, base_path="/",
        info={"description": "MakePlus event platform REST API (core and enabled plugins)."},
    )
    return to_openapi3(swagger, services)


INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>MakePlus API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{static}/swagger-ui.css"></head>
<body><div id="swagger-ui" data-spec="{spec}"></div>
<script src="{static}/swagger-ui-bundle.js"></script>
<script src="{static}/swagger-ui-standalone-preset.js"></script>
<script src="{init}"></script>
</body></html>"""

# Served as a file, not inline: the pages' Content-Security-Policy refuses inline scripts.
INIT = """window.ui = SwaggerUIBundle({url: document.getElementById("swagger-ui").dataset.spec,
  dom_id: "#swagger-ui", validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout"});
"""


def docs_view(request):
    static = request.static_url(str(swagger_ui_bundle.swagger_ui_path) + "/").rstrip("/")
    html = INDEX.format(static=static, spec=request.route_url("openapi"), init=request.route_url("api-docs-init"))
    return Response(html, content_type="text/html", charset="utf-8")


def docs_init_view(request):
    return Response(INIT, content_type="text/javascript", charset="utf-8")


def include_swagger_ui(config):
    config.add_static_view("api/docs/static", str(swagger_ui_bundle.swagger_ui_path),
                           permission=NO_PERMISSION_REQUIRED)
    config.add_route("api-docs", "/api/docs/")
    config.add_view(docs_view, route_name="api-docs", permission=NO_PERMISSION_REQUIRED)
    config.add_route("api-docs-init", "/api/docs/swagger-init.js")
    config.add_view(docs_init_view, route_name="api-docs-init", permission=NO_PERMISSION_REQUIRED)
