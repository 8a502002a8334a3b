"""Writing a campaign: what it says, to whom, with what offer. Only a draft (or a
scheduled campaign not started yet) can change; everything is checked when saved, so a
campaign that sends can always be rendered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.campaigns.lock_objects import campaign_lock
from apps.campaigns.merge_tags import MERGE_TAGS, html_sanitise, merge_tags_check
from apps.campaigns.models import Campaign, CampaignChannel, CampaignKind, CampaignStatus, Segment
from apps.campaigns.services.offers import offer_clean
from apps.core.audit import audit_record
from apps.core.errors import Conflict, DomainError
from apps.core.languages import language_codes
from apps.core.models import Merchant
from apps.core.stored_text import stored_text

SUBJECT_LENGTH = 200
BODY_LENGTH = 100_000
SMS_LENGTH = 1_600  # ten segments of GSM-7: beyond, carriers split unreliably
EDITABLE = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)


@dataclass(frozen=True)
class CampaignFields:
    """What a campaign says and how it goes; texts per language code, or one string for
    the merchant's language."""

    name: str
    segment: Segment
    channel: str
    kind: str
    subject: str | dict = ""
    body: str | dict = ""
    sms_body: str | dict = ""
    offer: dict | None = None
    holdout_percent: int = 10
    send_at: datetime | None = None
    quiet_start: time = time(21, 0)
    quiet_end: time = time(9, 0)


def texts_clean(
    *, value, merchant: Merchant, field: str, limit: int, html: bool, allowed=MERGE_TAGS
) -> dict[str, str]:
    """A text per language as stored: a string is the merchant's language; each checked
    (our languages, within `limit`, an HTML one sanitised, merge tags in `allowed`: the
    whitelist, an automation's adds its kind's), empty ones left out. Refusals are
    `DomainError`s on `field` (or `field.<language>`)."""
    if isinstance(value, str):
        value = {merchant.language: value} if value.strip() else {}
    if not isinstance(value, dict):
        raise DomainError(gettext("Give a text, or one text per language."), field=field)
    texts = {}
    for code, text in value.items():
        if code not in language_codes():
            raise DomainError(
                gettext("Languages are %(codes)s.") % {"codes": ", ".join(language_codes())},
                field=f"{field}.{str(code)[:8]}",
            )
        if not isinstance(text, str):
            raise DomainError(gettext("Give a text."), field=f"{field}.{code}")
        text = text.strip()
        if not text:
            continue
        if len(text) > limit:
            raise DomainError(
                gettext("Keep it within %(count)d characters.") % {"count": limit},
                field=f"{field}.{code}",
            )
        # Checked after sanitising: sanitising decodes character references, which could
        # otherwise hide a tag outside the whitelist until it is stored.
        text = html_sanitise(html=text) if html else text
        merge_tags_check(text=text, field=field, allowed=allowed)
        texts[code] = text
    return texts


def _required(texts: dict, field: str, problem: str) -> None:
    if not texts:
        raise DomainError(problem, field=field)


def campaign_fields_clean(*, merchant: Merchant, fields: CampaignFields) -> dict:
    """The model's values for these fields, or a `DomainError` on the first bad one."""
    name = " ".join(str(fields.name).split())
    if not name or len(name) > 120:
        raise DomainError(
            gettext("Give the campaign a name (at most 120 characters)."), field="name"
        )
    if fields.segment is None or fields.segment.merchant_id != merchant.pk:
        raise DomainError(gettext("No segment with this id."), field="segment")
    if fields.channel not in CampaignChannel.values:
        raise DomainError(gettext("Choose email, SMS, or email with SMS."), field="channel")
    if fields.kind not in CampaignKind.values:
        raise DomainError(gettext("Choose promotional or informational."), field="kind")
    holdout = fields.holdout_percent
    if not isinstance(holdout, int) or isinstance(holdout, bool) or not 0 <= holdout <= 50:
        raise DomainError(gettext("Hold out from 0 to 50 %."), field="holdout_percent")
    if fields.send_at is not None and fields.send_at <= timezone.now():
        raise DomainError(gettext("Choose a time in the future, or send now."), field="send_at")
    emails = fields.channel in (CampaignChannel.EMAIL, CampaignChannel.EMAIL_OR_SMS)
    texts = {"subject": {}, "body": {}, "sms_body": {}}
    if emails:
        texts["subject"] = texts_clean(
            value=fields.subject,
            merchant=merchant,
            field="subject",
            limit=SUBJECT_LENGTH,
            html=False,
        )
        texts["body"] = texts_clean(
            value=fields.body, merchant=merchant, field="body", limit=BODY_LENGTH, html=True
        )
        _required(texts["subject"], "subject", gettext("Give the email a subject."))
        _required(texts["body"], "body", gettext("Write the email."))
    if fields.channel == CampaignChannel.SMS:
        # An SMS campaign's text is its body.
        texts["sms_body"] = texts_clean(
            value=fields.body, merchant=merchant, field="body", limit=SMS_LENGTH, html=False
        )
        _required(texts["sms_body"], "body", gettext("Write the text message."))
    elif fields.channel == CampaignChannel.EMAIL_OR_SMS:
        texts["sms_body"] = texts_clean(
            value=fields.sms_body, merchant=merchant, field="sms_body", limit=SMS_LENGTH, html=False
        )
        _required(
            texts["sms_body"], "sms_body", gettext("Write the text for members without email.")
        )
    return {
        "name": name,
        "segment": fields.segment,
        "channel": fields.channel,
        "kind": fields.kind,
        "offer": offer_clean(offer=fields.offer),
        "holdout_percent": holdout,
        "send_at": fields.send_at,
        "quiet_start": fields.quiet_start,
        "quiet_end": fields.quiet_end,
        **texts,
    }


@transaction.atomic(savepoint=False)
def campaign_create(*, merchant: Merchant, actor: User | None, fields: CampaignFields) -> Campaign:
    values = campaign_fields_clean(merchant=merchant, fields=fields)
    campaign = Campaign.objects.create(merchant=merchant, created_by=actor, **values)
    audit_record(
        merchant=merchant,
        actor=actor,
        action="campaign.created",
        summary=stored_text(gettext_noop("Created the campaign %(name)s"), name=campaign.name),
        target=campaign,
    )
    return campaign


@transaction.atomic(savepoint=False)
def campaign_update(*, campaign: Campaign, actor: User | None, fields: CampaignFields) -> Campaign:
    current = campaign_lock(campaign.pk)
    if current.status not in EDITABLE:
        raise Conflict(
            gettext("A campaign that has started sending cannot change."), code="campaign_started"
        )
    values = campaign_fields_clean(merchant=current.merchant, fields=fields)
    for name, value in values.items():
        setattr(current, name, value)
    if current.status == CampaignStatus.SCHEDULED and current.send_at is None:
        # Its time was taken away: a draft again, to be sent when someone says so.
        current.status = CampaignStatus.DRAFT
    current.save()
    audit_record(
        merchant=current.merchant,
        actor=actor,
        action="campaign.updated",
        summary=stored_text(gettext_noop("Changed the campaign %(name)s"), name=current.name),
        target=current,
    )
    return current
