"""A tag condition finds the members with the tag however the rule spells its case, the
database comparing both names as it compares tags for uniqueness (`Lower`)."""

import pytest

from apps.campaigns.selectors import segment_members
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db


def tagged(team, *names: str) -> set[int]:
    rules = {"field": "tag", "op": "in", "value": list(names)}
    return set(segment_members(merchant=team.merchant, rules=rules).values_list("pk", flat=True))


def test_a_tag_is_found_by_its_own_name_and_in_capitals(team):
    # Given members tagged "İzmir" (Python lower-cases "İ" to two characters, PostgreSQL
    # to one: comparing one against the other found nobody) and "VIP"
    izmir = enroll(team, tags=["İzmir"])
    vip = enroll(team, tags=["VIP"])
    enroll(team, tags=["Café"])

    # Then
    assert tagged(team, "İzmir") == {izmir.pk}
    assert tagged(team, "İZMIR") == {izmir.pk}
    assert tagged(team, "vip", "İzmir") == {izmir.pk, vip.pk}
