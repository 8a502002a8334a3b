"""The member's card page: a signed link, nothing for a bad one, 410 for a revoked one,
private headers, preferences recorded with their source, a bounded number of queries."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from apps.members.models import EventKind, MemberEvent
from apps.members.services import member_links_revoke
from apps.messaging.links import CARD, UNSUBSCRIBE_EMAIL, member_token
from apps.portal.selectors import card_url, card_view
from apps.programs.points.models import EntryKind
from apps.programs.points.rules import program_settings_update
from apps.programs.points.services import points_adjust
from tests.coupons.factories import give_coupon
from tests.members.factories import enroll
from tests.programs.factories import buy
from tests.referrals.conftest import code_of, referrals_on
from tests.tiers.factories import set_up_tiers

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return urlsplit(url).path


def without_nonce(html: str) -> str:
    return re.sub(r'nonce="[^"]*"', "", html)


@pytest.fixture
def ana(team):
    return enroll(team, first_name="Ana", email="ana@example.com", language="es")


def test_the_card_shows_the_member_and_keeps_the_link_private(ana, client):
    response = client.get(path_of(card_url(member=ana)))

    assert response.status_code == 200
    assert "Ana" in response.text
    assert ana.card_code_display in response.text
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert response["Content-Language"] == "es"


@pytest.mark.parametrize("case", ["tampered", "foreign purpose", "garbage", "other shop's"])
def test_a_link_that_is_not_genuine_shows_nothing(ana, other_team, client, case):
    token = member_token(member=ana, purpose=CARD)
    bad = {
        "tampered": token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        "foreign purpose": member_token(member=ana, purpose=UNSUBSCRIBE_EMAIL),
        "garbage": "mbr_nothing.1:abc:def",
        "other shop's": token.replace(ana.public_id, enroll(other_team).public_id),
    }[case]

    response = client.get(reverse("portal:card", args=[bad]))

    assert response.status_code == 404
    assert "Ana" not in response.text
    assert ana.card_code not in response.text
    assert response["Referrer-Policy"] == "no-referrer"


def test_an_expired_link_shows_nothing(ana, client, settings):
    url = card_url(member=ana)
    settings.MEMBER_LINK_MAX_AGE_DAYS = {**settings.MEMBER_LINK_MAX_AGE_DAYS, "card": -1}

    assert client.get(path_of(url)).status_code == 404


def test_a_revoked_link_answers_410_and_offers_a_new_one(ana, team, client):
    old = card_url(member=ana)
    member_links_revoke(member=ana, source="dashboard", actor=team.manager)
    ana.refresh_from_db()

    response = client.get(path_of(old))

    assert response.status_code == 410
    assert "Ana" not in response.text
    assert reverse("portal:new_link", args=[team.merchant.slug]) in response.text
    assert client.get(path_of(card_url(member=ana))).status_code == 200


def test_a_new_link_is_answered_the_same_for_any_address(
    ana, team, client, mailoutbox, django_capture_on_commit_callbacks
):
    new_link = reverse("portal:new_link", args=[team.merchant.slug])
    mailoutbox.clear()  # the welcome

    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(new_link, {"email": "ANA@example.com"})
        unknown = client.post(new_link, {"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 200
    assert without_nonce(known.text) == without_nonce(unknown.text)
    [message] = mailoutbox
    assert message.to == ["ana@example.com"]
    [link] = re.findall(r"https?://\S+/c/[^/\s]+/", message.body)
    page = client.get(path_of(link))  # the current link (its time stamp is the send's)
    assert page.status_code == 200
    assert "Ana" in page.text


def test_preferences_change_consent_and_language_with_their_source(ana, client):
    url = path_of(card_url(member=ana))

    response = client.post(
        url.rstrip("/") + "/preferences/", {"consent_email": "on", "language": "ro"}
    )

    assert response.status_code == 302
    ana.refresh_from_db()
    assert (ana.consent_email, ana.consent_sms, ana.language) == (True, False, "ro")
    consent = MemberEvent.objects.get(member=ana, kind=EventKind.CONSENT)
    assert consent.source == "card"
    assert (consent.data["channel"], consent.data["granted"]) == ("email", True)


def test_the_page_reads_a_fixed_number_of_queries_whatever_the_history(ana, team, client):
    url = path_of(card_url(member=ana))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    queries()  # the first read of the shop's terms is kept by the process
    short = queries()
    for n in range(30):
        points_adjust(member=ana, actor=team.manager, points=10 + n, reason="test")
    assert queries() == short


def test_the_query_count_holds_for_a_long_history_of_every_kind(ana, team, client):
    """Purchases (lots, the tier's spend), adjustments, coupons and an invitation link: the
    card still reads them in the same number of queries."""
    set_up_tiers(team)
    referrals_on(team)
    url = path_of(card_url(member=ana))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    queries()  # the first read of the shop's terms is kept by the process
    empty = queries()
    for n in range(25):
        buy(team, ana, 1000 + n)
        points_adjust(member=ana, actor=team.manager, points=5 + n, reason="test")
        give_coupon(team, ana, value=100 + n)
    code_of(ana)
    queries()  # the purchases held the team's merchant from before the tiers: read again

    assert queries() == empty


def test_points_expiring_are_summed_per_horizon(ana, team):
    for months, amount in [(1, 1000), (2, 2000), (12, 4000)]:
        program_settings_update(
            merchant=team.merchant, actor=team.manager, points_per_unit=1, expiry_months=months
        )
        team.merchant.refresh_from_db()  # the new terms' version
        buy(team, ana, amount)

    card = card_view(member=ana, now=timezone.now() + timedelta(days=5))

    assert card.balance == 70
    assert [(window.days, window.points) for window in card.expiring] == [
        (30, 10),
        (60, 30),
        (90, 30),
    ]


def test_the_history_shows_each_lines_kind_in_the_members_language(ana, team, client):
    points_adjust(member=ana, actor=team.manager, points=15, reason="test")

    response = client.get(path_of(card_url(member=ana)))

    with translation.override("es"):
        adjusted = str(EntryKind.ADJUST.label)
    assert adjusted != "Adjusted"
    assert re.search(rf"<td>{re.escape(adjusted)}</td><td class=\"num\">\+15</td>", response.text)


def test_the_card_is_rate_limited_per_token(ana, client, settings):
    settings.LINK_PAGE_RATE_LIMITS = {
        **settings.LINK_PAGE_RATE_LIMITS,
        "card": {"per_ip": 100, "per_token": 3, "window": 60},
    }
    url = path_of(card_url(member=ana))

    statuses = [client.get(url).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_the_card_shows_the_shops_opening_hours(ana, team, client):
    from apps.core.models import Location

    Location.objects.for_merchant(team.merchant).update(
        address="Calle Mayor 1", opening_hours="Lun–Vie 8:00–20:00\nSáb 9:00–14:00"
    )
    response = client.get(path_of(card_url(member=ana)))
    assert "Calle Mayor 1" in response.text
    assert "Lun–Vie 8:00–20:00<br>Sáb 9:00–14:00" in response.text


def test_the_next_reward_within_reach_is_one_the_members_tier_may_redeem(team):
    from apps.portal.selectors import card_view
    from apps.programs.rewards.services import reward_create
    from tests.tiers.factories import set_up_tiers

    tiers = set_up_tiers(team)
    member = enroll(team, first_name="Ana")  # no tier, no points

    def reward(name, cost):
        return reward_create(
            merchant=team.merchant,
            actor=team.manager,
            name=name,
            kind="free_product",
            product_name=name,
            points_cost=cost,
        )

    tasting = reward("Private tasting", 50)
    tiers["Gold"].rewards.add(tasting)
    coffee = reward("Coffee", 80)

    view = card_view(member=member)

    assert view.next_reward == coffee  # not the cheaper tasting, which is Gold's only
    assert view.affordable == []
