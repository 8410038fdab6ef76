"""QR images (PNG or SVG) made with the ``qrcode`` library."""
from __future__ import annotations

import io

import qrcode
import qrcode.image.svg

FORMATS = {"png": "image/png", "svg": "image/svg+xml"}


def render(data: str, fmt: str = "png") -> tuple[bytes, str]:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4)
    qr.add_data(data)
    qr.make(fit=True)
    out = io.BytesIO()
    if fmt == "svg":
        qr.make_image(image_factory=qrcode.image.svg.SvgPathImage).save(out)
    else:
        qr.make_image().save(out, format="PNG")
    return out.getvalue(), FORMATS[fmt]
