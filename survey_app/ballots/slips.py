"""Printable A4 sheets of access-code slips and public-link posters (WeasyPrint + qrcode).

Each slip carries the code three ways: a QR code of `/answer#CODE` (the code stays in the
URL fragment, which browsers never send), the typed code, and a two-line instruction in
Chinese and English. Nothing on a slip says who receives it.
"""
import io

import qrcode
import qrcode.image.svg
from flask import render_template
from markupsafe import Markup

from ..models import Campaign, RespondentGroup
from ..printing import html_to_pdf


def qr_svg(data: str, box_size: int = 10) -> Markup:
    """An inline SVG of a QR code (medium error correction survives a crumpled slip)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=box_size,
                        error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode("utf-8")
    return Markup(svg[svg.index("<svg"):])



def slips_pdf(campaign: Campaign, group: RespondentGroup, codes: list[str], base_url: str) -> bytes:
    base = base_url.rstrip("/")
    slips = [{"code": code, "qr": qr_svg(f"{base}/answer#{code}")} for code in codes]
    html = render_template("print/slips.html", campaign=campaign, group=group, slips=slips,
                           answer_url=f"{base}/answer")
    return html_to_pdf(html)


def poster_pdf(campaign: Campaign, group: RespondentGroup, link: str) -> bytes:
    html = render_template("print/poster.html", campaign=campaign, group=group, link=link, qr=qr_svg(link, 20))
    return html_to_pdf(html)
