"""The merchant's message settings (sender details, welcome, brand colour)."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.errors import DomainError
from apps.core.models import Merchant
from apps.core.stored_text import stored_text
from apps.messaging.models import MessagingSettings

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# A host name: labels of letters, digits and hyphens, at least one dot.
_DOMAIN = re.compile(r"^(?=.{1,120}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


# White text sits on the brand colour (buttons in messages and on the card): WCAG AA's
# contrast for normal text.
MIN_CONTRAST_WITH_WHITE = 4.5


def _contrast_with_white(colour: str) -> float:
    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return 1.05 / (luminance + 0.05)


def _checked(*, brand_colour: str, message_id_domain: str) -> tuple[str, str]:
    if not _COLOUR.match(brand_colour):
        raise DomainError(gettext("A colour such as #1d6b5f."), field="brand_colour")
    if _contrast_with_white(brand_colour) < MIN_CONTRAST_WITH_WHITE:
        raise DomainError(
            gettext("Choose a darker colour: white text on it must stay easy to read."),
            field="brand_colour",
        )
    domain = message_id_domain.strip().lower().rstrip(".")
    if domain and not _DOMAIN.match(domain):
        raise DomainError(
            gettext("A domain name such as mail.example.com."), field="message_id_domain"
        )
    return brand_colour.lower(), domain


@transaction.atomic(savepoint=False)
def messaging_settings_update(
    *,
    merchant: Merchant,
    actor: User,
    reply_to: str,
    message_id_domain: str,
    welcome_email: bool,
    welcome_sms: bool,
    brand_colour: str,
) -> MessagingSettings:
    brand_colour, message_id_domain = _checked(
        brand_colour=brand_colour, message_id_domain=message_id_domain
    )
    found, _created = MessagingSettings.objects.update_or_create(
        merchant=merchant,
        defaults={
            "reply_to": reply_to.strip().lower(),
            "message_id_domain": message_id_domain,
            "welcome_email": welcome_email,
            "welcome_sms": welcome_sms,
            "brand_colour": brand_colour,
        },
    )
    audit_record(
        merchant=merchant,
        actor=actor,
        action="messaging.settings_changed",
        summary=stored_text(gettext_noop("Changed the message settings")),
        target=found,
    )
    return found
