"""A registration's one-time check-in code as a QR code, an SVG written by segno: paths and
presentation attributes only, no inline style or script (the site's CSP stays as it is)."""

from __future__ import annotations

import io

import segno


def registration_svg(code: str, *, scale: int = 4) -> str:
    """The SVG of the QR code holding `code` (no XML declaration: it is embedded in a page)."""
    buffer = io.BytesIO()
    segno.make(code, error="m").save(buffer, kind="svg", scale=scale, xmldecl=False, svgclass="qr", lineclass=None)
    return buffer.getvalue().decode()
