"""Colander schemas of the billetterie API (bounded inputs through plugin_api.schema)."""
import colander

from makeplus_core.plugin_api import schema


def _ids(description):
    return colander.SchemaNode(colander.Sequence(), colander.SchemaNode(colander.String(), name="id"),
                               missing=colander.drop, description=description)


class TicketTypeSchema(colander.MappingSchema):
    name = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=200))
    description = colander.SchemaNode(colander.String(), validator=colander.Length(max=5000), missing="")
    price = colander.SchemaNode(schema.Money())
    currency = colander.SchemaNode(colander.String(), validator=colander.Length(min=3, max=3), missing="DZD",
                                   description="ISO 4217 code (DZD by default)")
    quantity = colander.SchemaNode(schema.Int(minimum=0), missing=None, description="Stock (null: unlimited)")
    per_order_limit = colander.SchemaNode(schema.Int(minimum=1, maximum=50), missing=10)
    sale_start = colander.SchemaNode(colander.DateTime(), missing=None)
    sale_end = colander.SchemaNode(colander.DateTime(), missing=None)
    is_visible = colander.SchemaNode(colander.Boolean(), missing=True)
    transferable = colander.SchemaNode(colander.Boolean(), missing=True)
    room_ids = _ids("Rooms this ticket opens (empty: every room)")
    session_ids = _ids("Paid ateliers included (paid access granted on payment)")
    upgradable_to = _ids("Ticket types this one may be upgraded to")


class AttendeeSchema(colander.MappingSchema):
    name = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=300))
    email = colander.SchemaNode(colander.String(), validator=colander.Length(max=254))


class ItemSchema(colander.MappingSchema):
    ticket_type = colander.SchemaNode(colander.String())
    attendee = AttendeeSchema()


class BuyerSchema(colander.MappingSchema):
    email = colander.SchemaNode(colander.String(), validator=colander.Length(max=254))
    name = colander.SchemaNode(colander.String(), validator=colander.Length(max=300), missing="")


class CheckoutSchema(colander.MappingSchema):
    event = colander.SchemaNode(colander.String(), description="Event id")
    provider = colander.SchemaNode(colander.String(), missing="test", description="test, stripe or onsite")
    buyer = BuyerSchema(missing=colander.drop, description="Guests only (logged-in buyers are the caller)")
    items = colander.SchemaNode(colander.Sequence(), ItemSchema(name="item"))


class ConfirmSchema(colander.MappingSchema):
    order = colander.SchemaNode(colander.String())
    token = colander.SchemaNode(colander.String(), missing=colander.drop, description="Guest order token")
    outcome = colander.SchemaNode(colander.String(), missing=colander.drop,
                                  description="test provider: success, failure or delay")


class ContactSchema(colander.MappingSchema):
    event = colander.SchemaNode(colander.String())
    name = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=200))
    email = colander.SchemaNode(colander.String(), validator=colander.All(colander.Email(),
                                                                          colander.Length(max=254)))
    subject = colander.SchemaNode(colander.String(), validator=colander.Length(max=200), missing="")
    message = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=5000))


class TransferSchema(colander.MappingSchema):
    ticket = colander.SchemaNode(colander.String())
    email = colander.SchemaNode(colander.String(), validator=colander.Length(max=254))
    name = colander.SchemaNode(colander.String(), validator=colander.Length(max=300), missing="")


class AcceptSchema(colander.MappingSchema):
    code = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=200))


class UpgradeSchema(colander.MappingSchema):
    ticket = colander.SchemaNode(colander.String())
    to_type = colander.SchemaNode(colander.String())
    provider = colander.SchemaNode(colander.String(), missing="test")


class StaffUpgradeSchema(colander.MappingSchema):
    ticket = colander.SchemaNode(colander.String())
    to_type = colander.SchemaNode(colander.String())
    charge = colander.SchemaNode(colander.Boolean(), missing=False,
                                 description="true: the holder pays the difference (pending order); "
                                             "false: upgraded at once, free")
    provider = colander.SchemaNode(colander.String(), missing="onsite")


class RefundSchema(colander.MappingSchema):
    order = colander.SchemaNode(colander.String())
    ticket = colander.SchemaNode(colander.String(), missing=None, description="One ticket (default: the order)")
    amount = colander.SchemaNode(schema.Money(), missing=None, description="Default: all that is left")
    reason = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=2000))


class CompSchema(colander.MappingSchema):
    ticket_type = colander.SchemaNode(colander.String())
    attendees = colander.SchemaNode(colander.Sequence(), AttendeeSchema(name="attendee"))
    reason = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=2000))


class OrderRefSchema(colander.MappingSchema):
    order = colander.SchemaNode(colander.String())


class ScanSchema(colander.MappingSchema):
    qr_data = colander.SchemaNode(colander.String(), description="The badge QR")
    room = colander.SchemaNode(colander.String(), missing=colander.drop,
                               description="A room id (room door); without it, the event-level check-in")
    session = colander.SchemaNode(colander.String(), missing=colander.drop)
