"""Invoice and ticket PDFs (makeplus_billetterie.pdfs): no database, no network.

The PDFs are parsed back with pypdf (the texts, the amounts, the embedded QR image) and
the ticket's QR is decoded with zxing-cpp (test extras of the plugin; the decode is
skipped without them).
"""
from __future__ import annotations

import datetime as dt
import importlib.util
import io
import json
import pathlib
import sys
from decimal import Decimal

import pytest

pypdf = pytest.importorskip("pypdf", reason="pypdf (test extra of billetterie) not installed")
pytest.importorskip("fpdf", reason="fpdf2 (a billetterie dependency) not installed")

if importlib.util.find_spec("makeplus_billetterie") is None:  # the plugin not installed: import by path
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from makeplus_billetterie import pdfs  # noqa: E402

BADGE = json.dumps({"user_id": 42, "badge_id": "MP-0042-XYZ"})
SELLER = {
    "name": "Tech Events SARL",
    "address": "12 rue Didouche Mourad\n16000 Alger",
    "email": "billetterie@tech-events.dz",
    "phone": "+213 21 00 00 00",
    "tax_ids": [["NIF", "000116001234567"], ["RC", "16/00-1234567 B 21"]],
}


def _invoice(**extra):
    return {
        "number": "FA-2025-000042",
        "date": dt.date(2025, 5, 2),
        "currency": "DZD",
        "seller": SELLER,
        "buyer": {"name": "Amina Benali", "email": "amina@example.org", "address": "5 rue Larbi Ben M'hidi"},
        "lines": [
            {"description": "Pass 3 jours — Tech Summit", "quantity": 2, "unit_price": "12500"},
            {"description": "Atelier IA générative", "quantity": 1, "unit_price": Decimal("3000.5")},
        ],
        "taxes": [{"name": "TVA", "rate": "19"}],
        "order_reference": "CMD-2025-0077",
        "payment": {"method": "Carte (Stripe)", "paid_at": dt.datetime(2025, 5, 2, 10, 3), "reference": "pi_3Nx"},
        "footer": "Tech Events SARL au capital de 1 000 000 DZD",
        **extra,
    }


def _text(pdf: bytes) -> str:
    """All the pages' text, spaces normalised (the amounts group with no-break spaces)."""
    assert pdf[:5] == b"%PDF-"
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def test_the_invoice_prints_number_parties_lines_taxes_and_totals():
    invoice = _invoice()
    totals = pdfs.invoice_totals(invoice)
    assert [line["amount"] for line in totals["lines"]] == [Decimal("25000.00"), Decimal("3000.50")]
    assert totals["net"] == Decimal("28000.50")
    assert totals["taxes"] == [{"name": "TVA", "rate": Decimal("19"), "amount": Decimal("5320.10")}]
    assert totals["total"] == Decimal("33320.60")

    text = _text(pdfs.invoice_pdf(invoice))
    for expected in (
        "FACTURE", "N° FA-2025-000042", "Date : 02/05/2025", "Commande : CMD-2025-0077", "Devise : DZD",
        "Tech Events SARL", "16000 Alger", "NIF : 000116001234567", "RC : 16/00-1234567 B 21",
        "FACTURÉ À", "Amina Benali", "amina@example.org", "5 rue Larbi Ben M'hidi",
        "Désignation", "Qté", "Prix unitaire HT", "Montant",
        "Pass 3 jours — Tech Summit", "12 500,00 DZD", "25 000,00 DZD", "Atelier IA générative", "3 000,50 DZD",
        "Total HT 28 000,50 DZD", "TVA 19 % 5 320,10 DZD", "Total TTC 33 320,60 DZD",
        "PAYÉE le 02/05/2025 — Carte (Stripe)", "pi_3Nx", "au capital de 1 000 000 DZD",
    ):
        assert expected in text, expected


def test_prices_including_tax_are_split_and_add_up_exactly():
    invoice = _invoice(prices_include_tax=True, lines=[{"description": "Pass", "quantity": 3, "unit_price": "1000"}])
    totals = pdfs.invoice_totals(invoice)
    assert totals["total"] == Decimal("3000.00")  # what the buyer paid
    assert totals["net"] == Decimal("2521.01")  # 3000 / 1.19
    assert totals["taxes"][0]["amount"] == Decimal("478.99")
    text = _text(pdfs.invoice_pdf(invoice))
    assert "Prix unitaire TTC" in text
    assert "Total HT 2 521,01 DZD" in text and "TVA 19 % 478,99 DZD" in text and "Total TTC 3 000,00 DZD" in text
    # two rates: the rounding remainder goes to the last one, never a centime lost
    for cents in range(99_901, 100_000):
        price = Decimal(cents) / 100
        t = pdfs.invoice_totals(_invoice(prices_include_tax=True,
                                         taxes=[{"name": "TVA", "rate": "9"}, {"name": "Timbre", "rate": "1.5"}],
                                         lines=[{"description": "x", "quantity": 1, "unit_price": price}]))
        assert t["net"] + sum(tax["amount"] for tax in t["taxes"]) == t["total"] == price


