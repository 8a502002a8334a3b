"""Enrolling with a code: the check before the member is inserted, the referral after."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils.translation import gettext, gettext_noop

from apps.core.errors import DomainError
from apps.core.stored_text import stored_text
from apps.members.models import Member
from apps.members.services import event_record
from apps.programs.referrals.codes import normalize_code
from apps.programs.referrals.models import Referral
from apps.programs.referrals.services.settings_and_codes import (
    EXTRA_NAME,
    referral_settings,
    referrer_for_code,
)


def enroll_extra_check(member: Member, raw_code: Any) -> Callable[[Member], None]:
    """`extensions.ENROLL_EXTRAS` check for `referral_code`: refuse before the insert,
    record the referral after it."""
    if not isinstance(raw_code, str):
        raise DomainError(gettext("Give the referral code as text."), field=EXTRA_NAME)
    merchant = member.merchant
    referrer = referrer_for_code(
        merchant=merchant, raw_code=raw_code, phone=member.phone, email=member.email
    )
    window_days = referral_settings(merchant=merchant).window_days

    def record(saved: Member) -> None:
        _referral_create(
            referrer=referrer,
            referred=saved,
            code=normalize_code(raw_code) or "",
            window_days=window_days,
        )

    return record


def _referral_create(
    *, referrer: Member, referred: Member, code: str, window_days: int
) -> Referral:
    at = referred.enrolled_at
    referral = Referral.objects.create(
        merchant_id=referred.merchant_id,
        referrer=referrer,
        referred=referred,
        code=code,
        channel=referred.channel,
        created_at=at,
        window_ends_at=at + timedelta(days=window_days),
    )
    event_record(
        member=referred,
        kind="referral",
        summary=stored_text(
            gettext_noop("Referred by %(name)s (%(card)s)"),
            name=referrer.display_name,
            card=referrer.card_code_display,
        ),
        actor=referred.enrolled_by,
        source=referred.channel,
        data={"referral": referral.pk, "referrer": referrer.public_id},
        occurred_at=at,
    )
    event_record(
        member=referrer,
        kind="referral",
        summary=stored_text(
            gettext_noop("Brought a new member: %(name)s (%(card)s)"),
            name=referred.display_name,
            card=referred.card_code_display,
        ),
        actor=referred.enrolled_by,
        source=referred.channel,
        data={"referral": referral.pk, "referred": referred.public_id},
        occurred_at=at,
    )
    return referral
