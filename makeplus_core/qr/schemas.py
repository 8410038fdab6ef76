"""Input of ``POST /api/qr/generate/``."""
from __future__ import annotations

import colander

from ..schema import Int


class GenerateSchema(colander.MappingSchema):
    user_id = colander.SchemaNode(Int(minimum=1), missing=colander.drop)
    participant_id = colander.SchemaNode(colander.String(), missing=colander.drop)
    data = colander.SchemaNode(colander.String(), missing=colander.drop, validator=colander.Length(1, 1500))
    format = colander.SchemaNode(colander.String(), missing=colander.drop, validator=colander.OneOf(["png", "svg"]))
    variant = colander.SchemaNode(colander.String(), missing=colander.drop,
                                  validator=colander.OneOf(["json", "signed"]))
