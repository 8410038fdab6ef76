"""Colander schemas of the event endpoints, and input helpers shared by the core
event domain (rooms and sessions use :func:`drop_nulls`; the types are in :mod:`makeplus_core.schema`)."""
from __future__ import annotations

import datetime as dt

import colander

from ..auth.schemas import email
from ..schema import Int, JsonValue
from .models import EVENT_STATUSES

UTC = dt.UTC
COLOR_RE = r"^#[0-9A-Fa-f]{6}$"


def drop_nulls(data: dict) -> dict:
    """The app sends unused fields as explicit ``null``: treat them as absent."""
    return {k: v for k, v in data.items() if v is not None}


def when(**kw) -> colander.SchemaNode:
    """A datetime; naive input (``2026-09-20T14:00:00.000``) is UTC."""
    return colander.SchemaNode(colander.DateTime(default_tzinfo=UTC), **kw)


def _text(max_len=None, **kw):
    validator = colander.Length(max=max_len) if max_len else None
    return colander.SchemaNode(colander.String(), validator=validator, **kw)


class EventSchema(colander.MappingSchema):
    name = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=200))
    description = _text(missing="")
    location = _text(500, missing="")
    location_details = _text(5000, missing=colander.drop)
    # Plain user-id badges ("15") at this event's doors: anyone who knows or guesses an id can
    # print one, so organisers choose it knowingly (docs/access.md); absent: the platform default
    accept_plain_user_id = colander.SchemaNode(colander.Boolean(false_choices=("false", "0"), true_choices=("true", "1")),
                                               missing=colander.drop)
    start_date = when()
    end_date = when()
    status = colander.SchemaNode(colander.String(), validator=colander.OneOf(EVENT_STATUSES),
                                 missing=colander.drop)
    is_active = colander.SchemaNode(colander.Boolean(), missing=colander.drop)
    timezone = _text(64, missing=colander.drop)
    themes = colander.SchemaNode(JsonValue(list), missing=colander.drop)
    settings = colander.SchemaNode(JsonValue(dict), missing=colander.drop)
    # {plugin: true|false}: switch an enabled plugin on/off for this event (makeplus_core.modules)
    modules = colander.SchemaNode(JsonValue(dict), missing=colander.drop)
    metadata = colander.SchemaNode(JsonValue(dict), missing=colander.drop)
    organizer_name = _text(200, missing=colander.drop)
    organizer_email = email(missing=colander.drop)
    organizer_phone = _text(40, missing=colander.drop)
    president = colander.SchemaNode(Int(minimum=1), missing=colander.drop)
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


def _optional(typ) -> colander.SchemaNode:
    return colander.SchemaNode(typ, missing=colander.drop)


class MemberQuery(colander.MappingSchema):
    """The filters of every list of an event's members (participants, user and room assignments);
    ``event``/``event_id`` are accepted and checked against the token's event by the view."""

    event = _optional(colander.String())
    event_id = _optional(colander.String())
    user = _optional(Int())
    user_id = _optional(Int())
    role = _optional(colander.String())
