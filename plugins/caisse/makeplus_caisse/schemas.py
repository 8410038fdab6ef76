import colander

from makeplus_core.plugin_api import schema

from .models import ITEM_TYPES, PAYMENT_METHODS, TRANSACTION_STATUSES


class CaisseSchema(colander.MappingSchema):
    name = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=100))
    email = colander.SchemaNode(colander.String(), validator=colander.All(colander.Email(),
                                                                          colander.Length(max=254)))
    password = colander.SchemaNode(colander.String(), validator=colander.Length(min=8, max=200))
    is_active = colander.SchemaNode(colander.Boolean(), missing=True)


class LoginSchema(colander.MappingSchema):
    email = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=254))
    password = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=200))


class ItemSchema(colander.MappingSchema):
    item_type = colander.SchemaNode(colander.String(), validator=colander.OneOf(ITEM_TYPES), missing="other")
    name = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=200))
    description = colander.SchemaNode(colander.String(), validator=colander.Length(max=5000), missing="")
    price = colander.SchemaNode(schema.Money())
    is_active = colander.SchemaNode(colander.Boolean(), missing=True)
    session = colander.SchemaNode(colander.String(allow_empty=True), missing=None)
    capacity = colander.SchemaNode(schema.Int(minimum=0), missing=None)
    room = colander.SchemaNode(colander.String(allow_empty=True), missing=None,
                               description="A room whose door this item is the ticket of (e.g. the dinner hall)")


class SaleSchema(colander.MappingSchema):
    participant = colander.SchemaNode(colander.String(), missing=None,
                                      description="Participant id (optional when only an order is sold)")
    items = colander.SchemaNode(colander.Sequence(), colander.SchemaNode(colander.String(), name="item"),
                                missing=colander.drop, description="Item ids (each at most once)")
    order = colander.SchemaNode(colander.String(), missing=None,
                                description="An on-site ticket order to collect (GET /api/caisse/pos/orders/)")
    payment_method = colander.SchemaNode(colander.String(), validator=colander.OneOf(PAYMENT_METHODS),
                                         missing="cash")
    notes = colander.SchemaNode(colander.String(), validator=colander.Length(max=2000), missing="")


class CancelSchema(colander.MappingSchema):
    reason = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=2000))


class TransactionQuery(colander.MappingSchema):
    date_from = colander.SchemaNode(colander.String(), missing=colander.drop)
    date_to = colander.SchemaNode(colander.String(), missing=colander.drop)
    status = colander.SchemaNode(colander.String(), validator=colander.OneOf(TRANSACTION_STATUSES),
                                 missing=colander.drop)
    payment_method = colander.SchemaNode(colander.String(), validator=colander.OneOf(PAYMENT_METHODS),
                                         missing=colander.drop)
    participant = colander.SchemaNode(colander.String(), missing=colander.drop)
    caisse = colander.SchemaNode(colander.String(), missing=colander.drop)
