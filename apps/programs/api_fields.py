"""What the points engine adds to a member in the API (registered in apps.py)."""

from rest_framework import serializers

from apps.members.api_fields import MemberApiExtension

from .selectors import points_balance

POINTS = MemberApiExtension(
    fields={"points_balance": serializers.IntegerField()},
    data=lambda member: {"points_balance": points_balance(member=member)},
)
