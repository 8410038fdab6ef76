"""Query string of ``GET /api/search/``."""
from __future__ import annotations

import colander

from ..schema import Int


class SearchQuery(colander.MappingSchema):
    q = colander.SchemaNode(colander.String(), description="words to find (2 characters at least)")
    type = colander.SchemaNode(colander.String(), missing=colander.drop,
                               description="comma-separated kinds: session, room, participant, or a plugin's kind")
    page = colander.SchemaNode(Int(), missing=colander.drop)
    page_size = colander.SchemaNode(Int(), missing=colander.drop)
