"""What the points engine adds to a member in the API (registered in apps.py; tiers,
cashback and referrals add their terms to `GET program/` through
`extensions.PROGRAM_API_FIELDS`). Kept apart from the views so that registering does not
build the schema too early."""

from rest_framework import serializers

from apps.core.extensions import MemberApiExtension
from apps.members.read_once import NOT_JOINED, joined_row
from apps.programs.points.selectors import points_balance


def _points_data(member) -> dict:
    account = joined_row(member=member, relation="points_account")
    if account is NOT_JOINED:
        return {"points_balance": points_balance(member=member)}
    return {"points_balance": account.balance if account else 0}


POINTS = MemberApiExtension(
    fields={"points_balance": serializers.IntegerField()},
    data=_points_data,
    joins=("points_account",),
)
