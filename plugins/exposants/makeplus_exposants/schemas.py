import colander

NOTES_MAX = 4000  # for one scan's notes, a PATCH, and the stored notes after appending


class ScanSchema(colander.MappingSchema):
    qr_data = colander.SchemaNode(colander.String(), missing=colander.drop,
                                  description="The visitor's badge QR text (any format the doors accept)")
    scanned_participant = colander.SchemaNode(colander.String(), missing=colander.drop,
                                              description="Or the visitor's participant id")
    event_id = colander.SchemaNode(colander.String(), missing=colander.drop,
                                   description="Event id (defaults to the token's event)")
    notes = colander.SchemaNode(colander.String(allow_empty=True), missing="",
                                validator=colander.Length(max=NOTES_MAX))


class NotesSchema(colander.MappingSchema):
    notes = colander.SchemaNode(colander.String(allow_empty=True), validator=colander.Length(max=NOTES_MAX))


class ScanQuery(colander.MappingSchema):
    event_id = colander.SchemaNode(colander.String(), missing=colander.drop)
    exposant_id = colander.SchemaNode(colander.String(), missing=colander.drop)
    search = colander.SchemaNode(colander.String(), missing=colander.drop)
