"""Colander schemas of the event endpoints, and input helpers shared by the core
event domain (rooms and sessions use :func:`drop_nulls` and :class:`JsonValue`)."""
from __future__ import annotations

import datetime as dt
import json

import colander

from .models import EVENT_STATUSES

UTC = dt.timezone.utc
COLOR_RE = r"^#[0-9A-Fa-f]{6}$"


def drop_nulls(data: dict) -> dict:
    """The app sends unused fields as explicit ``null``: treat them as absent."""
    return {k: v for k, v in data.items() if v is not None}


def when(**kw) -> colander.SchemaNode:
    """A datetime; naive input (``2026-09-20T14:00:00.000``) is UTC."""
    return colander.SchemaNode(colander.DateTime(default_tzinfo=UTC), **kw)


class JsonValue(colander.SchemaType):
    """A JSON list/object, given as such or as a JSON string (multipart forms)."""

    def __init__(self, kind: type):
        self.kind = kind

    def serialize(self, node, appstruct):
        return colander.null if appstruct is colander.null else appstruct

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        value = cstruct
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else self.kind()
            except ValueError:
                raise colander.Invalid(node, "not valid JSON")
        if not isinstance(value, self.kind):
            raise colander.Invalid(node, f"must be a JSON {'list' if self.kind is list else 'object'}")
        return value


class StrictInt(colander.Int):
    """An integer that refuses 12.7 (colander.Int would truncate it)."""

    def deserialize(self, node, cstruct):
        if isinstance(cstruct, float) and not cstruct.is_integer():
            raise colander.Invalid(node, f'"{cstruct}" is not an integer')
        if isinstance(cstruct, bool):
            raise colander.Invalid(node, f'"{cstruct}" is not an integer')
        return super().deserialize(node, cstruct)


def _text(max_len=None, **kw):
    validator = colander.Length(max=max_len) if max_len else None
    return colander.SchemaNode(colander.String(), validator=validator, **kw)


class EventSchema(colander.MappingSchema):
    name = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=200))
    description = _text(missing="")
    location = _text(500, missing="")
    start_date = when()
    end_date = when()
    status = colander.SchemaNode(colander.String(), validator=colander.OneOf(EVENT_STATUSES),
                                 missing=colander.drop)
    is_active = colander.SchemaNode(colander.Boolean(), missing=colander.drop)
    timezone = _text(64, missing=colander.drop)
    themes = colander.SchemaNode(JsonValue(list), missing=colander.drop)
    settings = colander.SchemaNode(JsonValue(dict), missing=colander.drop)
    metadata = colander.SchemaNode(JsonValue(dict), missing=colander.drop)
    organizer_name = _text(200, missing=colander.drop)
    organizer_email = colander.SchemaNode(colander.String(), validator=colander.All(
        colander.Email(), colander.Length(max=254)), missing=colander.drop)
    organizer_phone = _text(40, missing=colander.drop)
    president = colander.SchemaNode(StrictInt(), missing=colander.drop)
    primary_color = colander.SchemaNode(colander.String(), validator=colander.Regex(
        COLOR_RE, "must be a colour like #1A2B3C"), missing=colander.drop)
    # Image URLs given as text (uploads go through multipart fields logo/banner).
    logo_url = colander.SchemaNode(colander.String(), validator=colander.url, missing=colander.drop)
    banner_url = colander.SchemaNode(colander.String(), validator=colander.url, missing=colander.drop)


class EventQuery(colander.MappingSchema):
    status = colander.SchemaNode(colander.String(), validator=colander.OneOf(EVENT_STATUSES),
                                 missing=colander.drop)
    is_active = colander.SchemaNode(colander.Boolean(), missing=colander.drop)
    search = colander.SchemaNode(colander.String(), missing=colander.drop)
    archived = colander.SchemaNode(colander.Boolean(false_choices=("false", "0"), true_choices=("true", "1")),
                                   missing=colander.drop,
                                   description="true: list archived events only (default: hidden)")
