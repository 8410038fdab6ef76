import colander

from makeplus_core.plugin_api import schema

from .models import TARGETS


class AnnonceSchema(colander.MappingSchema):
    event = colander.SchemaNode(colander.String(), missing=colander.drop,
                                description="Event id (defaults to the token's event)")
    title = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=200))
    description = colander.SchemaNode(colander.String(), validator=colander.Length(max=10000), missing="")
    target = colander.SchemaNode(colander.String(), validator=colander.OneOf(TARGETS), missing="all")


class AnnonceQuery(colander.MappingSchema):
    event_id = colander.SchemaNode(colander.String(), missing=colander.drop)
    target = colander.SchemaNode(colander.String(), validator=colander.OneOf(TARGETS), missing=colander.drop)
    created_by = colander.SchemaNode(schema.Int(), missing=colander.drop)
    search = colander.SchemaNode(colander.String(), missing=colander.drop)
