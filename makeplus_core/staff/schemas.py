"""Colander schemas of user assignments and room assignments."""
import datetime as dt

import colander

from ..roles import ROLES, STAFF_ROLES

UTC_DATETIME = colander.DateTime(default_tzinfo=dt.timezone.utc)


class UserAssignmentSchema(colander.MappingSchema):
    """Create: the person by ``email`` (event staff; names used only for a new account) or
    by ``user`` id (platform admins only)."""

    user = colander.SchemaNode(colander.Int(), missing=colander.drop)
    email = colander.SchemaNode(colander.String(), validator=colander.All(colander.Email(),
                                                                          colander.Length(max=254)),
                                missing=colander.drop)
    first_name = colander.SchemaNode(colander.String(), validator=colander.Length(max=150), missing=colander.drop)
    last_name = colander.SchemaNode(colander.String(), validator=colander.Length(max=150), missing=colander.drop)
    role = colander.SchemaNode(colander.String(), validator=colander.OneOf(ROLES))
    is_active = colander.SchemaNode(colander.Boolean(), missing=True)


class UserAssignmentUpdateSchema(colander.MappingSchema):
    role = colander.SchemaNode(colander.String(), validator=colander.OneOf(ROLES))
    is_active = colander.SchemaNode(colander.Boolean(), missing=True)


class UserAssignmentQuery(colander.MappingSchema):
    user = colander.SchemaNode(colander.Int(), missing=colander.drop)
    user_id = colander.SchemaNode(colander.Int(), missing=colander.drop)
    event = colander.SchemaNode(colander.String(), missing=colander.drop)
    event_id = colander.SchemaNode(colander.String(), missing=colander.drop)
    role = colander.SchemaNode(colander.String(), missing=colander.drop)
    is_active = colander.SchemaNode(colander.Boolean(), missing=colander.drop)


class RoomAssignmentSchema(colander.MappingSchema):
    user = colander.SchemaNode(colander.Int())
    room = colander.SchemaNode(colander.String())
    role = colander.SchemaNode(colander.String(), validator=colander.OneOf(STAFF_ROLES),
                               missing=colander.drop)
    start_time = colander.SchemaNode(UTC_DATETIME)
    end_time = colander.SchemaNode(UTC_DATETIME)
    is_active = colander.SchemaNode(colander.Boolean(), missing=True)


class RoomAssignmentQuery(colander.MappingSchema):
    room = colander.SchemaNode(colander.String(), missing=colander.drop)
    room_id = colander.SchemaNode(colander.String(), missing=colander.drop)
    user = colander.SchemaNode(colander.Int(), missing=colander.drop)
    user_id = colander.SchemaNode(colander.Int(), missing=colander.drop)
    event = colander.SchemaNode(colander.String(), missing=colander.drop)
    event_id = colander.SchemaNode(colander.String(), missing=colander.drop)
    role = colander.SchemaNode(colander.String(), missing=colander.drop)
    is_active = colander.SchemaNode(colander.Boolean(), missing=colander.drop)
    current = colander.SchemaNode(colander.Boolean(), missing=colander.drop)
