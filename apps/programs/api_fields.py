"""What the points engine adds to a member in the API (registered in apps.py), and the
registry through which tiers, cashback and referrals add their terms to `GET program/`.
Kept apart from the views so that registering does not build the schema too early."""

from collections.abc import Callable
from dataclasses import dataclass

from rest_framework import serializers

from apps.core.models import Merchant
from apps.members.api_fields import MemberApiExtension
from apps.programs.points.selectors import points_balance

POINTS = MemberApiExtension(
    fields={"points_balance": serializers.IntegerField()},
    data=lambda member: {"points_balance": points_balance(member=member)},
)


@dataclass(frozen=True)
class ProgramApiExtension:
    """What another app adds to `GET program/` (tiers, cashback, referral terms)."""

    name: str
    field: serializers.Field  # for the schema
    data: Callable[[Merchant], object]


PROGRAM_API_EXTENSIONS: list[ProgramApiExtension] = []
