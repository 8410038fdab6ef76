"""The point-of-sale page in real headless Chromium (desktop and 375 px).

An operator logs into a caisse, pastes a participant's QR payload into the search
box, sells an atelier with the keyboard, and opens the badge PDF. Screenshots are
saved at each step (``page.shot``). Skipped, loudly, without Chromium/Playwright.
"""
import json

import pytest
from helpers import PW, make_world

# Written against the English wording (the browser fixture speaks French by default: tests/test_i18n_browser.py).
pytestmark = pytest.mark.page_locale("en-US")


def expect_focus(page, expected, attr="value"):
    """Assert that the focused element's ``attr`` is ``expected``, waiting up to 5 s for it.

    Chromium applies ``autofocus`` (and focus moved by the page's script) after the load
    event, so reading ``document.activeElement`` right after ``goto`` can race it.
    """
    js = "([a, v]) => !!document.activeElement && document.activeElement.getAttribute(a) === v"
    try:
        page.wait_for_function(js, arg=[attr, expected], timeout=5000)
    except Exception:  # noqa: BLE001 -- the assertion below says what has the focus instead
        pass
    actual = page.evaluate(f"() => document.activeElement && document.activeElement.getAttribute('{attr}')")
    assert actual == expected


def test_operator_sells_an_atelier_and_prints_the_badge(app, f, page):
    w = make_world(app, f)
    u = w.buyer_user

    # 1. login, keyboard only (the e-mail field has the focus)
    page.goto("/caisse/")
    assert page.url.endswith("/caisse/login/")
    expect_focus(page, "email", "id")
    page.keyboard.type(w.caisse["email"])
    page.keyboard.press("Tab")
    page.keyboard.type(PW)
    page.shot("1-login")
    page.keyboard.press("Enter")
    page.wait_for_url("**/caisse/")
    assert page.get_by_text("Caisse 1").first.is_visible()
    expect_focus(page, "q", "id")  # the search box is ready for the scanner

    # 2. a keyboard-wedge scanner "types" the QR payload: pasted here, then Enter
    payload = json.dumps({"user_id": u.id, "badge_id": u.badge_id})
    page.keyboard.insert_text(payload)
    page.shot("2-scan")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/caisse/participants/{w.buyer.id}/")
    assert page.locator("#p-name").inner_text() == "Sara Meziane"
    assert page.get_by_text("Nothing paid yet").is_visible()
    page.shot("3-participant")

    # 3. tick the atelier (Tab to it, Space), pay cash, a note, Enter
    expect_focus(page, w.dinner["id"])  # first open item has the focus (items sorted by type)
    page.keyboard.press("Tab")
    expect_focus(page, w.atelier_item["id"])
    page.keyboard.press("Space")
    assert page.locator(f'input[value="{w.atelier_item["id"]}"]').is_checked()
    assert page.locator("#total").inner_text() == "Total 6,000.00 DZD (1)"  # the page language's number format
    page.keyboard.press("Tab")  # the payment method (cash is chosen)
    expect_focus(page, "cash")
    page.keyboard.press("Tab")
    expect_focus(page, "notes", "id")
    page.keyboard.type("paid at the desk")
    page.shot("4-ticked")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    page.locator(".flash").wait_for()
    assert "Sale recorded: DZD6,000.00 (Cash)" in page.locator(".flash").inner_text()
    assert page.get_by_text("✓ Atelier Python").is_visible()
    assert "DZD6,000.00" in page.locator(".history .totals").inner_text()
    expect_focus(page, "q", "id")  # ready for the next participant
    page.shot("5-sold")
    hist = app.get("/api/caisse/pos/transactions/", headers=w.ch).json
    assert hist["count"] == 1 and hist["results"][0]["total"] == "6000.00"

    # 4. the badge: the link opens the PDF in a new tab, through the page session
    link = page.locator("#badge-link")
    href = link.get_attribute("href")
    assert href.endswith(f"/caisse/participants/{w.buyer.id}/badge.pdf")
    resp = page.request.get(href)  # the page's own cookies
    assert resp.status == 200 and resp.headers["content-type"] == "application/pdf"
    assert resp.body()[:4] == b"%PDF"
    with page.context.expect_page() as info:
        link.focus()
        page.keyboard.press("Enter")
    tab = info.value
    assert tab.url.endswith("/badge.pdf")
    tab.close()
    page.shot("6-badge")
    # without the session the badge is not served
    anonymous = page.context.browser.new_context(base_url=page.url.split("/caisse/")[0])
    try:
        r = anonymous.request.get(href, max_redirects=0)
        assert r.status == 303
    finally:
        anonymous.close()