def test_without_taxes_one_total_and_no_tax_words():
    text = _text(pdfs.invoice_pdf(_invoice(taxes=[], payment=None)))
    assert "Total 28 000,50 DZD" in text
    assert "TVA" not in text and "HT" not in text and "TTC" not in text and "PAYÉE" not in text


@pytest.mark.parametrize("currency, unit, expected_line, expected_total", [
    ("JPY", "1500", "4 500 JPY", "Total TTC 4 950 JPY"),  # 0 decimals: 4500 + 10 % = 4950
    ("EUR", "19.99", "59,97 EUR", "Total TTC 65,97 EUR"),  # 59.97 + 5.997 -> 6.00
    ("KWD", "2.125", "6,375 KWD", "Total TTC 7,013 KWD"),  # 3 decimals: 6.375 + 0.6375 -> 0.638
    ("DZD", "5000", "15 000,00 DZD", "Total TTC 16 500,00 DZD"),
])
def test_amounts_use_the_currencys_minor_units(currency, unit, expected_line, expected_total):
    invoice = _invoice(currency=currency, taxes=[{"name": "TVA", "rate": "10"}],
                       lines=[{"description": "Pass", "quantity": 3, "unit_price": unit}])
    text = _text(pdfs.invoice_pdf(invoice))
    assert expected_line in text and expected_total in text
    assert f"Devise : {currency}" in text


def test_format_amount_and_minor_units():
    assert [pdfs.minor_units(c) for c in ("DZD", "EUR", "JPY", "KWD", "TND", "CLF", "usd")] == [2, 2, 0, 3, 3, 4, 2]
    assert pdfs.format_amount("1234567.5", "JPY") == "1\u00a0234\u00a0568\u00a0JPY"
    assert pdfs.format_amount(Decimal("0.005"), "EUR") == "0,01\u00a0EUR"
    assert pdfs.format_amount("-1000", "DZD") == "-1\u00a0000,00\u00a0DZD"
    for bad in ("", "EURO", "12A", None):
        with pytest.raises(ValueError, match="currency"):
            pdfs.format_amount("1", bad)


def test_a_long_invoice_breaks_pages_and_keeps_every_line():
    lines = [{"description": f"Billet n°{i:03d}", "quantity": 1, "unit_price": "100"} for i in range(90)]
    pdf = pdfs.invoice_pdf(_invoice(lines=lines))
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) >= 2
    text = _text(pdf)
    assert all(f"Billet n°{i:03d}" in text for i in range(90))
    assert "Total TTC 10 710,00 DZD" in text  # 9000 + 19 %


@pytest.mark.parametrize("change, field", [
    ({"number": ""}, "invoice.number"),
    ({"date": None}, "invoice.date"),
    ({"date": "le 2 mai"}, "invoice.date"),
    ({"currency": "dinar"}, "invoice.currency"),
    ({"seller": {"email": "x@y.dz"}}, "invoice.seller.name"),
    ({"buyer": {}}, "invoice.buyer"),
    ({"lines": []}, "invoice.lines"),
    ({"lines": [{"description": "", "quantity": 1, "unit_price": "1"}]}, r"invoice.lines\[0\].description"),
    ({"lines": [{"description": "x", "quantity": 0, "unit_price": "1"}]}, r"invoice.lines\[0\].quantity"),
    ({"lines": [{"description": "x", "quantity": 1.5, "unit_price": "1"}]}, r"invoice.lines\[0\].quantity"),
    ({"lines": [{"description": "x", "quantity": 1, "unit_price": 9.99}]}, r"invoice.lines\[0\].unit_price"),
    ({"lines": [{"description": "x", "quantity": 1, "unit_price": "abc"}]}, r"invoice.lines\[0\].unit_price"),
    ({"taxes": [{"name": "TVA", "rate": "0"}]}, r"invoice.taxes\[0\].rate"),
    ({"taxes": [{"name": "TVA", "rate": "120"}]}, r"invoice.taxes\[0\].rate"),
    ({"taxes": [{"rate": "19"}]}, r"invoice.taxes\[0\].name"),
])
def test_bad_invoices_are_value_errors_naming_the_field(change, field):
    with pytest.raises(ValueError, match=field):
        pdfs.invoice_pdf(_invoice(**change))


