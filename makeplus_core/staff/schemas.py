"""Colander schemas of user assignments and room assignments."""
import datetime as dt

import colander

from ..auth.schemas import email, text
from ..events.schemas import MemberQuery
from ..roles import ROLES, STAFF_ROLES
from ..schema import Int

UTC_DATETIME = colander.DateTime(default_tzinfo=dt.UTC)


class UserAssignmentSchema(colander.MappingSchema):
    """Create: the person by ``email`` (event staff; names used only for a new account) or
    by ``user`` id (platform admins only)."""

    user = colander.SchemaNode(Int(), missing=colander.drop)
    email = email(missing=colander.drop)
    first_name = text(150, missing=colander.drop)
    last_name = text(150, missing=colander.drop)
    role = colander.SchemaNode(colander.String(), validator=colander.OneOf(ROLES))
    is_active = colander.SchemaNode(colander.Boolean(), missing=True)


class UserAssignmentUpdateSchema(colander.MappingSchema):
    role = colander.SchemaNode(colander.String(), validator=colander.OneOf(ROLES))
    is_active = colander.SchemaNode(colander.Boolean(), missing=True)


class AssignmentQuery(MemberQuery):
    is_active = colander.SchemaNode(colander.Boolean(), missing=colander.drop)


class UserAssignmentQuery(AssignmentQuery):
    """The filters of /api/user-assignments/."""


class RoomAssignmentSchema(colander.MappingSchema):
    user = colander.SchemaNode(Int())
    room = colander.SchemaNode(colander.String())
    role = colander.SchemaNode(colander.String(), validator=colander.OneOf(STAFF_ROLES),
                               missing=colander.drop)
    start_time = colander.SchemaNode(UTC_DATETIME)
    end_time = colander.SchemaNode(UTC_DATETIME)
    is_active = colander.SchemaNode(colander.Boolean(), missing=True)


class RoomAssignmentQuery(AssignmentQuery):
    room = colander.SchemaNode(colander.String(), missing=colander.drop)
    room_id = colander.SchemaNode(colander.String(), missing=colander.drop)
    current = colander.SchemaNode(colander.Boolean(), missing=colander.drop)
