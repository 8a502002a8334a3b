"""Races on tier crossing, with real parallel HTTP requests against PostgreSQL."""

import pytest
from django.urls import reverse

from apps.members.models import MemberEvent
from apps.programs.models import Purchase
from apps.programs.tiers.models import MemberTier, TierChange
from apps.programs.tiers.services import tiers_review
from tests.accounts.factories import PASSWORD
from tests.concurrency import all_at_once, race
from tests.conftest import make_team
from tests.http import HttpSession
from tests.members.factories import enroll
from tests.programs.factories import buy
from tests.tiers.factories import set_up_tiers

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TILLS = 6


def test_purchases_crossing_the_threshold_at_once_move_the_member_once(live_server):
    team = make_team()
    set_up_tiers(team)
    member = enroll(team)
    buy(team, member, 45_000)  # Bronze; Silver needs €500, each till adds €60
    url = reverse("programs:purchase_create", args=[member.public_id])
    csrf_page = reverse("programs:member_points", args=[member.public_id])
    pairs = []
    for n in range(TILLS):
        session = HttpSession(live_server.url)
        session.login(team.staff.email, PASSWORD)
        request = session.prepare_post(
            url, {"amount": "60.00", "external_id": f"till-{n}"}, csrf_page=csrf_page
        )
        pairs.append((session, request))

    responses = race(pairs)

    assert [response.status for response in responses] == [302] * TILLS
    assert Purchase.objects.filter(member=member).count() == TILLS + 1
    changes = TierChange.objects.filter(member=member, to_name="Silver")
    assert changes.count() == 1
    assert changes.get().qualifying_total == 51_000
    assert MemberTier.objects.get(member=member).tier.name == "Silver"
    assert MemberEvent.objects.filter(member=member, kind="tier_changed").count() == 2


def test_two_reviews_at_once_move_each_member_once():
    team = make_team()
    set_up_tiers(team)
    members = [enroll(team) for _ in range(4)]
    from datetime import UTC, datetime

    for member in members:
        buy(team, member, 60_000, at=datetime(2026, 1, 10, tzinfo=UTC))
    now = datetime(2027, 1, 11, tzinfo=UTC)
    counts = all_at_once(2, lambda _n: tiers_review(now=now))

    assert sum(counts) == 4
    assert TierChange.objects.filter(cause="review").count() == 4
