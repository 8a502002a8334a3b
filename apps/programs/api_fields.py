"""What the points engine adds to a member in the API (registered in apps.py; tiers,
cashback and referrals add their terms to `GET program/` through
`extensions.PROGRAM_API_FIELDS`). Kept apart from the views so that registering does not
build the schema too early."""

from rest_framework import serializers

from apps.core.extensions import MemberApiExtension
from apps.programs.points.selectors import points_balance

POINTS = MemberApiExtension(
    fields={"points_balance": serializers.IntegerField()},
    data=lambda member: {"points_balance": points_balance(member=member)},
)
