import colander


class LiveUrlSchema(colander.MappingSchema):
    youtube_live_url = colander.SchemaNode(
        colander.String(), missing=None,
        description="youtube.com/watch?v=ID, youtu.be/ID or youtube.com/live/ID; null or \"\" removes the stream")
