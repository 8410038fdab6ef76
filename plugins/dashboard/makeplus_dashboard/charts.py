"""Tiny server-side SVG charts (no JavaScript, no CDN): bar charts and line/area charts.

Every label is XML-escaped; every bar or point carries a ``<title>`` (the browser's
tooltip). The SVG scales to its container (``viewBox`` + ``width="100%"``).
"""
from __future__ import annotations

from xml.sax.saxutils import escape

from makeplus_core.plugin_api import translate


def _no_data() -> str:
    """The empty chart's text, in the page's language (when rendered within a request)."""
    return escape(translate(None, "No data yet"))

PALETTE = ("#2f6fde", "#e8833a", "#2aa876", "#c0392b", "#8e44ad", "#16a2b8", "#b8860b", "#5d6d7e")


def _num(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _fmt(value) -> str:
    v = _num(value)
    return str(int(v)) if v.is_integer() else f"{v:.2f}"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    return float(((int(value) // step) + 1) * step)


def _svg_open(width, height, title, pad_l) -> list[str]:
    """The ``<svg>`` element's start, its ``<title>`` and the visible title (when any)."""
    out = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
           f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
           f"<title>{escape(title or 'chart')}</title>"]
    if title:
        out.append(f'<text x="{pad_l}" y="18" class="chart-title">{escape(title)}</text>')
    return out


def _svg_empty(out, width, height) -> str:
    """The chart closed with the "no data" notice in its middle."""
    out.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" class="chart-empty">'
               f"{_no_data()}</text></svg>")
    return "".join(out)


def bar_chart(data, title: str = "", width: int = 900, height: int = 280, unit: str = "",
              color: str = PALETTE[0]) -> str:
    """``data``: a list of ``(label, value)``. Returns an ``<svg>`` string (empty state included)."""
    data = [(str(label), _num(value)) for label, value in data]
    pad_l, pad_r, pad_t, pad_b = 44, 10, 28 if title else 10, 56
    inner_w, inner_h = width - pad_l - pad_r, height - pad_t - pad_b
    out = _svg_open(width, height, title, pad_l)
    if not data:
        return _svg_empty(out, width, height)
    top = _nice_max(max(v for _, v in data))
    out.extend(_axes(pad_l, pad_t, inner_w, inner_h, top))
    slot = inner_w / len(data)
    bar_w = max(2.0, slot * 0.7)
    for i, (label, value) in enumerate(data):
        h = inner_h * value / top
        x = pad_l + i * slot + (slot - bar_w) / 2
        y = pad_t + inner_h - h
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{color}">'
                   f"<title>{escape(label)}: {_fmt(value)}{escape(unit)}</title></rect>")
        if len(data) <= 24 or i % max(1, len(data) // 12) == 0:
            lx, ly = pad_l + i * slot + slot / 2, pad_t + inner_h + 12
            short = label if len(label) <= 14 else label[:13] + "…"
            out.append(f'<text x="{lx:.1f}" y="{ly:.1f}" class="chart-label" text-anchor="end" '
                       f'transform="rotate(-35 {lx:.1f} {ly:.1f})">{escape(short)}</text>')
    out.append("</svg>")
    return "".join(out)


def line_chart(series, labels, title: str = "", width: int = 900, height: int = 280, area: bool = True,
               unit: str = "") -> str:
    """``series``: a list of ``(name, [values…])`` aligned on ``labels`` (x axis). One polyline per
    series (filled below when ``area``), a legend, a ``<title>`` per point."""
    labels = [str(x) for x in labels]
    series = [(str(name), [_num(v) for v in values]) for name, values in series]
    pad_l, pad_r, pad_t, pad_b = 44, 10, 28 if title else 10, 56 + 16 * ((len(series) + 2) // 3)
    inner_w, inner_h = width - pad_l - pad_r, height - pad_t - pad_b
    out = _svg_open(width, height, title, pad_l)
    if not labels or not series:
        return _svg_empty(out, width, height)
    top = _nice_max(max((max(v) for _, v in series if v), default=0))
    out.extend(_axes(pad_l, pad_t, inner_w, inner_h, top))
    step = inner_w / max(1, len(labels) - 1)
    base_y = pad_t + inner_h
    for i, label in enumerate(labels):
        if len(labels) <= 24 or i % max(1, len(labels) // 12) == 0:
            lx, ly = pad_l + i * step, base_y + 12
            out.append(f'<text x="{lx:.1f}" y="{ly:.1f}" class="chart-label" text-anchor="end" '
                       f'transform="rotate(-35 {lx:.1f} {ly:.1f})">{escape(label)}</text>')
    for n, (name, values) in enumerate(series):
        color = PALETTE[n % len(PALETTE)]
        pts = [(pad_l + i * step, base_y - inner_h * v / top) for i, v in enumerate(values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        if area and pts:
            poly = f"{pts[0][0]:.1f},{base_y:.1f} {path} {pts[-1][0]:.1f},{base_y:.1f}"
            out.append(f'<polygon points="{poly}" fill="{color}" fill-opacity="0.15" stroke="none"/>')
        out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for (x, y), label, v in zip(pts, labels, values, strict=False):
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}">'
                       f"<title>{escape(name)} · {escape(label)}: {_fmt(v)}{escape(unit)}</title></circle>")
        lx = pad_l + (n % 3) * (inner_w / 3)
        ly = height - 8 - 16 * ((len(series) - 1) // 3 - n // 3)
        out.append(f'<rect x="{lx:.1f}" y="{ly - 9:.1f}" width="10" height="10" fill="{color}"/>'
                   f'<text x="{lx + 14:.1f}" y="{ly:.1f}" class="chart-legend">{escape(name)}</text>')
    out.append("</svg>")
    return "".join(out)


def _axes(pad_l, pad_t, inner_w, inner_h, top):
    out = []
    for k in range(5):
        value = top * k / 4
        y = pad_t + inner_h - inner_h * k / 4
        out.append(f'<line x1="{pad_l}" y1="{y:.1f}" x2="{pad_l + inner_w}" y2="{y:.1f}" class="chart-grid"/>')
        out.append(f'<text x="{pad_l - 4}" y="{y + 4:.1f}" text-anchor="end" class="chart-axis">'
                   f"{_fmt(value)}</text>")
    return out
