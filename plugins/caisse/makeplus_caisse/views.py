"""REST services of the caisse plugin.

* ``/api/caisse/caisses/``, ``/api/caisse/items/``, ``/api/caisse/transactions/``,
  ``/api/caisse/statistics/``: back office, user token of a gestionnaire of the
  event or a platform admin.
* ``/api/caisse/auth/login/``: a caisse logs in (public, rate-limited).
* ``/api/caisse/pos/...``: the point of sale, caisse token only (see ``auth.py``).
"""
from __future__ import annotations

from pyramid.security import NO_PERMISSION_REQUIRED

from makeplus_core.plugin_api import Event, api, errors, event_json

from . import auth, schemas, services
from .models import Caisse, Item, Transaction

PUBLIC = NO_PERMISSION_REQUIRED
# duplicates: deliberate — Cornice service declarations (name, route, doc): alike in shape, distinct routes.
me = api.service("caisse-me", "/api/caisse/auth/me/", "The logged-in cash desk (caisse token)")
pos_items = api.service("caisse-pos-items", "/api/caisse/pos/items/", "Items on sale (caisse token)")
pos_participants = api.service("caisse-pos-participants", "/api/caisse/pos/participants/",
                               "Find participants by name, e-mail, badge or scanned QR (caisse token)")
pos_participant = api.service("caisse-pos-participant", f"/api/caisse/pos/participants/{api.UUID_ID}/",
                              "A participant: paid and still buyable items (caisse token)")
pos_badge = api.service("caisse-pos-badge", f"/api/caisse/pos/participants/{api.UUID_ID}/badge.pdf",
                        "Print-ready badge PDF (?size=a6|cr80|a4) (caisse token)")
pos_transactions = api.service("caisse-pos-transactions", "/api/caisse/pos/transactions/",
                               "Sell (Idempotency-Key honoured) / this desk's history (caisse token)")
pos_transaction = api.service("caisse-pos-transaction", f"/api/caisse/pos/transactions/{api.UUID_ID}/",
                              "One sale of this desk (caisse token)")
pos_cancel = api.service("caisse-pos-cancel", f"/api/caisse/pos/transactions/{api.UUID_ID}/cancel/",
                         "Cancel a sale of this desk, with a reason (caisse token)")
# Not user tokens: the OpenAPI document says these need the cash desk's bearer token.
DESK_SCHEME = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
               "description": "A cash desk's token (POST /api/caisse/auth/login/)"}
for _svc in (me, pos_items, pos_participants, pos_participant, pos_badge, pos_transactions, pos_transaction,
             pos_cancel):
    _svc.openapi_security = [{"CaisseBearer": []}]
    _svc.openapi_security_schemes = {"CaisseBearer": DESK_SCHEME}
del _svc  # a module-level Service would be registered twice by the scan


# --------------------------------------------------------------------------- back office


def _gestionnaire(request):
    event_id = api.require_event(request)
    api.require_gestionnaire(request, event_id=event_id)
    return event_id


def _caisse_json(request, objs):
    return services.serialize_caisses(request.dbsession, objs)


caisses = api.service("caisse-caisses", "/api/caisse/caisses/", "Cash desks of my event (gestionnaire)")


@caisses.get()
def list_caisses(request):
    event_id = _gestionnaire(request)
    stmt = services.sa.select(Caisse).where(Caisse.event_id == event_id).order_by(Caisse.name, Caisse.id)
    return api.paginate(request, stmt, lambda rows: _caisse_json(request, rows))


@caisses.post(schema=api.doc(schemas.CaisseSchema))
def create_caisse(request):
    event_id = _gestionnaire(request)
    data = api.validate(schemas.CaisseSchema(), api.json_body(request))
    obj = services.create_caisse(request.dbsession, event_id, data, created_by_id=api.identity(request).user_id)
    request.response.status = 201
    return _caisse_json(request, [obj])[0]


def _get_caisse(request):
    return api.get_as_gestionnaire(request, Caisse)


caisse_one = api.service("caisse-caisse", f"/api/caisse/caisses/{api.UUID_ID}/", "One cash desk (gestionnaire)")


@caisse_one.get()
def get_caisse(request):
    return _caisse_json(request, [_get_caisse(request)])[0]


@caisse_one.patch(schema=api.doc(schemas.CaisseSchema))
@caisse_one.put(schema=api.doc(schemas.CaisseSchema))
def update_caisse(request):
    obj = _get_caisse(request)
    raw = api.json_body(request)
    raw.pop("event", None)
    schema = schemas.CaisseSchema()
    if request.method == "PUT" and "password" not in raw:
        schema["password"].missing = __import__("colander").drop  # PUT may keep the password
    data = api.validate(schema, raw, partial=request.method == "PATCH")
    services.update_caisse(request.dbsession, obj, data)
    return _caisse_json(request, [obj])[0]


@caisse_one.delete()
def delete_caisse(request):
    services.delete_caisse(request.dbsession, _get_caisse(request))
    return api.no_content()


items = api.service("caisse-items", "/api/caisse/items/", "Payable items of my event (gestionnaire)")


