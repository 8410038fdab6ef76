import decimal

from makeplus_core.plugin_api import GESTIONNAIRE

PW = "caisse-pass-123"


class World:
    pass


def make_world(app, f, capacity=10):
    w = World()
    w.event = f.event()
    w.gest = f.member(w.event, GESTIONNAIRE)
    w.gh = f.auth(w.gest, w.event)
    w.room = f.room(w.event, capacity=50)
    w.atelier = f.session(w.event, w.room, title="Atelier Python", session_type="atelier", is_paid=True,
                          price=decimal.Decimal("6000.00"), capacity=capacity)
    w.free = f.session(w.event, w.room, title="Keynote")
    w.buyer_user = f.member(w.event, "participant", first_name="Sara", last_name="Meziane",
                            organization="Acme")
    w.buyer = pof(f, w.buyer_user, w.event)
    w.caisse = new_caisse(app, w.gh, "Caisse 1", f"c1-{w.event.id.hex[:8]}@desk.test")
    w.ch = login(app, w.caisse["email"])
    items = app.get("/api/caisse/items/", headers=w.gh).json["results"]
    w.atelier_item = next(i for i in items if i["session"] == str(w.atelier.id))
    w.dinner = app.post_json("/api/caisse/items/", {"item_type": "dinner", "name": "Dîner", "price": "3500.00"},
                             headers=w.gh, status=201).json
    return w


def new_caisse(app, headers, name, email):
    return app.post_json("/api/caisse/caisses/", {"name": name, "email": email, "password": PW},
                         headers=headers, status=201).json


def login(app, email, password=PW):
    r = app.post_json("/api/caisse/auth/login/", {"email": email, "password": password}, status=200)
    return {"Authorization": f"Bearer {r.json['access']}"}


def sell(app, w, items, status=201, headers=None, participant=None, **kw):
    body = {"participant": str(participant or w.buyer.id), "items": items, "payment_method": "cash", **kw}
    return app.post_json("/api/caisse/pos/transactions/", body, headers=headers or w.ch, status=status)


def pof(f, user, event):
    """The participant row of ``user`` (and end the read transaction: SQLite writers wait on it)."""
    p = f.participant_of(user, event)
    f.db.commit()
    return p
