"""PDFs of the billetterie: the buyer's invoice and each attendee's ticket. Pure functions:
plain dicts in, PDF bytes out (no database, no request), so a background job builds them
off the request path.

Signatures (for the services and jobs of the plugin)::

    invoice_pdf(invoice: dict) -> bytes         # a numbered invoice, French labels
    ticket_pdf(ticket: dict) -> bytes           # the ticket with the badge QR
    invoice_totals(invoice: dict) -> dict       # the amounts the invoice prints (store them)
    seller_from_settings(settings) -> dict      # invoice["seller"] from billetterie.seller.*
    taxes_from_settings(settings) -> list       # invoice["taxes"] from billetterie.invoice.taxes
    prices_include_tax(settings) -> bool        # invoice["prices_include_tax"]
    format_amount(amount, currency) -> str      # "5 000,00 DZD", "5 000 JPY", "1,250 KWD"
    minor_units(currency) -> int                # ISO 4217 decimals: DZD 2, JPY 0, KWD 3

Invalid input (the caller's bug, never the client's) raises ``ValueError`` naming the
field, e.g. ``invoice.lines[0].quantity``.

**The PDF library is fpdf2** (dependency of the plugin's distribution: ``fpdf2>=2.7``,
and ``qrcode[pil]>=7.4`` for the QR image): pure Python (its only dependencies, Pillow,
fonttools and defusedxml, ship wheels), so ``pip install`` needs no system library,
unlike WeasyPrint (Pango, cairo); actively maintained with a table API that breaks pages
and repeats the headings; it embeds TrueType fonts (subsets) for any Latin accent and
writes their ToUnicode maps, so the text stays searchable and testable; and the caisse
plugin already prints its badges with it, so the project keeps one PDF library. reportlab
would do as well but its tables are more code and its open-source edition lags behind.
The fonts are DejaVu Sans when the system has them (Debian's ``fonts-dejavu-core``),
else the PDF core font Helvetica with the text reduced to Latin-1.

``invoice``:

==================  ========  =============================================================
key                 needed    what
==================  ========  =============================================================
number              yes       the invoice number (numbered without gaps by the caller)
date                yes       ``date``, ``datetime`` or ISO string (printed dd/mm/yyyy)
currency            no        ISO 4217 code, ``DZD`` by default
seller              yes       ``{"name", "address", "email", "phone", "website",
                              "tax_ids": [[label, value], ...]}`` (name needed):
                              :func:`seller_from_settings`
buyer               yes       ``{"name", "email", "address"}`` (name or e-mail needed)
lines               yes       ``[{"description", "quantity" (int >= 1), "unit_price"}]``
                              (prices as ``Decimal``/string/int, never float)
taxes               no        ``[{"name": "TVA", "rate": "19"}]``: percent, applied to the
                              whole invoice; :func:`taxes_from_settings`
prices_include_tax  no        ``True``: unit prices are tax-inclusive (TTC) and the tax is
                              taken out of them; ``False`` (default): added on top (HT)
order_reference     no        the order's number
payment             no        ``{"method", "paid_at", "reference"}``: printed "Payée"
footer              no        legal mentions printed at the bottom
==================  ========  =============================================================

``ticket`` (the same keys as the wallet passes' data, so one dict feeds both):
``event_name``, ``attendee_name``, ``ticket_type``, ``ticket_number`` and ``barcode``
(the badge QR payload) are needed; ``attendee_email``, ``starts_at``/``ends_at``
(``datetime`` in the event's time zone, or ISO strings), ``venue``,
``organization_name``, ``order_reference`` and ``includes`` (names of the rooms/ateliers
the type opens) are optional.

Settings read by the helpers (INI; ``env:NAME`` allowed as everywhere):

- ``billetterie.seller.name``, ``.address`` (lines separated by newlines or `` | ``),
  ``.email``, ``.phone``, ``.website``
- ``billetterie.seller.tax_ids``: ``"NIF: 000123456789012; RC: 16/00-1234567 B 21"``
  (``label: value`` pairs separated by ``;``)
- ``billetterie.invoice.taxes``: ``"TVA:19"`` or ``"TVA:9, Timbre:1.5"`` (name:percent,
  a dot for decimals), empty = no tax line
- ``billetterie.invoice.prices_include_tax``: ``true``/``false`` (default false)
- ``billetterie.invoice.footer``: legal mentions
"""
from __future__ import annotations

import datetime as dt
import io
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from makeplus_core.plugin_api import font_path as _font_path  # DejaVu Sans lookup (makeplus_core.fonts)