@items.get()
def list_items(request):
    event_id = _gestionnaire(request)
    db = request.dbsession
    if services.event_items_missing(db, event_id):  # plugin enabled on an event that already had ateliers
        services.sync_event_items(db, event_id)
    active = api.parse_bool(api.param(request, "is_active", "active"), "is_active")
    stmt = services.item_query(event_id, active=active, item_type=api.param(request, "item_type", "type"),
                               search=api.param(request, "search", "q"))
    return api.paginate(request, stmt, lambda rows: services.serialize_items(db, rows))


@items.post(schema=api.doc(schemas.ItemSchema))
def create_item(request):
    event_id = _gestionnaire(request)
    data = api.validate(schemas.ItemSchema(), api.json_body(request))
    obj = services.create_item(request.dbsession, event_id, data)
    request.response.status = 201
    return services.serialize_items(request.dbsession, [obj])[0]


items_sync = api.service("caisse-items-sync", "/api/caisse/items/sync/",
                         "Create/refresh the items of every paid atelier (gestionnaire)")


@items_sync.post()
def sync_items(request):
    event_id = _gestionnaire(request)
    touched = services.sync_event_items(request.dbsession, event_id)
    return {"synced": touched}


def _get_item(request):
    return api.get_as_gestionnaire(request, Item)


item_one = api.service("caisse-item", f"/api/caisse/items/{api.UUID_ID}/", "One payable item (gestionnaire)")


@item_one.get()
def get_item(request):
    return services.serialize_items(request.dbsession, [_get_item(request)])[0]


@item_one.patch(schema=api.doc(schemas.ItemSchema))
@item_one.put(schema=api.doc(schemas.ItemSchema))
def update_item(request):
    obj = _get_item(request)
    raw = api.json_body(request)
    raw.pop("event", None)
    data = api.validate(schemas.ItemSchema(), raw, partial=request.method == "PATCH")
    if request.method == "PATCH":
        data = {k: v for k, v in data.items() if k in raw}
    if "room" in raw and raw["room"] in (None, ""):  # null unlinks the item from its room
        data["room"] = None
    services.update_item(request.dbsession, obj, data)
    return services.serialize_items(request.dbsession, [obj])[0]


# duplicates: deliberate — the update/delete views of another resource than billetterie's ticket types; the
# shared lookup is api.get_as_gestionnaire.
@item_one.delete()
def delete_item(request):
    services.delete_item(request.dbsession, _get_item(request))
    return api.no_content()


def _query(request) -> dict:
    raw = {k: api.param(request, k, f"{k}_id") for k in ("participant", "caisse")}
    for k in ("date_from", "date_to", "status", "payment_method"):
        raw[k] = request.GET.get(k)
    raw = {k: v for k, v in raw.items() if v not in (None, "")}
    return api.validate(schemas.TransactionQuery(), raw, partial=True)


bo_transactions = api.service("caisse-transactions", "/api/caisse/transactions/",
                              "Every sale of my event with totals (gestionnaire)")


@bo_transactions.get(schema=api.doc(querystring=schemas.TransactionQuery))
def list_event_transactions(request):
    event_id = _gestionnaire(request)
    db = request.dbsession
    conds = services.transaction_filters(event_id, _query(request))
    page = api.paginate(request, services.transaction_query(conds),
                        lambda rows: services.serialize_transactions(db, rows))
    page["totals"] = services.totals(db, conds)
    return page


bo_transaction = api.service("caisse-transaction", f"/api/caisse/transactions/{api.UUID_ID}/", "One sale (gestionnaire)")


@bo_transaction.get()
def get_event_transaction(request):
    event_id = _gestionnaire(request)
    obj = api.get_or_404(request.dbsession, Transaction, request.matchdict["id"], event_id, label="Transaction")
    return services.serialize_transactions(request.dbsession, [obj])[0]


bo_stats = api.service("caisse-statistics", "/api/caisse/statistics/", "Sales statistics (gestionnaire)")


@bo_stats.get(schema=api.doc(querystring=schemas.TransactionQuery))
def statistics(request):
    event_id = _gestionnaire(request)
    q = _query(request)
    q.pop("status", None)
    conds = services.transaction_filters(event_id, q)
    return services.statistics(request.dbsession, event_id, conds)


bo_export = api.service("caisse-transactions-export", "/api/caisse/transactions/export/",
                        "Sales of my event as an Excel file (gestionnaire)")


@bo_export.get(schema=api.doc(querystring=schemas.TransactionQuery))
def export_transactions(request):
    from makeplus_core.plugin_api import xlsx_response

    from .export import transactions_sheet

    event_id = _gestionnaire(request)
    conds = services.transaction_filters(event_id, _query(request))
    return xlsx_response("caisse-transactions.xlsx", [transactions_sheet(request.dbsession, conds)])


# --------------------------------------------------------------------------- caisse login


def _login_payload(request, caisse):
    event = request.dbsession.get(Event, caisse.event_id)
    token = auth.create_token(request.registry, caisse)
    return {"access": token, "token": token, "token_type": "Bearer",
            "caisse": {"id": str(caisse.id), "name": caisse.name, "email": caisse.email,
                       "event": str(caisse.event_id)},
            "event": event_json(request, event)}


