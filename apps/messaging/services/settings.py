"""The merchant's message settings (sender details, welcome, brand colour)."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.errors import DomainError
from apps.core.models import Merchant
from apps.core.stored_text import stored_text
from apps.messaging.lock_objects import messaging_settings_lock
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


WELCOME_SUBJECT_LENGTH = 200
WELCOME_INTRO_LENGTH = 1000


@transaction.atomic(savepoint=False)
def welcome_switch(
    *, merchant: Merchant, actor: User, email: bool | None = None, sms: bool | None = None
) -> MessagingSettings:
    """The welcome email on or off (the automations page's switch), and the text of the
    card link to members with only a phone (its page); None leaves one as it is. The
    message settings page writes the same fields. Audited when something changed."""
    found = messaging_settings_lock(merchant=merchant)
    changes = {
        name: value
        for name, value in (("welcome_email", email), ("welcome_sms", sms))
        if value is not None and getattr(found, name) != value
    }
    if not changes:
        return found
    for name, value in changes.items():
        setattr(found, name, value)
    found.save(update_fields=list(changes))
    summaries = {
        ("welcome_email", True): gettext_noop("Switched on the welcome email"),
        ("welcome_email", False): gettext_noop("Switched off the welcome email"),
        ("welcome_sms", True): gettext_noop("Switched on the welcome text message"),
        ("welcome_sms", False): gettext_noop("Switched off the welcome text message"),
    }
    for change in changes.items():
        audit_record(
            merchant=merchant,
            actor=actor,
            action="messaging.welcome_switched",
            summary=stored_text(summaries[change]),
            target=found,
        )
    return found


def _welcome_texts(texts: dict, *, field: str, limit: int, one_line: bool) -> dict[str, str]:
    """The texts per language code, trimmed, the empty ones left out."""
    codes = {code for code, _name in settings.LANGUAGES}
    cleaned = {}
    for code, text in texts.items():
        if code not in codes or not isinstance(text, str):
            raise DomainError(gettext("Not one of our languages."), field=f"{field}.{code}"[:80])
        text = text.strip()
        if len(text) > limit:
            raise DomainError(
                gettext("At most %(limit)s characters.") % {"limit": limit}, field=f"{field}.{code}"
            )
        if one_line and ("\n" in text or "\r" in text):
            raise DomainError(gettext("Write it on one line."), field=f"{field}.{code}")
        if text:
            cleaned[code] = text
    return cleaned


@transaction.atomic(savepoint=False)
def welcome_texts_update(
    *, merchant: Merchant, actor: User, subject: dict, intro: dict
) -> MessagingSettings:
    """The welcome email's subject and words of the merchant's own, per language code; an
    empty one: the default subject, no words of their own. Plain text: the email's layout
    escapes it."""
    values = {
        "welcome_subject": _welcome_texts(
            subject, field="subject", limit=WELCOME_SUBJECT_LENGTH, one_line=True
        ),
        "welcome_intro": _welcome_texts(
            intro, field="intro", limit=WELCOME_INTRO_LENGTH, one_line=False
        ),
    }
    found, _created = MessagingSettings.objects.update_or_create(merchant=merchant, defaults=values)
    audit_record(
        merchant=merchant,
        actor=actor,
        action="messaging.welcome_changed",
        summary=stored_text(gettext_noop("Changed the welcome's texts")),
        target=found,
    )
    return found
