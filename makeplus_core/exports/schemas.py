from __future__ import annotations

import colander

from .services import KINDS


class ExportRequestSchema(colander.MappingSchema):
    kind = colander.SchemaNode(colander.String(), validator=colander.OneOf(sorted(KINDS)))