__all__ = [
    "format_amount",
    "invoice_pdf",
    "invoice_totals",
    "minor_units",
    "prices_include_tax",
    "qr_png",
    "seller_from_settings",
    "taxes_from_settings",
    "ticket_pdf",
]

# ISO 4217 minor units that are not 2 (every other code has 2, DZD and EUR included).
_MINOR_UNITS = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV",
         "XAF", "XOF", "XPF"),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    "CLF": 4,
    "UYW": 4,
}
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_NBSP = "\u00a0"  # thousands separator (Latin-1, so the core font has it too)
BLUE = (30, 136, 229)


# --------------------------------------------------------------------------- money


def minor_units(currency: str) -> int:
    """The number of decimals of an ISO 4217 currency (``DZD`` 2, ``JPY`` 0, ``KWD`` 3)."""
    return _MINOR_UNITS.get(_currency(currency), 2)


def _currency(currency, field: str = "currency") -> str:
    code = str(currency or "").strip().upper()
    if not _CURRENCY.match(code):
        raise ValueError(f"{field}: an ISO 4217 code of three letters is expected (e.g. DZD)")
    return code


def _quantize(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def _decimal(value, field: str) -> Decimal:
    if isinstance(value, float) or isinstance(value, bool):
        raise ValueError(f"{field}: a Decimal, string or int is expected (never a float)")
    try:
        out = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{field}: not a number") from None
    if not out.is_finite():
        raise ValueError(f"{field}: not a number")
    return out


def format_amount(amount, currency: str) -> str:
    """``"5 000,00 DZD"``: French grouping (no-break space) and decimal comma, the
    currency's own number of decimals."""
    code = _currency(currency)
    value = _quantize(_decimal(amount, "amount"), code)
    sign = "-" if value < 0 else ""
    digits = f"{abs(value):.{minor_units(code)}f}"
    whole, _, frac = digits.partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = _NBSP.join(groups)
    return f"{sign}{text}{',' + frac if frac else ''}{_NBSP}{code}"


def invoice_totals(invoice: dict) -> dict:
    """The amounts of an invoice, each rounded to the currency's minor units::

        {"currency", "lines": [{"description", "quantity", "unit_price", "amount"}],
         "subtotal": sum of the line amounts, "net": the total without taxes,
         "taxes": [{"name", "rate", "amount"}], "tax_total", "total": what is paid}

    Taxes added on top (default): ``net = subtotal``, each tax = net × rate, ``total =
    net + taxes``. Prices including tax: ``total = subtotal``, ``net = total / (1 + Σ
    rates)``, each tax = net × rate, the last one taking the rounding remainder so that
    ``net + taxes == total`` exactly.
    """
    if not isinstance(invoice, dict):
        raise ValueError("invoice: a dict is needed")
    currency = _currency(invoice.get("currency") or "DZD", "invoice.currency")
    raw_lines = invoice.get("lines")
    if not isinstance(raw_lines, (list, tuple)) or not raw_lines:
        raise ValueError("invoice.lines: at least one line is needed")
    lines = []
    for i, line in enumerate(raw_lines):
        field = f"invoice.lines[{i}]"
        if not isinstance(line, dict):
            raise ValueError(f"{field}: a dict is needed")
        description = str(line.get("description") or "").strip()
        if not description:
            raise ValueError(f"{field}.description is required")
        quantity = line.get("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise ValueError(f"{field}.quantity: an integer of at least 1 is expected")
        unit_price = _quantize(_decimal(line.get("unit_price"), f"{field}.unit_price"), currency)
        lines.append({"description": description, "quantity": quantity, "unit_price": unit_price,
                      "amount": _quantize(unit_price * quantity, currency)})
    rates = []
    for i, tax in enumerate(invoice.get("taxes") or ()):
        field = f"invoice.taxes[{i}]"
        if not isinstance(tax, dict) or not str(tax.get("name") or "").strip():
            raise ValueError(f"{field}.name is required")
        rate = _decimal(str(tax.get("rate", "")).rstrip("% "), f"{field}.rate")
        if not (Decimal(0) < rate <= Decimal(100)):
            raise ValueError(f"{field}.rate: a percentage above 0 and at most 100 is expected")
        rates.append((str(tax["name"]).strip(), rate))
    subtotal = sum((line["amount"] for line in lines), Decimal(0))
    subtotal = _quantize(subtotal, currency)
    taxes = []
    if invoice.get("prices_include_tax") and rates:
        total = subtotal
        net = _quantize(total / (1 + sum(r for _, r in rates) / 100), currency)
        for name, rate in rates:
            taxes.append({"name": name, "rate": rate, "amount": _quantize(net * rate / 100, currency)})
        taxes[-1]["amount"] += total - net - sum(t["amount"] for t in taxes)
    else:
        net = subtotal
        for name, rate in rates:
            taxes.append({"name": name, "rate": rate, "amount": _quantize(net * rate / 100, currency)})
        total = net + sum((t["amount"] for t in taxes), Decimal(0))
    tax_total = sum((t["amount"] for t in taxes), Decimal(0))
    return {"currency": currency, "lines": lines, "subtotal": subtotal, "net": net, "taxes": taxes,
            "tax_total": _quantize(tax_total, currency), "total": _quantize(total, currency)}


# ------------------------------------------------------------------------ settings


def seller_from_settings(settings) -> dict:
    """``invoice["seller"]`` from ``billetterie.seller.*`` (``name`` empty when unset:
    :func:`invoice_pdf` then refuses to print an invoice without a seller)."""
    prefix = "billetterie.seller."
    get = lambda key: str(settings.get(prefix + key) or "").strip()  # noqa: E731
    tax_ids = []
    for part in get("tax_ids").split(";"):
        if part.strip():
            label, sep, value = part.partition(":")
            tax_ids.append([label.strip(), value.strip()] if sep else ["", label.strip()])
    address = "\n".join(p.strip() for p in re.split(r"\n| \| ", get("address")) if p.strip())
    return {"name": get("name"), "address": address, "email": get("email"), "phone": get("phone"),
            "website": get("website"), "tax_ids": tax_ids}


def taxes_from_settings(settings) -> list[dict]:
    """``invoice["taxes"]`` from ``billetterie.invoice.taxes`` (``"TVA:19, Timbre:1"``)."""
    raw = str(settings.get("billetterie.invoice.taxes") or "").strip()
    taxes = []
    for part in re.split(r"[,;\n]", raw):
        if not part.strip():
            continue
        name, sep, rate = part.rpartition(":")
        if not sep or not name.strip():
            raise ValueError(f"billetterie.invoice.taxes: {part.strip()!r} is not NAME:PERCENT")
        rate = rate.strip().rstrip("%").strip()
        _decimal(rate, "billetterie.invoice.taxes")
        taxes.append({"name": name.strip(), "rate": rate})
    return taxes


def prices_include_tax(settings) -> bool:
    """``invoice["prices_include_tax"]`` from ``billetterie.invoice.prices_include_tax``."""
    value = str(settings.get("billetterie.invoice.prices_include_tax") or "").strip().lower()
    return value in ("1", "true", "yes", "on")


# --------------------------------------------------------------------------- PDFs


class _Doc:
    """An A4 fpdf2 document with DejaVu Sans (or Helvetica and Latin-1 text)."""

    def __init__(self, title: str):
        from fpdf import FPDF

        self.pdf = pdf = FPDF(unit="mm", format="A4")
        pdf.set_margins(15, 15, 15)
        pdf.set_auto_page_break(True, margin=18)
        pdf.set_title(title)
        pdf.set_creator("MakePlus billetterie")
        regular, bold = _font_path("DejaVuSans.ttf"), _font_path("DejaVuSans-Bold.ttf")
        if regular and bold:
            pdf.add_font("dejavu", "", regular)
            pdf.add_font("dejavu", "B", bold)
            self.family, self.unicode = "dejavu", True
        else:
            self.family, self.unicode = "helvetica", False
        pdf.add_page()

    def t(self, text) -> str:
        text = "" if text is None else str(text)
        return text if self.unicode else text.encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, bold: bool = False, colour=(0, 0, 0)):
        self.pdf.set_font(self.family, "B" if bold else "", size)
        self.pdf.set_text_color(*colour)

    def line(self, text, h: float = 5, w: float = 0, align: str = "L"):
        from fpdf.enums import XPos, YPos

        self.pdf.multi_cell(w, h, self.t(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _date(value, field: str, with_time: bool = False) -> str:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{field}: an ISO 8601 date is expected") from None
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    raise ValueError(f"{field}: a date is expected")


def _rate(rate: Decimal) -> str:
    text = f"{rate.normalize():f}".replace(".", ",")
    return f"{text}{_NBSP}%"


def invoice_pdf(invoice: dict) -> bytes:
    """The invoice as PDF bytes (A4, French): seller and buyer, number and date, the
    lines (description, quantity, unit price, amount), Total HT / the taxes / Total TTC
    (or a single Total without taxes), the payment when given, the footer."""
    totals = invoice_totals(invoice)
    number = str(invoice.get("number") or "").strip()
    if not number:
        raise ValueError("invoice.number is required")
    if not invoice.get("date"):
        raise ValueError("invoice.date is required")
    date = _date(invoice["date"], "invoice.date")
    seller = invoice.get("seller") or {}
    if not isinstance(seller, dict) or not str(seller.get("name") or "").strip():
        raise ValueError("invoice.seller.name is required (billetterie.seller.name)")
    buyer = invoice.get("buyer") or {}
    if not isinstance(buyer, dict) or not (buyer.get("name") or buyer.get("email")):
        raise ValueError("invoice.buyer: a name or an e-mail is required")
    payment = invoice.get("payment") or None
    currency = totals["currency"]
    money = lambda amount: format_amount(amount, currency)  # noqa: E731
    has_taxes = bool(totals["taxes"])

    doc = _Doc(f"Facture {number}")
    pdf = doc.pdf
    width = pdf.w - pdf.l_margin - pdf.r_margin
    top = pdf.get_y()

    # Seller (left) and the invoice's identity (right)
    doc.font(14, bold=True)
    doc.line(seller["name"], h=7, w=width * 0.58)
    doc.font(8.5, colour=(70, 70, 70))
    details = [*str(seller.get("address") or "").splitlines(), seller.get("email"), seller.get("phone"),
               seller.get("website")]
    for label, value in seller.get("tax_ids") or ():
        details.append(f"{label} : {value}" if label else value)
    for text in details:
        if text:
            doc.line(text, h=4.2, w=width * 0.58)
    left_bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + width * 0.6, top)
    doc.font(20, bold=True, colour=BLUE)
    pdf.cell(width * 0.4, 9, doc.t("FACTURE"), align="R")
    right = [f"N° {number}", f"Date : {date}"]
    if invoice.get("order_reference"):
        right.append(f"Commande : {invoice['order_reference']}")
    right.append(f"Devise : {currency}")
    doc.font(10, colour=(0, 0, 0))
    y = top + 11
    for i, text in enumerate(right):
        doc.font(10, bold=(i == 0))
        pdf.set_xy(pdf.l_margin + width * 0.4, y)
        pdf.cell(width * 0.6, 5.5, doc.t(text), align="R")
        y += 5.5
    pdf.set_y(max(left_bottom, y) + 8)

    # Buyer
    doc.font(8.5, bold=True, colour=(90, 90, 90))
    doc.line("FACTURÉ À", h=5)
    doc.font(10.5, bold=True)
    doc.line(buyer.get("name") or buyer.get("email"), h=5.5)
    doc.font(9.5)
    for text in (*str(buyer.get("address") or "").splitlines(), buyer.get("email") if buyer.get("name") else None):
        if text:
            doc.line(text, h=4.8)
    pdf.ln(6)

    # Lines
    from fpdf.fonts import FontFace

    price_label = "Prix unitaire TTC" if invoice.get("prices_include_tax") and has_taxes else (
        "Prix unitaire HT" if has_taxes else "Prix unitaire")
    doc.font(9.5)
    with pdf.table(col_widths=(0.47, 0.08, 0.23, 0.22), text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT"),
                   line_height=6, padding=(1.2, 2),
                   headings_style=FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=BLUE),
                   borders_layout="HORIZONTAL_LINES") as table:
        head = table.row()
        for text in ("Désignation", "Qté", price_label, "Montant"):
            head.cell(doc.t(text))
        for line in totals["lines"]:
            row = table.row()
            row.cell(doc.t(line["description"]))
            row.cell(str(line["quantity"]))
            row.cell(doc.t(money(line["unit_price"])))
            row.cell(doc.t(money(line["amount"])))
    pdf.ln(4)

    # Totals (right column)
    rows = []
    if has_taxes:
        rows.append(("Total HT", money(totals["net"]), False))
        for tax in totals["taxes"]:
            rows.append((f"{tax['name']} {_rate(tax['rate'])}", money(tax["amount"]), False))
        rows.append(("Total TTC", money(totals["total"]), True))
    else:
        rows.append(("Total", money(totals["total"]), True))
    if payment:
        rows.append(("Montant payé", money(totals["total"]), False))
    for label, amount, strong in rows:
        doc.font(11 if strong else 9.5, bold=strong)
        pdf.set_x(pdf.l_margin + width * 0.45)
        pdf.cell(width * 0.3, 7 if strong else 6, doc.t(label), align="R")
        pdf.cell(width * 0.25, 7 if strong else 6, doc.t(amount), align="R", new_x="LMARGIN", new_y="NEXT")

    if payment:
        pdf.ln(4)
        doc.font(9.5, bold=True, colour=(30, 120, 60))
        paid = "PAYÉE"
        if payment.get("paid_at"):
            paid += f" le {_date(payment['paid_at'], 'invoice.payment.paid_at')}"
        if payment.get("method"):
            paid += f" — {payment['method']}"
        doc.line(paid)
        if payment.get("reference"):
            doc.font(8.5, colour=(90, 90, 90))
            doc.line(f"Référence du paiement : {payment['reference']}")
    if invoice.get("footer"):
        pdf.ln(8)
        doc.font(8, colour=(110, 110, 110))
        doc.line(invoice["footer"], h=4)
    return doc.output()


def qr_png(payload: str) -> bytes:
    """A PNG of the QR code holding ``payload`` (the core's QR images: error correction M, quiet zone 4)."""
    from makeplus_core.plugin_api import qr_images

    return qr_images.render(payload, "png")[0]


def ticket_pdf(ticket: dict) -> bytes:
    """The attendee's ticket as PDF bytes (A4, French): event, dates and venue, the
    attendee, the ticket type and what it includes, the ticket number, and the badge QR
    (the holder's badge: the door scanners read it like the app's)."""
    if not isinstance(ticket, dict):
        raise ValueError("ticket: a dict is needed")
    for key in ("event_name", "attendee_name", "ticket_type", "ticket_number", "barcode"):
        if not str(ticket.get(key) or "").strip():
            raise ValueError(f"ticket.{key} is required")
    when = []
    if ticket.get("starts_at"):
        when.append(_date(ticket["starts_at"], "ticket.starts_at", with_time=True))
    if ticket.get("ends_at"):
        when.append(_date(ticket["ends_at"], "ticket.ends_at", with_time=True))
    includes = ticket.get("includes") or ()
    if isinstance(includes, str) or not isinstance(includes, (list, tuple)):
        raise ValueError("ticket.includes: a list of names is expected")

    doc = _Doc(f"Billet {ticket['ticket_number']}")
    pdf = doc.pdf
    width = pdf.w - pdf.l_margin - pdf.r_margin

    # Band with the event
    pdf.set_fill_color(*BLUE)
    pdf.rect(0, 0, pdf.w, 34, style="F")
    pdf.set_xy(pdf.l_margin, 8)
    doc.font(9, bold=True, colour=(255, 255, 255))
    doc.line("BILLET" + (f" · {ticket['organization_name']}" if ticket.get("organization_name") else ""), h=5)
    doc.font(18, bold=True, colour=(255, 255, 255))
    doc.line(ticket["event_name"], h=8)
    pdf.set_y(42)

    # Details (left) and QR (right)
    qr_side = 70
    col = width - qr_side - 8
    top = pdf.get_y()
    pdf.image(io.BytesIO(qr_png(str(ticket["barcode"]))), x=pdf.l_margin + width - qr_side, y=top,
              w=qr_side, h=qr_side)
    fields = [("Participant", ticket["attendee_name"]), ("Type de billet", ticket["ticket_type"])]
    if ticket.get("attendee_email"):
        fields.insert(1, ("E-mail", ticket["attendee_email"]))
    if when:
        fields.append(("Date", " → ".join(when) if doc.unicode else " - ".join(when)))
    if ticket.get("venue"):
        fields.append(("Lieu", ticket["venue"]))
    fields.append(("N° de billet", ticket["ticket_number"]))
    if ticket.get("order_reference"):
        fields.append(("Commande", ticket["order_reference"]))
    for label, value in fields:
        doc.font(8, bold=True, colour=(90, 90, 90))
        doc.line(label.upper(), h=4.5, w=col)
        doc.font(12 if label == "Participant" else 11, bold=label in ("Participant", "N° de billet"))
        doc.line(value, h=6, w=col)
        pdf.ln(1.5)
    pdf.set_y(max(pdf.get_y(), top + qr_side) + 4)
    doc.font(8.5, colour=(70, 70, 70))
    pdf.set_x(pdf.l_margin + width - qr_side)
    pdf.cell(qr_side, 4, doc.t(str(ticket["ticket_number"])), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    if includes:
        doc.font(10, bold=True)
        doc.line("Ce billet donne accès à :", h=6)
        doc.font(9.5)
        for name in includes:
            doc.line(f"• {name}" if doc.unicode else f"- {name}", h=5)
        pdf.ln(3)
    pdf.set_draw_color(200, 200, 200)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(3)
    doc.font(8.5, colour=(90, 90, 90))
    doc.line("Billet nominatif. Ce QR code est votre badge : présentez-le à l'entrée et à chaque porte "
             "de salle, imprimé ou sur votre téléphone. Un billet remboursé ou transféré n'ouvre plus les portes.",
             h=4.3)
    return doc.output()