login = api.service("caisse-login", "/api/caisse/auth/login/", "A cash desk logs in: caisse token")


@login.post(permission=PUBLIC, schema=api.doc(schemas.LoginSchema))
def caisse_login(request):
    data = api.validate(schemas.LoginSchema(), api.json_body(request))
    caisse = auth.login(request, data["email"], data["password"])
    return _login_payload(request, caisse)


@me.get(permission=PUBLIC)
def caisse_me(request):
    caisse = auth.caisse_from_request(request)
    event = request.dbsession.get(Event, caisse.event_id)
    return {"caisse": {"id": str(caisse.id), "name": caisse.name, "email": caisse.email,
                       "event": str(caisse.event_id)}, "event": event_json(request, event)}


# --------------------------------------------------------------------------- point of sale


@pos_items.get(permission=PUBLIC)
def pos_list_items(request):
    caisse = auth.caisse_from_request(request)
    db = request.dbsession
    stmt = services.item_query(caisse.event_id, active=True)
    return api.paginate(request, stmt, lambda rows: services.serialize_items(db, rows))


@pos_participants.get(permission=PUBLIC)
def pos_find_participants(request):
    caisse = auth.caisse_from_request(request)
    db = request.dbsession
    stmt = services.participant_query(caisse.event_id, api.param(request, "q", "search"))
    return api.paginate(request, stmt, lambda rows: services.serialize_participants(db, rows))


@pos_participant.get(permission=PUBLIC)
def pos_get_participant(request):
    caisse = auth.caisse_from_request(request)
    data = services.participant_detail(request.dbsession, request.matchdict["id"], caisse.event_id)
    data.pop("participant")
    return data


@pos_badge.get(permission=PUBLIC)
def pos_badge_pdf(request):
    from .badge import participant_badge, pdf_response

    caisse = auth.caisse_from_request(request)
    pdf, filename = participant_badge(request.dbsession, request.matchdict["id"], caisse.event_id,
                                      request.GET.get("size"))
    return pdf_response(pdf, filename)


@pos_transactions.get(permission=PUBLIC, schema=api.doc(querystring=schemas.TransactionQuery))
def pos_history(request):
    caisse = auth.caisse_from_request(request)
    db = request.dbsession
    q = _query(request)
    q.pop("caisse", None)
    conds = services.transaction_filters(caisse.event_id, q, caisse_id=caisse.id)
    page = api.paginate(request, services.transaction_query(conds),
                        lambda rows: services.serialize_transactions(db, rows))
    page["totals"] = services.totals(db, conds)
    return page


pos_orders = api.service("caisse-pos-orders", "/api/caisse/pos/orders/",
                         "On-site ticket orders payable at this desk (?q= order id, buyer e-mail or name)")


@pos_orders.get(permission=PUBLIC)
def pos_find_orders(request):
    caisse = auth.caisse_from_request(request)
    q = request.params.get("q", "")
    if len(q) > 200:
        raise errors.Invalid("q: at most 200 characters", field="q")
    return {"results": services.find_orders(request, request.dbsession, caisse, q)}


@pos_transactions.post(permission=PUBLIC, schema=api.doc(schemas.SaleSchema))
def pos_sell(request):
    caisse = auth.caisse_from_request(request)
    key = (request.headers.get("Idempotency-Key") or "").strip() or None
    if key is not None and len(key) > 200:
        raise errors.Invalid("Idempotency-Key: at most 200 characters", field="Idempotency-Key")
    raw = api.json_body(request)
    data = api.validate(schemas.SaleSchema(), raw)
    txn, replayed = services.sell(request.dbsession, caisse, data["participant"], raw.get("items"),
                                  data["payment_method"], data.get("notes", ""), idempotency_key=key,
                                  order_ref=data.get("order"), request=request)
    request.response.status = 201
    if replayed:
        request.response.headers["Idempotent-Replayed"] = "true"
    return services.serialize_transactions(request.dbsession, [txn])[0]


def _own_transaction(request, caisse):
    obj = api.get_or_404(request.dbsession, Transaction, request.matchdict["id"], caisse.event_id,
                         label="Transaction")
    if obj.caisse_id != caisse.id:
        raise errors.NotFound("Transaction not found")
    return obj


@pos_transaction.get(permission=PUBLIC)
def pos_get_transaction(request):
    caisse = auth.caisse_from_request(request)
    return services.serialize_transactions(request.dbsession, [_own_transaction(request, caisse)])[0]


@pos_cancel.post(permission=PUBLIC, schema=api.doc(schemas.CancelSchema))
def pos_cancel_transaction(request):
    caisse = auth.caisse_from_request(request)
    raw = api.json_body(request)
    reason = raw.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise errors.Invalid("reason: must be text", field="reason")
    txn = services.cancel(request.dbsession, caisse, request.matchdict["id"], reason or "", request=request)
    return services.serialize_transactions(request.dbsession, [txn])[0]
