"""What referrals add to the API: a member's code and share link, the program's referral
terms (registered in apps.py). Enrolling with a code goes through `member_enroll`'s
extras, as at the counter."""

from django.conf import settings
from django.urls import reverse
from rest_framework import serializers

from apps.core.extensions import MemberApiExtension, ProgramApiExtension
from apps.members.read_once import NOT_JOINED, joined_row
from apps.programs.referrals.services import referral_code_for, referral_settings


def _member_data(member) -> dict:
    code = joined_row(member=member, relation="referral_code")
    if code is NOT_JOINED or code is None:  # None: drawn now (members from before referrals)
        code = referral_code_for(member=member)
    path = reverse("referrals:join", args=[member.merchant.slug, code.code])
    return {"referral_code": code.code, "referral_link": settings.SITE_URL.rstrip("/") + path}


MEMBER = MemberApiExtension(
    fields={
        "referral_code": serializers.CharField(),
        "referral_link": serializers.CharField(help_text="The page a friend enrolls through."),
    },
    data=_member_data,
    joins=("referral_code",),
)


def _terms(merchant) -> dict:
    terms = referral_settings(merchant=merchant)
    return {
        "enabled": terms.is_enabled,
        "min_purchase": terms.min_purchase,
        "window_days": terms.window_days,
        "referrer_reward": terms.referrer_reward,
        "referrer_points": terms.referrer_points,
        "referrer_coupon_value": terms.referrer_coupon_value,
        "referred_reward": terms.referred_reward,
        "referred_points": terms.referred_points,
        "referred_coupon_value": terms.referred_coupon_value,
        "monthly_cap": terms.monthly_cap,
    }


PROGRAM = ProgramApiExtension(
    name="referrals",
    field=serializers.DictField(help_text="The referral terms (amounts in cents)."),
    data=_terms,
)
