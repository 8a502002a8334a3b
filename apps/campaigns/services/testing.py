"""A campaign's test: the message as one member would get it, emailed to the person
writing the campaign, "[Test]" in its subject, through the installation's normal mail
backend. Nothing is recorded and no offer is given: without a grant, the coupon's tags
are empty. Limited per person, since each test is a real email."""

from __future__ import annotations

import smtplib
from email.utils import make_msgid
from zoneinfo import ZoneInfo

from anymail.exceptions import AnymailError
from django.core.mail import EmailMessage, mailers
from django.utils import timezone, translation
from django.utils.translation import gettext

from apps.accounts.models import User
from apps.campaigns.models import Campaign, CampaignChannel, CampaignKind
from apps.campaigns.rendering import campaign_message
from apps.campaigns.sms_estimate import with_stop_line
from apps.core.errors import DomainError
from apps.core.rate_limits import over_limit
from apps.members.models import Member
from apps.members.selectors import member_language
from apps.messaging.content import EmailContent, Envelope, email_build, sender
from apps.messaging.links import unsubscribe_url
from apps.messaging.models import Channel
from apps.messaging.selectors import messaging_settings

TESTS_PER_HOUR = 10


class CampaignTestRefused(DomainError):
    """Too many tests lately, no address to send to, or the mail server refused."""

    code = "test_not_sent"
    status = 429


def _subject(text: str) -> str:
    # Translators: the subject of a campaign's test email; %(subject)s is the real one.
    return gettext("[Test] %(subject)s") % {"subject": text}


def _email(campaign: Campaign, member: Member, to: str) -> EmailMessage:
    content = campaign_message(campaign=campaign, member=member, channel=Channel.EMAIL)
    domain = messaging_settings(merchant=campaign.merchant).message_id_domain
    envelope = Envelope(
        merchant=campaign.merchant,
        to=to,
        message_id=make_msgid(idstring="campaign-test", domain=domain or None),
    )
    tested = EmailContent(subject=_subject(content.subject), text=content.text, html=content.html)
    return email_build(content=tested, envelope=envelope)


def _sms(campaign: Campaign, member: Member, to: str) -> EmailMessage:
    content = campaign_message(campaign=campaign, member=member, channel=Channel.SMS)
    body = with_stop_line(
        body=content.body,
        url=unsubscribe_url(member=member, channel=Channel.SMS),
        promotional=campaign.kind == CampaignKind.PROMOTIONAL,
    )
    # Translators: the subject of an email that shows a campaign's text message.
    subject = _subject(gettext("Text message of %(name)s") % {"name": campaign.name})
    return EmailMessage(
        subject=subject, body=body, from_email=sender(merchant=campaign.merchant), to=[to]
    )


def campaign_test_messages(*, campaign: Campaign, member: Member, to: str) -> list[EmailMessage]:
    """The emails a test sends, in the member's language: the email, and the text message
    shown as an email, as the campaign's channel has them."""
    with (
        translation.override(member_language(member=member)),
        timezone.override(ZoneInfo(campaign.merchant.timezone)),
    ):
        found = []
        if campaign.channel != CampaignChannel.SMS:
            found.append(_email(campaign, member, to))
        if campaign.channel != CampaignChannel.EMAIL:
            found.append(_sms(campaign, member, to))
        return found


def campaign_test_send(*, campaign: Campaign, member: Member, actor: User) -> str:
    """Email the test to `actor`; returns the address it went to."""
    to = (actor.email or "").strip()
    if not to:
        raise CampaignTestRefused(gettext("Your account has no email address to send the test to."))
    if over_limit(key=f"campaign-test:{actor.pk}", limit=TESTS_PER_HOUR, window_seconds=3600):
        raise CampaignTestRefused(
            gettext("You sent %(count)d tests in the last hour: try again later.")
            % {"count": TESTS_PER_HOUR}
        )
    messages = campaign_test_messages(campaign=campaign, member=member, to=to)
    try:
        mailers.default.send_messages(messages)
    except (smtplib.SMTPException, OSError, AnymailError) as error:
        raise CampaignTestRefused(
            gettext("The mail server did not take the test: %(error)s") % {"error": error}
        ) from error
    return to
