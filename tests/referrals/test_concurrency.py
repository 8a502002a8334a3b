"""Races on referral rewards, with real parallel transactions on PostgreSQL."""

import pytest
from django.urls import reverse

from apps.programs.points.models import LedgerEntry
from apps.programs.points.selectors import ledger_mismatches
from apps.programs.referrals.models import Referral, ReferralCode
from apps.programs.referrals.services import referral_code_for, referrer_settle
from tests.accounts.factories import PASSWORD
from tests.concurrency import all_at_once
from tests.conftest import make_team
from tests.http import HttpSession
from tests.members.factories import enroll
from tests.programs.factories import buy
from tests.referrals.conftest import code_of, referrals_on

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _bonus(member) -> list[int]:
    return list(
        LedgerEntry.objects.filter(member=member, kind="bonus").values_list("points", flat=True)
    )


def test_qualifying_purchases_at_once_from_several_tills_reward_exactly_once(live_server):
    team = make_team()
    referrals_on(team)
    ana = enroll(team, first_name="Ana")
    bea = enroll(team, first_name="Bea", extras={"referral_code": code_of(ana)})
    tills = 4
    sessions = [HttpSession(live_server.url) for _ in range(tills)]
    for session in sessions:
        session.login(team.staff.email, PASSWORD)
    url = reverse("programs:purchase_create", args=[bea.public_id])
    page = reverse("programs:member_points", args=[bea.public_id])
    requests = [
        session.prepare_post(url, {"amount": "25.00", "external_id": f"TILL-{n}"}, csrf_page=page)
        for n, session in enumerate(sessions)
    ]

    responses = all_at_once(tills, lambda n: sessions[n].send(requests[n]))

    assert [response.status for response in responses] == [302] * tills
    referral = Referral.objects.get()
    assert referral.status == "rewarded"
    assert referral.referrer_state == "paid"
    assert referral.qualifying_purchase.external_id.startswith("TILL-")
    assert _bonus(bea) == [100]
    assert _bonus(ana) == [100]
    assert ledger_mismatches(merchant=team.merchant) == []


def test_friends_converting_at_once_never_pass_the_referrers_monthly_cap():
    team = make_team()
    referrals_on(team, monthly_cap=2)
    ana = enroll(team, first_name="Ana")
    friends = [
        enroll(team, first_name=f"F{n}", extras={"referral_code": code_of(ana)}) for n in range(6)
    ]
    all_at_once(
        len(friends),
        lambda n: buy(team, friends[n], 1000, external_id=f"T-{n}"),
    )  # each referrer side is settled by its task on commit (eager here)
    referrals = Referral.objects.all()

    all_at_once(len(friends), lambda n: referrer_settle(referral_id=referrals[n].pk))

    states = sorted(Referral.objects.values_list("referrer_state", flat=True))
    assert states == ["capped"] * 4 + ["paid"] * 2
    assert _bonus(ana) == [100, 100]
    assert all(_bonus(friend) == [100] for friend in friends)
    assert ledger_mismatches(merchant=team.merchant) == []


def test_drawing_a_code_from_many_requests_at_once_gives_one_code():
    team = make_team()
    ana = enroll(team, first_name="Ana")
    ReferralCode.objects.filter(member=ana).delete()

    codes = all_at_once(8, lambda n: referral_code_for(member=ana).code)

    assert len(set(codes)) == 1
    assert ReferralCode.objects.get(member=ana).code == codes[0]


@pytest.mark.redis
def test_the_public_pages_rate_limit_holds_under_parallel_requests(live_server, monkeypatch):
    from django.core.cache import cache, caches
    from django.test import override_settings

    from apps.programs.referrals import views
    from tests.conftest import REDIS_URL

    team = make_team()
    referrals_on(team)
    ana = enroll(team, first_name="Ana")
    url = reverse("referrals:join", args=[team.merchant.slug, code_of(ana)])
    monkeypatch.setattr(views, "JOIN_LIMIT", 5)
    redis_cache = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    with override_settings(CACHES=redis_cache):
        assert type(caches["default"]).__name__ == "RedisCache"
        cache.clear()
        sessions = [HttpSession(live_server.url) for _ in range(12)]

        statuses = all_at_once(12, lambda n: sessions[n].get(url).status)
        cache.clear()

    assert sorted(statuses) == [200] * 5 + [429] * 7
