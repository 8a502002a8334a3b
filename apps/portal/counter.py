"""The portal's section of the counter's card (`extensions.MEMBER_CARD_SECTIONS`): the
member's private card link as a QR code, for the customer to scan with their own phone
right after enrolling, or where the link went by email or SMS."""

from __future__ import annotations

import segno
from django.http import HttpRequest
from django.utils.translation import gettext

from apps.members.models import Member
from apps.portal.counter_selectors import counter_card_link

TEMPLATE = "portal/counter_card_link.html"
# A quiet zone of four modules, as the QR standard asks: a phone held up to a screen
# across the counter finds the code more easily than with the card code's two.
QR_BORDER = 4
QR_SCALE = 6


def link_qr_svg(*, url: str) -> str:
    # A full QR code, never a Micro QR: phone cameras read only these.
    qr = segno.make(url, error="m", micro=False)
    # Translators: the text alternative of the QR code holding a member's private card link.
    title = gettext("QR code of the link to your card")
    return qr.svg_inline(scale=QR_SCALE, border=QR_BORDER, omitsize=True, title=title)


def counter_card_section(request: HttpRequest, member: Member) -> dict | None:
    link = counter_card_link(member=member)
    if link is None:
        return None
    qr_svg = link_qr_svg(url=link.card_url) if link.card_url else ""
    return {"link": link, "qr_svg": qr_svg, "card_url": link.card_url}
