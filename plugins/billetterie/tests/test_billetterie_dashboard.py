"""The billetterie dashboard pages: through WebTest (forms, errors, another event's 404)
and in real headless Chromium at 1280 and 375 px (ticket types, orders, refund)."""
import sqlalchemy as sa
from bhelpers import buy, make_world

from makeplus_billetterie.models import TicketType
from makeplus_dashboard.testing import form_with, login


def test_ticket_type_pages_and_refund_form(app, f, db):
    w = make_world(app, f)
    login(app, w.gest.email)
    base = f"/dashboard/events/{w.event.id}/billetterie"
    page = app.get(f"{base}/types/")
    assert "Standard" in page.text and "VIP" in page.text
    form = form_with(page, "price")
    form["name"] = "Étudiant"
    form["price"] = "abc"
    bad = form.submit(status=400)
    assert "price" in bad.text and 'id="err-price"' in bad.text
    form = form_with(bad, "price")
    form["name"] = "Étudiant"
    form["price"] = "1500"
    form["quantity"] = "40"
    form.submit(status=302)
    t = db.scalar(sa.select(TicketType).where(TicketType.name == "Étudiant"))
    db.commit()
    assert t.price == 1500 and t.quantity == 40 and t.currency == "DZD"
    edit = app.get(f"{base}/types/{t.id}/")
    form = form_with(edit, "price")
    form["price"] = "1800"
    form.submit(status=302)
    db.refresh(t)
    assert str(t.price) == "1800.00"
    db.commit()
    order = buy(app, w, ("Amina", "amina@example.org"), buyer={"email": "karim@example.org"})
    listing = app.get(f"{base}/orders/?q=amina")
    assert order["invoice_number"] in listing.text
    detail = app.get(f"{base}/orders/{order['id']}/")
    form = form_with(detail, "reason")
    form["reason"] = ""
    assert "reason" in form.submit(status=400).text
    form = form_with(app.get(f"{base}/orders/{order['id']}/"), "reason")
    form["reason"] = "Duplicate purchase"
    form.submit(status=302)
    assert "refunded" in app.get(f"{base}/orders/{order['id']}/").text
    # Another event's gestionnaire: 404.
    other = f.event()
    app2 = type(app)(app.app)
    login(app2, f.member(other, "gestionnaire_des_salles").email)
    app2.get(f"{base}/orders/{order['id']}/", status=404)


def test_dashboard_in_chromium(app, f, db, page):
    w = make_world(app, f)
    order = buy(app, w, ("Amina Kaci", "amina@example.org"), buyer={"email": "karim@example.org"})
    page.goto("/dashboard/login/")
    page.fill("input[name=email]", w.gest.email)
    page.fill("input[name=password]", "makeplus2025")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"/dashboard/events/{w.event.id}/billetterie/types/")
    assert page.locator("#ticket-types").get_by_text("Standard").is_visible()
    page.fill("#f-name", f"Pass {page.viewport_label}")
    page.fill("#f-price", "3000")
    page.fill("#f-quantity", "25")
    page.shot("1-types")
    page.click("#new-type button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#ticket-types").get_by_text(f"Pass {page.viewport_label}").is_visible()
    page.goto(f"/dashboard/events/{w.event.id}/billetterie/orders/")
    page.get_by_role("link", name=order["invoice_number"]).click()
    page.wait_for_load_state()
    assert "paid" in page.locator("#order-status").inner_text()
    page.fill("#f-reason", "Cannot attend")
    page.shot("2-refund")
    page.click("#refund button[type=submit]")
    page.wait_for_load_state()
    assert "refunded" in page.locator("#order-status").inner_text()
    page.shot("3-refunded")
    r = app.post_json(f"/api/rooms/{w.hall.id}/verify_access/", {"qr_data": str(order["tickets"][0]["id"])},
                      headers=w.ch, expect_errors=True)
    assert r.status_int in (400, 404)  # a ticket id is not a badge: the QR is the holder's badge
