"""The caisse pages of the web dashboard (via ``makeplus_dashboard_pages``): desks (caisses),
items, transactions (with cancel) and per-caisse statistics with SVG charts."""
from __future__ import annotations

import colander
import sqlalchemy as sa

from makeplus_core.plugin_api import N_, api, errors

from . import schemas, services
from .models import ITEM_TYPES, PAYMENT_METHODS, TRANSACTION_STATUSES, Caisse, Item, Transaction

TEMPLATE = "makeplus_caisse:templates/dashboard.jinja2"


def _caisses(db, event_id):
    return db.scalars(sa.select(Caisse).where(Caisse.event_id == event_id).order_by(Caisse.name, Caisse.id)).all()


# Values the pages show through label() (statuses, payment methods, item types)
LABELS = (N_("completed"), N_("cancelled"), N_("cash"), N_("bank transfer"), N_("mixed"), N_("session"),
          N_("dinner"), N_("access"), N_("other"))


def register(dashboard):
    def edit_or_delete(request, event, back, delete, save, deleted, saved):
        """The POST of an edit page: ``action=delete`` calls ``delete()``, anything else
        ``save(form)`` (``is_active`` from its checkbox); then back to the ``back`` list."""
        if request.POST.get("action") == "delete":
            delete()
            dashboard.flash(request, deleted)
        else:
            data = dashboard.form(request, "action")
            data["is_active"] = "true" if request.POST.get("is_active") else "false"
            save(data)
            dashboard.flash(request, saved)
        return dashboard.redirect(request, back, event)

    def caisses(request, event):
        db = request.dbsession
        if request.method == "POST":
            data = api.validate(schemas.CaisseSchema(), dashboard.form(request))
            caisse = services.create_caisse(db, event.id, data, created_by_id=request.identity.user_id)
            dashboard.flash(request, "Caisse “${name}” created.", name=caisse.name)
            return dashboard.redirect(request, "caisses", event)
        return {"view": "caisses", "rows": services.serialize_caisses(db, list(_caisses(db, event.id))),
                "active": "caisses"}

    def caisse(request, event):
        db = request.dbsession
        obj = api.get_or_404(db, Caisse, request.matchdict["id"], event.id, label="Caisse")
        if request.method == "POST":
            def save(data):
                schema = schemas.CaisseSchema().clone()
                schema["password"].missing = colander.drop  # blank: keep the password
                services.update_caisse(db, obj, api.validate(schema, data))

            return edit_or_delete(request, event, "caisses", lambda: services.delete_caisse(db, obj), save,
                                  N_("Caisse deleted."), N_("Caisse saved."))
        return {"view": "caisse", "caisse": obj, "active": "caisses",
                "form": {"name": obj.name, "email": obj.email, "is_active": obj.is_active}}

    def items(request, event):
        db = request.dbsession
        if request.method == "POST":
            data = dashboard.form(request)
            data["is_active"] = "true"
            item = services.create_item(db, event.id, api.validate(schemas.ItemSchema(), data))
            dashboard.flash(request, "Item “${name}” created.", name=item.name)
            return dashboard.redirect(request, "caisse_items", event)
        kind = request.GET.get("type", "")
        pg = dashboard.paginate(request, services.item_query(event.id, item_type=kind if kind in ITEM_TYPES else None,
                                                             search=request.GET.get("q", "").strip() or None))
        return {"view": "items", "pg": pg, "rows": services.serialize_items(db, pg["rows"]), "types": ITEM_TYPES,
                "type": kind, "active": "caisse_items", "form": {"item_type": "other"}}

    def item(request, event):
        db = request.dbsession
        obj = api.get_or_404(db, Item, request.matchdict["id"], event.id, label="Item")
        if request.method == "POST":
            def save(data):
                data.setdefault("session", str(obj.session_id) if obj.session_id else None)
                services.update_item(db, obj, api.validate(schemas.ItemSchema(), data))

            return edit_or_delete(request, event, "caisse_items", lambda: services.delete_item(db, obj), save,
                                  N_("Item deleted."), N_("Item saved."))
        return {"view": "item", "item": obj, "types": ITEM_TYPES, "active": "caisse_items",
                "form": {"name": obj.name, "item_type": obj.item_type, "price": obj.price,
                         "description": obj.description, "is_active": obj.is_active,
                         "capacity": obj.capacity if obj.capacity is not None else ""}}

    def transactions(request, event):
        db = request.dbsession
        if request.method == "POST":
            txn = api.get_or_404(db, Transaction, request.POST.get("transaction", ""), event.id, label="Transaction")
            desk = db.get(Caisse, txn.caisse_id)
            services.cancel(db, desk, txn.id, request.POST.get("reason", ""))
            dashboard.flash(request, "Transaction cancelled.")
            return dashboard.redirect(request, "caisse_transactions", event)
        q = {k: request.GET.get(k) for k in ("caisse", "status", "payment_method", "date_from", "date_to")
             if request.GET.get(k)}
        try:
            conds = services.transaction_filters(event.id, q)
        except errors.Invalid as exc:
            conds, q["error"] = services.transaction_filters(event.id, {}), exc.message
        pg = dashboard.paginate(request, services.transaction_query(conds))
        from urllib.parse import urlencode

        clean = {k: v for k, v in q.items() if k != "error"}
        export_url = dashboard.url(request, "caisse_transactions_export", event) + (
            "?" + urlencode(clean) if clean and "error" not in q else "")
        return {"view": "transactions", "pg": pg, "export_url": export_url, "rows": services.serialize_transactions(db, pg["rows"]),
                "totals": services.totals(db, conds), "caisses": _caisses(db, event.id), "filters": q,
                "statuses": TRANSACTION_STATUSES, "methods": PAYMENT_METHODS, "active": "caisse_transactions"}

    def statistics(request, event):
        db = request.dbsession
        desks = _caisses(db, event.id)
        chosen = next((c for c in desks if str(c.id) == request.GET.get("caisse")), None)
        conds = services.transaction_filters(event.id, {}, caisse_id=chosen.id if chosen else None)
        stats = services.statistics(db, event.id, conds)
        charts = dashboard.charts
        day_chart = charts.line_chart([("Revenue", [d["revenue"] for d in stats["per_day"]])],
                                      [d["date"] for d in stats["per_day"]], title="Sales per day (DZD)",
                                      unit=" DZD")
        item_chart = charts.bar_chart([(i["name"], i["revenue"]) for i in stats["per_item"]],
                                      title="Sales per item (DZD)", unit=" DZD")
        qty_chart = charts.bar_chart([(i["name"], i["quantity"]) for i in stats["per_item"]],
                                     title="Units sold per item", color=charts.PALETTE[2])
        return {"view": "statistics", "stats": stats, "caisses": desks, "chosen": chosen, "day_chart": day_chart,
                "item_chart": item_chart, "qty_chart": qty_chart, "active": "caisse_statistics"}

    both = ("GET", "POST")
    dashboard.add_page("caisses", "caisses", caisses, TEMPLATE, "Caisses", order=70, methods=both)
    dashboard.add_page("caisse", f"caisses/{api.UUID_ID}", caisse, TEMPLATE, "Caisse", methods=both)
    dashboard.add_page("caisse_items", "caisse/items", items, TEMPLATE, "Items", order=71, methods=both)
    dashboard.add_page("caisse_item", f"caisse/items/{api.UUID_ID}", item, TEMPLATE, "Item", methods=both)
    dashboard.add_page("caisse_transactions", "caisse/transactions", transactions, TEMPLATE, "Transactions",
                       order=72, methods=both)
    dashboard.add_page("caisse_statistics", "caisse/statistics", statistics, TEMPLATE, "Sales", order=73)

    def transactions_export(request, event):
        """The transactions of the page's filters as .xlsx: the API's export
        (``GET /api/caisse/transactions/export/``, :func:`export.transactions_sheet`)."""
        from makeplus_core.plugin_api import xlsx_response

        from .export import transactions_sheet

        q = {k: request.GET.get(k) for k in ("caisse", "status", "payment_method", "date_from", "date_to")
             if request.GET.get(k)}
        conds = services.transaction_filters(event.id, q)  # a bad filter: 400 page naming it
        resp = xlsx_response(f"caisse-transactions-{event.id}.xlsx", [transactions_sheet(request.dbsession, conds)])
        resp.headers["Cache-Control"] = "private, no-store"
        return resp

    dashboard.add_page("caisse_transactions_export", "caisse/transactions/export", transactions_export, TEMPLATE,
                       "Transactions export", nav=False)
    dashboard.add_export("caisse-transactions", "Cash-desk transactions", "caisse_transactions_export")

    def sale(entry):
        total = (entry.changes or {}).get("total", [None, None])[1]
        buyer = (entry.changes or {}).get("participant_name", [None, ""])[1]
        return f"{total} DZD" + (f" · {buyer}" if buyer else "")

    dashboard.add_activity("caisse_transactions", "Sale", describe=sale,
                           link=lambda request, event, e: dashboard.url(request, "caisse_transactions", event))
