import colander

from ..schema import Int


class RoomSchema(colander.MappingSchema):
    event = colander.SchemaNode(colander.String(), missing=colander.drop,
                                description="Event id (defaults to the token's event)")
    name = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=100))
    capacity = colander.SchemaNode(Int(minimum=0), missing=None)
    description = colander.SchemaNode(colander.String(), missing="")
    location = colander.SchemaNode(colander.String(), validator=colander.Length(max=200), missing=None)
    is_active = colander.SchemaNode(colander.Boolean(), missing=True)
    tracks_exits = colander.SchemaNode(colander.Boolean(), missing=colander.drop,
                                       description="Exits are scanned: occupancy counts the people inside")
    door_direction = colander.SchemaNode(colander.String(), missing=colander.drop,
                                         validator=colander.OneOf(["entry", "exit"]),
                                         description="Direction of a scan that names none (exit door)")


class RoomQuery(colander.MappingSchema):
    event = colander.SchemaNode(colander.String(), missing=colander.drop)
    event_id = colander.SchemaNode(colander.String(), missing=colander.drop)
    is_active = colander.SchemaNode(colander.Boolean(), missing=colander.drop)
    search = colander.SchemaNode(colander.String(), missing=colander.drop)
    include = colander.SchemaNode(colander.String(), missing=colander.drop,
                                  description="'sessions' to embed each room's sessions")
