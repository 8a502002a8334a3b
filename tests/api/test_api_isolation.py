"""Every API route, called with another merchant's key on this merchant's ids: nothing is
found, nothing changes. A route added to config/api_urls.py without an entry here fails."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from apps.campaigns.models import Campaign, Segment
from apps.campaigns.services import segment_create
from apps.core.models import AuditLog
from apps.members.models import Member
from apps.programs.coupons.models import Coupon
from apps.programs.coupons.services import coupon_issue
from apps.programs.models import Purchase, Refund
from apps.programs.points.models import LedgerEntry
from apps.programs.points.services import points_adjust
from apps.programs.rewards.models import Redemption
from apps.programs.rewards.services import reward_create, reward_redeem
from tests.campaigns.factories import campaign as make_campaign
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db


@pytest.fixture
def theirs(team):
    """One of each object of `team`, the merchant the other key must not reach."""
    member = enroll(team, first_name="Lucía", phone="611 222 333", email="lucia@example.com")
    points_adjust(member=member, points=500, reason="given", actor=team.manager)
    buy(team, member, 2500, external_id="order-1")
    reward = reward_create(
        merchant=team.merchant,
        actor=team.manager,
        name="Free coffee",
        kind="free_product",
        product_name="Coffee",
        points_cost=40,
    )
    redemption = reward_redeem(merchant=team.merchant, member=member, reward=reward).redemption
    coupon = coupon_issue(merchant=team.merchant, member=member, value=500, source="manual")
    segment = segment_create(
        merchant=team.merchant, actor=team.manager, name="Everyone", rules={"all": []}
    )
    campaign = make_campaign(team, audience=segment)
    return {
        "member": member,
        "reward": reward,
        "redemption": redemption,
        "coupon": coupon,
        "segment": segment,
        "campaign": campaign,
        "location": team.merchant_location,
    }


def calls(o) -> dict[str, tuple[str, str, dict]]:
    """Route name → (method, path, body) aimed at `o`, the other merchant's objects."""
    member = o["member"].public_id
    return {
        "api:members": ("get", "/api/v1/members/", {"email": "lucia@example.com"}),
        "api:member": ("patch", f"/api/v1/members/{member}/", {"first_name": "Hacked"}),
        "api:ledger": ("get", f"/api/v1/members/{member}/ledger/", {}),
        "api:purchases": (
            "post",
            "/api/v1/purchases/",
            {"member": member, "external_id": "x", "amount": 100, "currency": "EUR"},
        ),
        "api:refunds": (
            "post",
            "/api/v1/purchases/order-1/refunds/",
            {"external_id": "r", "amount": 100},
        ),
        "api:rewards": ("get", "/api/v1/rewards/", {"member": member}),
        "api:redemptions": (
            "post",
            "/api/v1/redemptions/",
            {"reward": o["reward"].public_id, "member": member},
        ),
        "api:redemption_void": ("post", f"/api/v1/redemptions/{o['redemption'].code}/void/", {}),
        "api:events": (
            "post",
            "/api/v1/events/",
            {"type": "review", "member": member, "external_id": "e"},
        ),
        "api:coupon_validate": (
            "post",
            "/api/v1/coupons/validate/",
            {"code": o["coupon"].code, "amount": 1000},
        ),
        "api:coupon_redeem": (
            "post",
            "/api/v1/coupons/redeem/",
            {"code": o["coupon"].code, "amount": 1000},
        ),
        # Rules naming their location: refused, as no location of the key's merchant.
        "api:segment_preview": (
            "post",
            "/api/v1/segments/preview/",
            {"rules": {"field": "location", "op": "is", "value": o["location"].pk}},
        ),
        "api:segments": (
            "post",
            "/api/v1/segments/",
            {
                "name": "Theirs",
                "rules": {"field": "location", "op": "is", "value": o["location"].pk},
            },
        ),
        "api:segment": ("get", f"/api/v1/segments/{o['segment'].pk}/", {}),
        # A campaign to their segment: refused, as no segment of the key's merchant.
        "api:campaigns": (
            "post",
            "/api/v1/campaigns/",
            {
                "name": "Theirs",
                "segment": o["segment"].pk,
                "channel": "email",
                "kind": "informational",
                "subject": "Hi",
                "body": "<p>Hi</p>",
            },
        ),
        "api:campaign": ("get", f"/api/v1/campaigns/{o['campaign'].pk}/", {}),
        "api:campaign_send": ("post", f"/api/v1/campaigns/{o['campaign'].pk}/send/", {}),
        "api:campaign_pause": ("post", f"/api/v1/campaigns/{o['campaign'].pk}/pause/", {}),
        "api:campaign_resume": ("post", f"/api/v1/campaigns/{o['campaign'].pk}/resume/", {}),
        "api:campaign_cancel": ("post", f"/api/v1/campaigns/{o['campaign'].pk}/cancel/", {}),
        "api:campaign_report": ("get", f"/api/v1/campaigns/{o['campaign'].pk}/report/", {}),
    }


ROUTES = [
    "api:members",
    "api:member",
    "api:ledger",
    "api:purchases",
    "api:refunds",
    "api:rewards",
    "api:redemptions",
    "api:redemption_void",
    "api:events",
    "api:coupon_validate",
    "api:coupon_redeem",
    "api:segment_preview",
    "api:segments",
    "api:segment",
    "api:campaigns",
    "api:campaign",
    "api:campaign_send",
    "api:campaign_pause",
    "api:campaign_resume",
    "api:campaign_cancel",
    "api:campaign_report",
]
# Routes that name no object of anyone: the key's own merchant is all they show.
NO_OBJECT = {"api:whoami", "api:program", "api:schema", "api:docs"}


def api_route_names() -> set[str]:
    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}{pattern.name}"

    return {name for name in walk(get_resolver().url_patterns) if name.startswith("api:")}


def test_every_api_route_is_covered(theirs):
    assert api_route_names() - NO_OBJECT == set(ROUTES) == set(calls(theirs))


def state(team) -> tuple:
    member = Member.objects.get(merchant=team.merchant)
    return (
        member.first_name,
        LedgerEntry.objects.filter(member=member).count(),
        Purchase.objects.filter(merchant=team.merchant).count(),
        Refund.objects.filter(merchant=team.merchant).count(),
        list(Redemption.objects.filter(merchant=team.merchant).values_list("status", flat=True)),
        list(Coupon.objects.filter(merchant=team.merchant).values_list("status", flat=True)),
        AuditLog.objects.filter(merchant=team.merchant).count(),
        list(Segment.objects.values_list("merchant_id", "name", "rules")),
        list(Campaign.objects.values_list("merchant_id", "name", "status")),
    )


@pytest.mark.parametrize("route", ROUTES)
def test_another_merchants_key_finds_and_changes_nothing(team, theirs, other_storefront, route):
    before = state(team)
    method, path, body = calls(theirs)[route]

    if method == "get":
        response = other_storefront.get(path, body)
    else:
        response = getattr(other_storefront, method)(path, body, format="json")

    assert state(team) == before
    if response.status_code == 200:  # a lookup or a check: it answers, finding nothing
        assert route in ("api:members", "api:coupon_validate")
        assert response.json().get("results", []) == []
        assert response.json().get("valid", False) is False
    else:
        assert response.status_code in (400, 404)
