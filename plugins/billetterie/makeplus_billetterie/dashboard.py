"""The billetterie pages of the web dashboard (``makeplus_dashboard_pages``): ticket types
(list, create, edit) and orders (search, detail, refund with a reason)."""
from __future__ import annotations

import colander

from makeplus_core.plugin_api import api, translate
from makeplus_core.plugin_api import i18n as plugin_i18n

from . import providers, schemas, services
from .models import ORDER_STATUSES, Order, TicketType

TEMPLATE = "makeplus_billetterie:templates/dashboard.jinja2"


def _type_form(data: dict) -> dict:
    """Dashboard form fields as the API schema wants them (checkboxes, blanks)."""
    out = {k: v for k, v in data.items() if k not in ("is_visible", "transferable")}
    out["is_visible"] = "true" if data.get("is_visible") else "false"
    out["transferable"] = "true" if data.get("transferable") else "false"
    for key in ("quantity", "sale_start", "sale_end"):
        if not out.get(key):
            out.pop(key, None)
    return out


def register(dashboard):
    def ticket_types(request, event):
        db = request.dbsession
        if request.method == "POST":
            data = api.validate(schemas.TicketTypeSchema(), _type_form(dashboard.form(request)))
            obj = services.create_type(db, event.id, data)
            dashboard.flash(request, "Ticket type “${name}” created.", name=obj.name)
            return dashboard.redirect(request, "billetterie_types", event)
        rows = services.serialize_types(db, list(db.scalars(services.types_query(event.id))))
        return {"view": "types", "rows": rows, "active": "billetterie_types",
                "form": {"currency": "DZD", "per_order_limit": 10, "is_visible": True, "transferable": True}}

    def ticket_type(request, event):
        db = request.dbsession
        obj = api.get_or_404(db, TicketType, request.matchdict["id"], event.id, label="Ticket type")
        if request.method == "POST":
            data = api.validate(schemas.TicketTypeSchema(), _type_form(dashboard.form(request)))
            data = {k: v for k, v in data.items() if k not in ("room_ids", "session_ids", "upgradable_to")}
            services.update_type(db, obj, data)
            dashboard.flash(request, "Ticket type saved.")
            return dashboard.redirect(request, "billetterie_types", event)
        row = services.serialize_types(db, [obj])[0]
        return {"view": "type", "type": row, "active": "billetterie_types",
                "form": {"name": obj.name, "description": obj.description, "price": obj.price,
                         "currency": obj.currency, "quantity": "" if obj.quantity is None else obj.quantity,
                         "per_order_limit": obj.per_order_limit, "is_visible": obj.is_visible,
                         "transferable": obj.transferable}}

    def orders(request, event):
        db = request.dbsession
        status = request.GET.get("status", "")
        pg = dashboard.paginate(request, services.orders_query(event.id, q=request.GET.get("q", "").strip() or None,
                                                               status=status if status in ORDER_STATUSES else None))
        return {"view": "orders", "pg": pg, "rows": services.serialize_orders(db, pg["rows"], with_tickets=True),
                "statuses": ORDER_STATUSES, "status": status, "active": "billetterie_orders",
                "stats": services.event_statistics(db, event.id)}

    def order(request, event):
        db = request.dbsession
        obj = api.get_or_404(db, Order, request.matchdict["id"], event.id, label="Order")
        if request.method == "POST":
            data = dashboard.form(request)
            schema = schemas.RefundSchema().clone()
            schema["order"].missing = colander.drop
            values = api.validate(schema, data)
            ticket_id = api.parse_uuid(values["ticket"], "ticket") if values.get("ticket") else None
            row = services.refund(db, obj, amount=values.get("amount"), ticket_id=ticket_id,
                                  reason=values["reason"], by_user_id=request.identity.user_id)
            row.provider_ref = providers.get(obj.provider).refund(request, obj, row.amount, row.id.hex) \
                if obj.provider in providers.PROVIDERS else None
            db.flush()
            dashboard.flash(request, "Refunded ${amount}.", amount=plugin_i18n.format_money(row.amount, obj.currency))
            return dashboard.redirect(request, "billetterie_order", event, id=str(obj.id))
        body = services.serialize_orders(db, [obj], with_tickets=True)[0]
        options = [("", translate(request, "The whole order"))] + [
            (t["id"], f"{t['attendee_name']} ({t['ticket_type']['name']})")
            for t in body["tickets"] if t["status"] == "valid"]
        return {"view": "order", "order": body, "ticket_options": options, "active": "billetterie_orders",
                "form": {}}

    both = ("GET", "POST")
    dashboard.add_page("billetterie_types", "billetterie/types", ticket_types, TEMPLATE, "Ticket types", order=75,
                       methods=both)
    dashboard.add_page("billetterie_type", f"billetterie/types/{api.UUID_ID}", ticket_type, TEMPLATE, "Ticket type",
                       methods=both)
    dashboard.add_page("billetterie_orders", "billetterie/orders", orders, TEMPLATE, "Ticket orders", order=76)
    dashboard.add_page("billetterie_order", f"billetterie/orders/{api.UUID_ID}", order, TEMPLATE, "Order",
                       methods=both)
