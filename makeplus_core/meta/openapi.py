"""The OpenAPI document, generated from the Cornice services registered in *this*
application (core + enabled plugins) and their colander schemas, and Swagger UI
served from the ``swagger-ui-bundle`` package (no CDN)."""
from __future__ import annotations

import logging

import colander
import swagger_ui_bundle
from cornice_swagger import CorniceSwagger
from cornice_swagger.converters.schema import NumberTypeConverter, TypeConverter
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED

from .. import __version__

log = logging.getLogger(__name__)


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


class _Swagger(CorniceSwagger):
    custom_type_converters = {colander.Decimal: NumberTypeConverter, colander.Money: NumberTypeConverter}
    default_type_converter = _FallbackConverter


def build(request) -> dict:
    services = registered_services(request.registry)
    generator = _Swagger(services, pyramid_registry=request.registry)
    generator.summary_docstrings = True
    doc = generator.generate(
        title="MakePlus API", version=__version__, base_path="/",
        info={"description": "MakePlus event platform REST API (core and enabled plugins)."},
        securityDefinitions={"Bearer": {"type": "apiKey", "name": "Authorization", "in": "header",
                                        "description": "`Bearer <access token>`"}},
        security=[{"Bearer": []}],
    )
    return doc


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
