"""Colander schemas of the participant endpoints."""
import colander

from ..auth.schemas import email
from ..events.schemas import MemberQuery
from ..roles import BADGE_ROLES
from ..schema import Int


def _str(max_len, **kw):
    kw.setdefault("missing", colander.drop)
    return colander.SchemaNode(colander.String(), validator=colander.Length(max=max_len), **kw)


class RoomIds(colander.SequenceSchema):
    room = colander.SchemaNode(colander.String())


class ParticipantSchema(colander.MappingSchema):
    """Create (gestionnaire): ``user`` of an existing account, or ``email`` (+ names) for a new one.

    ``user_id`` and ``event_id`` are accepted as aliases (normalised by the view).
    """

    user = colander.SchemaNode(Int(), missing=colander.drop)
    email = email(missing=colander.drop)
    first_name = _str(150)
    last_name = _str(150)
    phone = _str(40)
    organization = _str(200)
    job_title = _str(200)
    role = colander.SchemaNode(colander.String(), validator=colander.OneOf(BADGE_ROLES),
                               missing=colander.drop)
    badge_number = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=50),
                                       missing=colander.drop)
    allowed_rooms = RoomIds(missing=colander.drop)
    is_checked_in = colander.SchemaNode(colander.Boolean(), missing=colander.drop)
    notes = _str(5000)


class ParticipantQuery(MemberQuery):
    badge_number = colander.SchemaNode(colander.String(), missing=colander.drop)
    search = colander.SchemaNode(colander.String(), missing=colander.drop)
    is_checked_in = colander.SchemaNode(colander.Boolean(), missing=colander.drop)
    page = colander.SchemaNode(Int(), missing=colander.drop)
    page_size = colander.SchemaNode(Int(), missing=colander.drop)
