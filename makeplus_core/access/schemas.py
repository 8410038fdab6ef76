"""Request schemas (colander) of the access domain's endpoints: the scan doors, the offline
scanner, the scan journal and paid-atelier rights. Validation itself happens in the views
(``api.validate``); these also describe the endpoints in the OpenAPI document."""
from __future__ import annotations

import colander

from ..schema import Money
from . import journal, manifest
from .session_access import MANAGED_STATUSES

MAX_SYNC = 1000  # offline scans per sync call


# --------------------------------------------------------------------------- the scan doors


class ScanSchema(colander.MappingSchema):
    qr_data = colander.SchemaNode(colander.String(), description="The scanned QR text (JSON, signed or id)")
    session = colander.SchemaNode(colander.String(), missing=colander.drop, description="Session id (optional)")
    session_id = colander.SchemaNode(colander.String(), missing=colander.drop, description="Alias of session")
    scan_id = colander.SchemaNode(colander.String(), missing=colander.drop,
                                  description="Client scan id (idempotency, like Idempotency-Key)")
    direction = colander.SchemaNode(colander.String(), missing=colander.drop,
                                    validator=colander.OneOf(["entry", "exit"]),
                                    description="entry (default, or the room's door_direction) or exit")


class QrVerifySchema(ScanSchema):
    room = colander.SchemaNode(colander.String(), missing=colander.drop,
                               description="Room id: verify at that room's door (alias room_id)")
    room_id = colander.SchemaNode(colander.String(), missing=colander.drop)


class GrantRoomSchema(colander.MappingSchema):
    room = colander.SchemaNode(colander.String(), missing=colander.drop, description="Room id (alias room_id)")
    room_id = colander.SchemaNode(colander.String(), missing=colander.drop)
    rooms = colander.SchemaNode(colander.List(), missing=colander.drop, description="Several room ids")


# --------------------------------------------------------------------------- offline scanner


class ManifestQuery(colander.MappingSchema):
    room = colander.SchemaNode(colander.String(), missing=colander.drop, description="Room id")
    room_id = colander.SchemaNode(colander.String(), missing=colander.drop, description="Alias of room")
    since = colander.SchemaNode(colander.String(), missing=colander.drop,
                                description="The version a previous call returned (delta)")
    hours = colander.SchemaNode(colander.Integer(), missing=colander.drop,
                                description=f"Sessions starting within this many hours (default "
                                            f"{manifest.DEFAULT_HOURS}, at most {manifest.MAX_HOURS})")


class SyncItem(colander.MappingSchema):
    scan_id = colander.SchemaNode(colander.String(), description="The phone's id of this scan (1-200 chars)")
    qr_data = colander.SchemaNode(colander.String(), description="The scanned QR text")
    scanned_at = colander.SchemaNode(colander.String(), description="When the phone scanned (ISO-8601)")
    room = colander.SchemaNode(colander.String(), missing=colander.drop, description="Room id (or room_id)")
    direction = colander.SchemaNode(colander.String(), missing=colander.drop,
                                    validator=colander.OneOf(["entry", "exit"]))
    decision = colander.SchemaNode(colander.String(), missing=colander.drop,
                                   validator=colander.OneOf(["granted", "denied"]),
                                   description="What the phone decided offline")
    session = colander.SchemaNode(colander.String(), missing=colander.drop)


class SyncItems(colander.SequenceSchema):
    item = SyncItem()


class SyncSchema(colander.MappingSchema):
    room = colander.SchemaNode(colander.String(), missing=colander.drop,
                               description="Default room of the items")
    scans = SyncItems(description=f"At most {MAX_SYNC} offline scans")


# --------------------------------------------------------------------------- journal


class JournalQuery(colander.MappingSchema):
    room = colander.SchemaNode(colander.String(), missing=colander.drop, description="Room id (alias room_id)")
    room_id = colander.SchemaNode(colander.String(), missing=colander.drop)
    participant = colander.SchemaNode(colander.String(), missing=colander.drop,
                                      description="Participant id (alias participant_id)")
    participant_id = colander.SchemaNode(colander.String(), missing=colander.drop)
    user = colander.SchemaNode(colander.String(), missing=colander.drop, description="Holder's user id")
    session = colander.SchemaNode(colander.String(), missing=colander.drop, description="Session id")
    status = colander.SchemaNode(colander.String(), missing=colander.drop, validator=colander.OneOf(journal.STATUSES))
    reason = colander.SchemaNode(colander.String(), missing=colander.drop, description="Reason code, e.g. room_full")
    direction = colander.SchemaNode(colander.String(), missing=colander.drop,
                                    validator=colander.OneOf(journal.DIRECTIONS))
    format = colander.SchemaNode(colander.String(), missing=colander.drop, validator=colander.OneOf(("json", "xlsx")))


# --------------------------------------------------------------------------- paid-atelier rights


class SessionAccessSchema(colander.MappingSchema):
    participant = colander.SchemaNode(colander.String())
    session = colander.SchemaNode(colander.String())
    payment_status = colander.SchemaNode(colander.String(), validator=colander.OneOf(MANAGED_STATUSES),
                                         missing="pending")
    has_access = colander.SchemaNode(colander.Boolean(), missing=colander.drop)
    amount_paid = colander.SchemaNode(Money(round=True), missing=colander.drop)


class SessionAccessUpdateSchema(colander.MappingSchema):
    payment_status = colander.SchemaNode(colander.String(), validator=colander.OneOf(MANAGED_STATUSES))
    has_access = colander.SchemaNode(colander.Boolean(), missing=colander.drop)
    amount_paid = colander.SchemaNode(Money(round=True), missing=colander.drop)


class SessionAccessQuery(colander.MappingSchema):
    participant = colander.SchemaNode(colander.String(), missing=colander.drop)
    participant_id = colander.SchemaNode(colander.String(), missing=colander.drop)
    session = colander.SchemaNode(colander.String(), missing=colander.drop)
    session_id = colander.SchemaNode(colander.String(), missing=colander.drop)
    payment_status = colander.SchemaNode(colander.String(), missing=colander.drop)
    has_access = colander.SchemaNode(colander.Boolean(), missing=colander.drop)
    event = colander.SchemaNode(colander.String(), missing=colander.drop)
    event_id = colander.SchemaNode(colander.String(), missing=colander.drop)
