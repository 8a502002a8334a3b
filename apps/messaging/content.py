"""What a message says, as its source renders it, and how an email is put together:
multipart text and HTML, the CSS inlined (mail clients drop <style>), the merchant's name
as the sender, a Message-ID known before the send, and the RFC 8058 unsubscribe headers
on marketing mail."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import formataddr, make_msgid, parseaddr

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from apps.core.models import Merchant


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str  # a whole document, with its <style>: inlined when the message is built


@dataclass(frozen=True)
class SmsContent:
    body: str


@dataclass(frozen=True)
class Envelope:
    """Who it is from and to, and the headers that are not the content's business."""

    merchant: Merchant
    to: str
    message_id: str
    reply_to: str = ""
    unsubscribe_url: str = ""
    unsubscribe_mailto: str = ""
    headers: dict[str, str] = field(default_factory=dict)


_inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def new_message_id(*, delivery_id: int, domain: str) -> str:
    """`<…d42@shop.example>`: on the merchant's domain where it sends from its own."""
    return make_msgid(idstring=f"d{delivery_id}", domain=domain or _default_domain())


def _default_domain() -> str:
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return address.rpartition("@")[2] or "localhost"


def sender(*, merchant: Merchant) -> str:
    """The merchant's name on the installation's address: members know the shop, and the
    address is the one whose SPF and DKIM the installation set up."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((merchant.name, address))


def email_build(*, content: EmailContent, envelope: Envelope) -> EmailMultiAlternatives:
    headers = {"Message-ID": envelope.message_id, **envelope.headers}
    if envelope.unsubscribe_url:
        targets = [f"<{envelope.unsubscribe_url}>"]
        if envelope.unsubscribe_mailto:
            targets.append(f"<mailto:{envelope.unsubscribe_mailto}?subject=unsubscribe>")
        headers["List-Unsubscribe"] = ", ".join(targets)
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=content.subject,
        body=content.text,
        from_email=sender(merchant=envelope.merchant),
        to=[envelope.to],
        reply_to=[envelope.reply_to] if envelope.reply_to else None,
        headers=headers,
    )
    message.attach_alternative(_inliner.inline(content.html), "text/html")
    return message
