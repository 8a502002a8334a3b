"""A member as the API shows it. Other apps add what they know about a member (points,
tier, coupons, referral code) through `extensions.MEMBER_API_FIELDS`, in their
`AppConfig.ready()`; the views (api.py) are imported later, with the URLs, so the schema
sees every extension.
"""

from __future__ import annotations

from functools import cache

from rest_framework import serializers

from apps.core.extensions import MEMBER_API_FIELDS
from apps.core.languages import language_codes
from apps.members.models import Channel, Member


class MemberBase(serializers.Serializer):
    id = serializers.CharField(help_text="Opaque id (mbr_…).")
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.EmailField(allow_null=True)
    phone = serializers.CharField(allow_null=True, help_text="E.164.")
    birthday = serializers.DateField(allow_null=True)
    language = serializers.ChoiceField(
        choices=language_codes(),
        allow_blank=True,
        help_text="Empty: the merchant's language.",
    )
    card_code = serializers.CharField()
    external_id = serializers.CharField(allow_null=True)
    marketing_consent = serializers.BooleanField()
    consent_email = serializers.BooleanField()
    consent_sms = serializers.BooleanField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    enrolled_at = serializers.DateTimeField()
    tags = serializers.ListField(child=serializers.CharField(), help_text="Tag names, sorted.")


@cache
def member_out() -> type[serializers.Serializer]:
    """The member's schema: the base fields and every extension's (built once, after the
    apps registered theirs)."""
    fields = {}
    for extension in MEMBER_API_FIELDS:
        fields |= extension.fields
    return type("Member", (MemberBase,), fields)


@cache
def member_api_joins() -> tuple[str, ...]:
    """What to join to the members' query so that `member_data` reads nothing more per
    extension: their points account, tier, wallet, referral code."""
    return tuple(dict.fromkeys(name for extension in MEMBER_API_FIELDS for name in extension.joins))


def member_data(member: Member) -> dict:
    data = {
        "id": member.public_id,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email,
        "phone": member.phone,
        "birthday": member.birthday.isoformat() if member.birthday else None,
        "language": member.language,
        "card_code": member.card_code,
        "external_id": member.external_id,
        "marketing_consent": member.consent_email or member.consent_sms,
        "consent_email": member.consent_email,
        "consent_sms": member.consent_sms,
        "channel": member.channel,
        "enrolled_at": member.enrolled_at.isoformat(),
        "tags": sorted((tag.name for tag in member.tags.all()), key=str.lower),
    }
    for extension in MEMBER_API_FIELDS:
        data |= extension.data(member)
    return data
