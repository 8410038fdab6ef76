"""Invoices, ticket PDFs and wallet passes through the API; mails carry the PDFs (built by
the background job, inline in tests)."""
import io
import json

import jwt
import pypdf
from bhelpers import buy, make_world
from cryptography.hazmat.primitives.asymmetric import rsa
from test_wallet import PASS_TYPE, TEAM, _key_pem, _pem, pki  # noqa: F401  (the throwaway PKI fixture)

SELLER = {"makeplus.billetterie.seller.name": "Tech Events SARL",
          "makeplus.billetterie.seller.address": "1 rue Didouche | Alger",
          "makeplus.billetterie.invoice.taxes": "TVA:19"}


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_invoice_and_ticket_pdfs(make_app, f):
    app = make_app(**SELLER)
    w = make_world(app, f)
    me = f.member(w.event, "participant", first_name="Amina", last_name="Kaci")
    h = f.auth(me, w.event)
    box = app.app.registry.makeplus.mailer.outbox
    box.clear()
    order = buy(app, w, ("Amina Kaci", me.email), headers=h)
    confirmation = next(m for m in box if "commande INV-" in m.subject)
    assert [a.filename for a in confirmation.attachments] == [f"facture-{order['invoice_number']}.pdf"]
    ticket_mail = next(m for m in box if "votre billet" in m.subject)
    assert ticket_mail.attachments[0].filename.startswith("billet-T-")
    assert "Amina Kaci" in _text(ticket_mail.attachments[0].data)
    r = app.get(f"/api/orders/{order['id']}/invoice/", headers=h)
    assert r.content_type == "application/pdf"
    text = _text(r.body)
    for expected in (order["invoice_number"], "Tech Events SARL", "Billet Standard", "TVA"):
        assert expected in text, expected
    assert app.get(f"/api/payments/orders/{order['id']}/invoice/", headers=h).content_type == "application/pdf"
    # Staff read it too; someone else: 404; a pending order has none.
    assert app.get(f"/api/orders/{order['id']}/invoice/", headers=w.gh).content_type == "application/pdf"
    app.get(f"/api/orders/{order['id']}/invoice/", headers=f.auth(f.member(w.event, "participant"), w.event),
            status=404)
    pending = app.post_json("/api/payments/checkout/create-intent/",
                            {"event": str(w.event.id), "provider": "test", "buyer": {"email": "g@example.org"},
                             "items": [{"ticket_type": w.standard["id"],
                                        "attendee": {"name": "G", "email": "g@example.org"}}]}, status=201).json
    app.get(f"/api/orders/{pending['id']}/invoice/?token={pending['token']}", status=409)
    ticket = order["tickets"][0]
    pdf = app.get(f"/api/tickets/{ticket['id']}/pdf/", headers=h)
    assert pdf.content_type == "application/pdf" and "Standard" in _text(pdf.body)


def test_invoice_without_seller_is_404_with_a_message(app, f):
    w = make_world(app, f)
    me = f.member(w.event, "participant")
    h = f.auth(me, w.event)
    order = buy(app, w, ("Me", me.email), headers=h)
    r = app.get(f"/api/orders/{order['id']}/invoice/", headers=h, status=404)
    assert "seller" in r.json["message"]


def test_wallets_not_configured_say_so(app, f):
    w = make_world(app, f)
    me = f.member(w.event, "participant")
    h = f.auth(me, w.event)
    ticket = buy(app, w, ("Me", me.email), headers=h)["tickets"][0]
    r = app.get(f"/api/tickets/{ticket['id']}/wallet/apple/", headers=h, status=404)
    assert r.json["error"] == "not_configured" and "Apple Wallet" in r.json["message"]
    r = app.get(f"/api/tickets/{ticket['id']}/wallet/google/", headers=h, status=404)
    assert "Google Wallet" in r.json["message"]


def test_half_configured_wallet_is_404_naming_the_setting(make_app, f):
    app = make_app(**{"makeplus.billetterie.apple.pass_type_id": "pass.x"})
    w = make_world(app, f)
    me = f.member(w.event, "participant")
    h = f.auth(me, w.event)
    ticket = buy(app, w, ("Me", me.email), headers=h)["tickets"][0]
    r = app.get(f"/api/tickets/{ticket['id']}/wallet/apple/", headers=h, status=404)
    assert "billetterie.apple." in r.json["message"]


def test_wallet_passes_when_configured(make_app, f, pki, tmp_path):  # noqa: F811
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    account = {"type": "service_account", "client_email": "sa@proj.iam.gserviceaccount.com",
               "private_key": _key_pem(key).decode()}
    (tmp_path / "sa.json").write_text(json.dumps(account))
    app = make_app(**{"makeplus.billetterie.apple.pass_type_id": PASS_TYPE, "makeplus.billetterie.apple.team_id": TEAM,
                      "makeplus.billetterie.apple.cert": _pem(pki["cert"]).decode(),
                      "makeplus.billetterie.apple.key": _key_pem(pki["key"]).decode(),
                      "makeplus.billetterie.apple.wwdr": _pem(pki["wwdr"]).decode(),
                      "makeplus.billetterie.google.issuer_id": "3388000000012345678",
                      "makeplus.billetterie.google.service_account": str(tmp_path / "sa.json")})
    w = make_world(app, f)
    me = f.member(w.event, "participant")
    h = f.auth(me, w.event)
    ticket = buy(app, w, ("Me", me.email), headers=h)["tickets"][0]
    r = app.get(f"/api/tickets/{ticket['id']}/wallet/apple/", headers=h)
    assert r.content_type == "application/vnd.apple.pkpass"
    import zipfile

    files = zipfile.ZipFile(io.BytesIO(r.body)).namelist()
    assert {"pass.json", "manifest.json", "signature"} <= set(files)
    pass_json = json.loads(zipfile.ZipFile(io.BytesIO(r.body)).read("pass.json"))
    assert json.loads(pass_json["barcodes"][0]["message"])["user_id"] == me.id  # the holder's badge QR
    link = app.get(f"/api/tickets/{ticket['id']}/wallet/google/", headers=h).json["save_url"]
    claims = jwt.decode(link.rsplit("/", 1)[1], key.public_key(), algorithms=["RS256"], audience="google")
    obj = claims["payload"]["eventTicketObjects"][0]
    assert json.loads(obj["barcode"]["value"])["user_id"] == me.id
    # Someone else's ticket: 404.
    other = f.auth(f.member(w.event, "participant"), w.event)
    app.get(f"/api/tickets/{ticket['id']}/wallet/apple/", headers=other, status=404)
