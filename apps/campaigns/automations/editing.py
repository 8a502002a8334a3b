"""Switching an automation on and off, and changing what it says and how it goes. Only
the moments from the day it is switched on count: switching the birthday on mails those
whose birthday is today or later, never the ones already past; switching win-back on does
not mail everyone who lapsed last year."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.analytics.selectors import merchant_today
from apps.campaigns.automations.kinds import KINDS
from apps.campaigns.automations.selectors import automation_defaults
from apps.campaigns.lock_objects import automation_lock
from apps.campaigns.merge_tags import MERGE_TAGS
from apps.campaigns.models import Automation, CampaignChannel
from apps.campaigns.services.editing import (
    BODY_LENGTH,
    SMS_LENGTH,
    SUBJECT_LENGTH,
    texts_clean,
)
from apps.campaigns.services.offers import offer_clean
from apps.core.audit import audit_record
from apps.core.errors import DomainError
from apps.core.models import Merchant
from apps.core.stored_text import stored_text


def _ensured(merchant: Merchant, kind: str) -> Automation:
    """The merchant's row of `kind`, written with the defaults the first time, locked."""
    row = automation_defaults(merchant=merchant, kind=kind)
    Automation.objects.bulk_create([row], ignore_conflicts=True)
    automation = Automation.objects.for_merchant(merchant).get(kind=kind)
    return automation_lock(automation.pk)


@transaction.atomic(savepoint=False)
def automation_enable(
    *, merchant: Merchant, kind: str, actor: User | None, now: datetime | None = None
) -> Automation:
    """On, from today (the merchant's day): a date kind's scan starts with today. Already
    on: unchanged."""
    if kind not in KINDS:
        raise ValueError(kind)
    automation = _ensured(merchant, kind)
    if automation.enabled:
        return automation
    now = now or timezone.now()
    automation.enabled = True
    automation.enabled_at = now
    automation.scanned_through = merchant_today(merchant=merchant, now=now) - timedelta(days=1)
    automation.save(update_fields=["enabled", "enabled_at", "scanned_through", "updated_at"])
    _audit(automation, actor, "enabled", gettext_noop("Switched on the automation %(name)s"))
    return automation


@transaction.atomic(savepoint=False)
def automation_disable(*, merchant: Merchant, kind: str, actor: User | None) -> Automation:
    """Off: nothing more is noticed, and what was noticed and not sent yet is not sent."""
    automation = _ensured(merchant, kind)
    if automation.enabled:
        automation.enabled = False
        automation.save(update_fields=["enabled", "updated_at"])
        _audit(automation, actor, "disabled", gettext_noop("Switched off the automation %(name)s"))
    return automation


MAX_COOLDOWN_DAYS = 3650
MAX_HOLDOUT_PERCENT = 50


@dataclass(frozen=True)
class AutomationFields:
    """What an automation says (per language code; an empty or missing language: the
    kind's default text, translated) and how it goes. `holdout_percent` is a promotional
    kind's alone: a service message is never held out, and its value is left as it is.
    `offer` (as `offer_clean` takes it; None: none) only for a kind that gives one."""

    channel: str
    cooldown_days: int
    send_hour: int | None = None
    holdout_percent: int | None = None
    offer: dict | None = None
    moment_number: int | None = None  # the kind's number (KindSpec.number); None: default
    subject: dict = field(default_factory=dict)
    body: dict = field(default_factory=dict)
    sms_body: dict = field(default_factory=dict)


def _whole(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def automation_fields_clean(*, merchant: Merchant, kind: str, fields: AutomationFields) -> dict:
    """The model's values for these fields, or a `DomainError` on the first bad one. The
    texts are checked as a campaign's are (the same merge tags, the same sanitising)."""
    if fields.channel not in CampaignChannel.values:
        raise DomainError(gettext("Choose email, SMS, or email with SMS."), field="channel")
    if fields.send_hour is not None and not _whole(fields.send_hour, 0, 23):
        raise DomainError(gettext("Choose an hour from 0 to 23, or none."), field="send_hour")
    if not _whole(fields.cooldown_days, 0, MAX_COOLDOWN_DAYS):
        raise DomainError(
            gettext("From 0 to %(most)s days.") % {"most": MAX_COOLDOWN_DAYS},
            field="cooldown_days",
        )
    allowed = MERGE_TAGS + tuple(sorted(KINDS[kind].tags))
    values = {
        "channel": fields.channel,
        "cooldown_days": fields.cooldown_days,
        "send_hour": fields.send_hour,
    }
    for name, limit, html in (
        ("subject", SUBJECT_LENGTH, False),
        ("body", BODY_LENGTH, True),
        ("sms_body", SMS_LENGTH, False),
    ):
        values[name] = texts_clean(
            value=getattr(fields, name),
            merchant=merchant,
            field=name,
            limit=limit,
            html=html,
            allowed=allowed,
        )
    if KINDS[kind].promotional and fields.holdout_percent is not None:
        if not _whole(fields.holdout_percent, 0, MAX_HOLDOUT_PERCENT):
            raise DomainError(gettext("Hold out from 0 to 50 %."), field="holdout_percent")
        values["holdout_percent"] = fields.holdout_percent
    if fields.offer is not None and not KINDS[kind].offers:
        raise DomainError(
            gettext("This automation gives no offer."), field="offer", code="invalid_offer"
        )
    if KINDS[kind].offers:
        values["offer"] = offer_clean(offer=fields.offer)
    values |= _moment_number_clean(kind, fields.moment_number)
    return values


def _moment_number_clean(kind: str, value: int | None) -> dict:
    number = KINDS[kind].number
    if number is None:
        if value is not None:
            raise DomainError(gettext("This automation takes no number."), field="moment_number")
        return {}
    if value is not None and not _whole(value, number.low, number.high):
        raise DomainError(
            gettext("From %(least)s to %(most)s.") % {"least": number.low, "most": number.high},
            field="moment_number",
        )
    return {"moment_number": value}


@transaction.atomic(savepoint=False)
def automation_update(
    *, merchant: Merchant, kind: str, actor: User | None, fields: AutomationFields
) -> Automation:
    """Change what the automation says and how it goes; on or off stays as it is (the
    switch is `automation_enable` / `automation_disable`)."""
    if kind not in KINDS:
        raise ValueError(kind)
    values = automation_fields_clean(merchant=merchant, kind=kind, fields=fields)
    automation = _ensured(merchant, kind)
    for name, value in values.items():
        setattr(automation, name, value)
    automation.save(update_fields=[*values, "updated_at"])
    _audit(automation, actor, "updated", gettext_noop("Changed the automation %(name)s"))
    return automation


def _audit(automation: Automation, actor: User | None, action: str, summary: str) -> None:
    audit_record(
        merchant=automation.merchant,
        actor=actor,
        action=f"automation.{action}",
        summary=stored_text(summary, name=automation.get_kind_display()),
        target=automation,
    )
