"""System fonts for the PDFs plugins draw (fpdf2): DejaVu Sans when the system has it.

Debian's ``fonts-dejavu-core`` installs it under ``/usr/share/fonts/truetype/dejavu``;
without it, PDFs fall back to fpdf's core fonts (Latin-1 only). Exported by
:mod:`makeplus_core.plugin_api`.
"""
from __future__ import annotations

import os

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts")


def font_path(name: str) -> str | None:
    """The path of the font file ``name`` (e.g. ``"DejaVuSans.ttf"``) in :data:`FONT_DIRS`, or None."""
    for folder in FONT_DIRS:
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return path
    return None
