"""Print-ready participant badges (PDF made with fpdf2, QR drawn by qrcode).

The QR encodes the user's badge payload ``{"user_id": …, "badge_id": …}`` exactly
as the mobile app shows it (``makeplus_core.auth.badges.qr_payload_string``), so the
door scanners accept a printed badge like the phone's.
"""
from __future__ import annotations

import io

from fpdf import FPDF

from makeplus_core.plugin_api import badges, font_path, qr_images

# name: (width mm, height mm)
SIZES = {
    "a6": (105.0, 148.0),
    "cr80": (53.98, 85.6),  # ID-1 / credit-card badge, portrait
    "a4": (210.0, 297.0),
    "a7": (74.0, 105.0),
}
ROLE_LABELS = {
    "participant": "PARTICIPANT",
    "exposant": "EXPOSANT",
    "gestionnaire_des_salles": "ORGANISATION",
    "controlleur_des_badges": "CONTRÔLE",
}


def qr_png(payload: str) -> bytes:
    """A PNG of the QR code holding ``payload`` (the core's QR images: error correction M, quiet zone 4)."""
    return qr_images.render(payload, "png")[0]


def render_badge(user, participant, event, role: str | None, paid_ateliers: list[str], size: str = "a6") -> bytes:
    width, height = SIZES[size]
    pdf = FPDF(unit="mm", format=(width, height))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_title(f"Badge {user.full_name}")
    pdf.set_creator("MakePlus caisse")
    regular, bold = font_path("DejaVuSans.ttf"), font_path("DejaVuSans-Bold.ttf")
    if regular and bold:
        pdf.add_font("badge", "", regular)
        pdf.add_font("badge", "B", bold)
        family, clean = "badge", (lambda t: t or "")
    else:  # core font: Latin-1 only
        family = "helvetica"

        def clean(text):
            return (text or "").encode("latin-1", "replace").decode("latin-1")
    pdf.add_page()
    k = width / 105.0  # scale everything from the A6 design
    margin = 6 * k
    inner = width - 2 * margin

    # Header band with the event name
    pdf.set_fill_color(30, 136, 229)
    band = 16 * k
    pdf.rect(0, 0, width, band, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(family, "B", max(7, 12 * k))
    pdf.set_xy(margin, 3 * k)
    pdf.multi_cell(inner, 5 * k, clean(event.name), align="C", max_line_height=5 * k)

    y = band + 5 * k
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(family, "B", max(9, 18 * k))
    pdf.set_xy(margin, y)
    pdf.multi_cell(inner, 8 * k, clean(user.full_name), align="C")
    y = pdf.get_y() + 1 * k
    if user.organization:
        pdf.set_font(family, "", max(7, 11 * k))
        pdf.set_xy(margin, y)
        pdf.multi_cell(inner, 5 * k, clean(user.organization), align="C")
        y = pdf.get_y()
    label = ROLE_LABELS.get(role or "", (role or "").upper())
    if label:
        pdf.set_font(family, "B", max(7, 10 * k))
        pdf.set_fill_color(240, 240, 240)
        pdf.set_xy(margin + inner * 0.2, y + 2 * k)
        pdf.cell(inner * 0.6, 6 * k, clean(label), align="C", fill=True)
        y += 9 * k

    # QR code
    qr_side = min(inner * 0.62, height - y - 32 * k) if size != "cr80" else min(inner * 0.7, height - y - 14)
    qr_side = max(qr_side, 20)
    payload = badges.qr_payload_string(user)
    pdf.image(io.BytesIO(qr_png(payload)), x=(width - qr_side) / 2, y=y + 2 * k, w=qr_side, h=qr_side)
    y += qr_side + 3 * k
    pdf.set_font(family, "", max(6, 8 * k))
    pdf.set_xy(margin, y)
    pdf.cell(inner, 4 * k, clean(f"{user.badge_id or ''}  ·  N° {participant.badge_number}"), align="C")
    y += 6 * k

    if paid_ateliers and y < height - 8:
        pdf.set_font(family, "B", max(6, 9 * k))
        pdf.set_xy(margin, y)
        pdf.cell(inner, 5 * k, clean("Ateliers payés"), align="L")
        y += 5 * k
        pdf.set_font(family, "", max(5.5, 8 * k))
        for title in paid_ateliers:
            if y > height - 5 * k:
                break
            pdf.set_xy(margin, y)
            pdf.cell(inner, 4 * k, clean(f"• {title}")[:90], align="L")
            y += 4 * k
    return bytes(pdf.output())


def participant_badge(db, participant_id, event_id, size: str | None = "a6") -> tuple[bytes, str]:
    """The badge PDF of a participant of ``event_id`` and its file name.

    Used by ``GET /api/caisse/pos/participants/{id}/badge.pdf`` and by the POS
    page. ``size`` is one of :data:`SIZES` (else 400 naming ``size``); a
    participant of another event is a 404. The paid ateliers printed are the
    sessions the participant paid and still has access to.
    """
    from makeplus_core.plugin_api import Event, User, errors

    from . import services

    size = (size or "a6").lower()
    if size not in SIZES:
        raise errors.Invalid(f"size: one of {', '.join(SIZES)}", field="size")
    detail = services.participant_detail(db, participant_id, event_id)
    participant = detail["participant"]
    paid = [a["title"] for a in detail["session_access"] if a["payment_status"] == "paid" and a["has_access"]]
    user = db.get(User, participant.user_id)
    event = db.get(Event, participant.event_id)
    pdf = render_badge(user, participant, event, detail["role"], paid, size=size)
    return pdf, f"badge-{participant.badge_number}.pdf"


def pdf_response(pdf: bytes, filename: str):
    """An inline ``application/pdf`` answer (the browser opens it in a tab)."""
    from pyramid.response import Response

    resp = Response(body=pdf, content_type="application/pdf")
    resp.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return resp