def test_seller_and_taxes_from_settings():
    settings = {
        "billetterie.seller.name": "Tech Events SARL",
        "billetterie.seller.address": "12 rue Didouche Mourad | 16000 Alger",
        "billetterie.seller.email": "billetterie@tech-events.dz",
        "billetterie.seller.tax_ids": "NIF: 000116001234567; RC: 16/00-1234567 B 21",
        "billetterie.invoice.taxes": "TVA:9, Timbre:1.5%",
        "billetterie.invoice.prices_include_tax": "true",
    }
    seller = pdfs.seller_from_settings(settings)
    assert seller["address"] == "12 rue Didouche Mourad\n16000 Alger"
    assert seller["tax_ids"] == [["NIF", "000116001234567"], ["RC", "16/00-1234567 B 21"]]
    taxes = pdfs.taxes_from_settings(settings)
    assert taxes == [{"name": "TVA", "rate": "9"}, {"name": "Timbre", "rate": "1.5"}]
    assert pdfs.prices_include_tax(settings) is True
    assert pdfs.prices_include_tax({}) is False and pdfs.taxes_from_settings({}) == []
    text = _text(pdfs.invoice_pdf(_invoice(seller=seller, taxes=taxes, prices_include_tax=True)))
    assert "TVA 9 %" in text and "Timbre 1,5 %" in text and "NIF : 000116001234567" in text
    with pytest.raises(ValueError, match="billetterie.invoice.taxes"):
        pdfs.taxes_from_settings({"billetterie.invoice.taxes": "TVA 19"})
    with pytest.raises(ValueError, match="invoice.seller.name"):
        pdfs.invoice_pdf(_invoice(seller=pdfs.seller_from_settings({})))


# --------------------------------------------------------------------------- ticket

TICKET = {
    "event_name": "Tech Summit Algeria 2025",
    "attendee_name": "Amina Benali",
    "attendee_email": "amina@example.org",
    "ticket_type": "Pass 3 jours",
    "ticket_number": "TSA-000123",
    "barcode": BADGE,
    "starts_at": dt.datetime(2025, 5, 10, 9, 0),
    "ends_at": "2025-05-12T18:00:00",
    "venue": "CIC Alger",
    "organization_name": "Tech Events",
    "includes": ["Salle plénière", "Atelier IA générative"],
}


def test_the_ticket_prints_event_attendee_type_number_and_the_badge_qr():
    pdf = pdfs.ticket_pdf(TICKET)
    text = _text(pdf)
    for expected in ("BILLET", "Tech Summit Algeria 2025", "Amina Benali", "amina@example.org", "Pass 3 jours",
                     "TSA-000123", "10/05/2025 09:00", "12/05/2025 18:00", "CIC Alger", "Salle plénière",
                     "Atelier IA générative", "votre badge"):
        assert expected in text, expected
    images = list(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].images)
    assert len(images) == 1, "the QR image is embedded"
    _assert_qr(images[0].image, BADGE)


def _assert_qr(image, payload):
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (test extra) not installed: QR decode skipped")
    from PIL import ImageOps

    results = zxingcpp.read_barcodes(ImageOps.expand(image.convert("L"), border=20, fill=255))
    assert [r.text for r in results] == [payload]
    assert json.loads(results[0].text) == {"user_id": 42, "badge_id": "MP-0042-XYZ"}


def test_the_qr_holds_exactly_the_payload_given():
    other = json.dumps({"user_id": 7, "badge_id": "MP-0007-AAA"})
    pdf = pdfs.ticket_pdf({**TICKET, "barcode": other, "includes": None, "starts_at": None, "ends_at": None})
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (test extra) not installed: QR decode skipped")
    from PIL import ImageOps

    image = next(iter(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].images)).image
    assert [r.text for r in zxingcpp.read_barcodes(ImageOps.expand(image.convert("L"), border=20, fill=255))] == [other]


@pytest.mark.parametrize("key", ["event_name", "attendee_name", "ticket_type", "ticket_number", "barcode"])
def test_a_ticket_without_a_needed_field_is_a_value_error(key):
    with pytest.raises(ValueError, match=f"ticket.{key}"):
        pdfs.ticket_pdf({**TICKET, key: ""})


def test_bad_ticket_dates_and_includes_are_value_errors():
    with pytest.raises(ValueError, match="ticket.starts_at"):
        pdfs.ticket_pdf({**TICKET, "starts_at": "demain"})
    with pytest.raises(ValueError, match="ticket.includes"):
        pdfs.ticket_pdf({**TICKET, "includes": "Salle A"})


def test_without_dejavu_fonts_the_core_font_prints_latin_1(monkeypatch):
    monkeypatch.setattr(pdfs, "_font_path", lambda name: None)
    text = _text(pdfs.ticket_pdf({**TICKET, "attendee_name": "Zoë Hébert"}))
    assert "Zoë Hébert" in text and "TSA-000123" in text
    text = _text(pdfs.invoice_pdf(_invoice()))
    assert "N° FA-2025-000042" in text and "Total TTC 33 320,60 DZD" in text
