"""The survey's signed links: one token per survey message, no login.

The token names the delivery and the member's `link_version`, under a salt of its own (a
card or unsubscribe token is no survey token, and the reverse), and lives
`MEMBER_LINK_MAX_AGE_DAYS["survey"]` days. "Stop every link" (raising the member's
`link_version`) revokes it: `LinkRevoked`, a 410. Anything else that is not a genuine,
live token of a survey message (tampered, expired, another purpose's, a message of
another kind) is `None`, a 404 that says nothing about anyone."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from apps.campaigns.models import Automation, AutomationKind
from apps.members.models import Member
from apps.messaging.links import LinkRevoked, absolute
from apps.messaging.models import Delivery

_SALT = "fideliza.campaigns.survey"
SCORES = range(11)  # how likely, from 0 to 10, the member is to recommend the business


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_SALT, algorithm="sha256")


def survey_token(*, delivery_id: int, member: Member) -> str:
    return _signer().sign(f"{delivery_id}.{member.link_version}")


def survey_url(*, delivery_id: int, member: Member, score: int | None = None) -> str:
    """The question's page; with `score`, with that answer chosen (the email's links)."""
    token = survey_token(delivery_id=delivery_id, member=member)
    if score is None:
        return absolute(reverse("survey", args=[token]))
    return absolute(reverse("survey_score", args=[token, score]))


def survey_for_token(*, token: str) -> Delivery | None:
    """The survey message a genuine, unexpired token names (with its member and merchant),
    or None. Raises `LinkRevoked` for a token from before the member's last revocation."""
    max_age = settings.MEMBER_LINK_MAX_AGE_DAYS["survey"] * 24 * 3600
    try:
        value = _signer().unsign(token, max_age=max_age)
    except signing.BadSignature:  # tampered, another purpose's, or expired
        return None
    delivery_id, _dot, version = value.partition(".")
    if not delivery_id.isdigit():
        return None
    delivery = (
        Delivery.objects.filter(pk=int(delivery_id), source__startswith="automation:")
        .select_related("member", "merchant")
        .first()
    )
    if delivery is None or not delivery.member.is_active:
        return None
    automation_id = delivery.source.partition(":")[2]
    is_survey = Automation.objects.filter(
        pk=int(automation_id) if automation_id.isdigit() else 0,
        merchant_id=delivery.merchant_id,
        kind=AutomationKind.SURVEY,
    ).exists()
    if not is_survey or delivery.member.merchant_id != delivery.merchant_id:
        return None
    if str(delivery.member.link_version) != version:
        raise LinkRevoked(delivery.member)
    return delivery
