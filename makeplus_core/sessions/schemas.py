import colander

from ..events.schemas import when
from ..schema import Int, JsonValue, Money
from .models import SESSION_STATUSES, SESSION_TYPES


def _text(max_len=None, **kw):
    validator = colander.Length(max=max_len) if max_len else None
    return colander.SchemaNode(colander.String(), validator=validator, **kw)


class SessionSchema(colander.MappingSchema):
    """Unknown keys are ignored (plugins' own fields are validated separately: see
    ``makeplus_schema_fields`` and :func:`makeplus_core.extensions.validate_fields`), nulls are absent."""

    event = _text(missing=colander.drop, description="Event id (defaults to the token's event)")
    room = _text(description="Room id (alias: room_id)")
    title = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=200))
    description = _text(missing="")
    speaker_name = _text(200, missing="")
    speaker_title = _text(200, missing="")
    speaker_bio = _text(missing="")
    speaker_photo_url = _text(500, missing=None)
    start_time = when()
    end_time = when()
    theme = _text(100, missing="")
    status = colander.SchemaNode(colander.String(), validator=colander.OneOf(SESSION_STATUSES),
                                 missing="pas_encore")
    session_type = colander.SchemaNode(colander.String(), validator=colander.OneOf(SESSION_TYPES),
                                       missing="conference")
    is_paid = colander.SchemaNode(colander.Boolean(), missing=False)
    price = colander.SchemaNode(Money(round=True), missing=None)
    capacity = colander.SchemaNode(Int(minimum=0), missing=None)
    cover_image = _text(500, missing=None)
    metadata = colander.SchemaNode(JsonValue(dict), missing=colander.drop)


class SessionQuery(colander.MappingSchema):
    event = _text(missing=colander.drop)
    event_id = _text(missing=colander.drop)
    room = _text(missing=colander.drop)
    room_id = _text(missing=colander.drop)
    status = colander.SchemaNode(colander.String(), validator=colander.OneOf(SESSION_STATUSES),
                                 missing=colander.drop)
    session_type = colander.SchemaNode(colander.String(), validator=colander.OneOf(SESSION_TYPES),
                                       missing=colander.drop)
    is_paid = colander.SchemaNode(colander.Boolean(), missing=colander.drop)
    search = _text(missing=colander.drop)
    ordering = colander.SchemaNode(colander.String(), missing=colander.drop,
                                   validator=colander.OneOf(("start_time", "-start_time", "title", "-title",
                                                             "end_time", "-end_time")))


class SwapSchema(colander.MappingSchema):
    session_1_id = _text()
    session_2_id = _text()
