"""Every dashboard view: another merchant's ids answer 404, a lower role 403.

The views are found by walking the URLconf (tests/tenancy.py), so a new view is covered
the moment it is wired with `@merchant_view`.
"""

import pytest
from django.urls import reverse

from apps.core.models import AuditLog, Invitation, Location, Membership
from tests import tenancy

VIEWS = tenancy.merchant_views()
OBJECT_VIEWS = [
    view for view in VIEWS if view.has_kwargs and view.url_name not in tenancy.FIXED_URLS
]


def _snapshot(merchant) -> tuple:
    """Everything a stray write could touch, to prove a refused request changed nothing."""
    return (
        list(Location.objects.for_merchant(merchant).values_list("name", "address", "is_active")),
        list(Membership.objects.for_merchant(merchant).values_list("user_id", "role")),
        list(Invitation.objects.for_merchant(merchant).values_list("pk", "revoked_at")),
        AuditLog.objects.for_merchant(merchant).count(),
    )


def test_the_walk_finds_the_dashboard():
    names = {view.url_name for view in VIEWS}
    assert {"home:home", "core:team", "core:location_list", "core:location_edit"} <= names


def test_every_view_with_an_object_id_has_an_isolation_fixture():
    missing = [view.url_name for view in OBJECT_VIEWS if view.url_name not in tenancy.OBJECT_URLS]
    assert not missing, f"add these to tests/tenancy.py OBJECT_URLS: {missing}"


@pytest.mark.django_db
@pytest.mark.parametrize("view", OBJECT_VIEWS, ids=lambda view: view.url_name)
def test_another_merchants_object_is_not_found(view, team, other_team, client_as):
    url = tenancy.url_for(view, other_team)
    before = _snapshot(other_team.merchant)
    client = client_as(team.owner)  # the highest role: the refusal is about the tenant

    assert client.get(url).status_code in {404, 405}
    assert client.post(url, {"name": "Hijacked", "role": "owner"}).status_code == 404
    assert _snapshot(other_team.merchant) == before


@pytest.mark.django_db
@pytest.mark.parametrize("view", VIEWS, ids=lambda view: view.url_name)
def test_a_lower_role_is_forbidden(view, team, client_as):
    url = tenancy.url_for(view, team)
    for role in tenancy.roles_below(view.min_role):
        before = _snapshot(team.merchant)
        client = client_as(team.user(role))
        assert client.get(url).status_code in {403, 405}, role
        assert client.post(url, {"name": "Sneaky", "role": "owner"}).status_code == 403, role
        assert _snapshot(team.merchant) == before


@pytest.mark.django_db
@pytest.mark.parametrize("view", VIEWS, ids=lambda view: view.url_name)
def test_allowed_roles_can_open_the_page(view, team, client_as):
    url = tenancy.url_for(view, team)
    for role in tenancy.roles_from(view.min_role):
        assert client_as(team.user(role)).get(url).status_code in {200, 405}, role


@pytest.mark.django_db
@pytest.mark.parametrize("view", VIEWS, ids=lambda view: view.url_name)
def test_anonymous_visitors_are_sent_to_sign_in(view, team, client):
    response = client.get(tenancy.url_for(view, team))
    if response.status_code != 405:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_a_removed_member_loses_access_on_the_next_request(team, client_as):
    client = client_as(team.manager)
    assert client.get(reverse("core:location_list")).status_code == 200

    Membership.objects.filter(merchant=team.merchant, user=team.manager).delete()

    response = client.get(reverse("core:location_list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("core:merchant_create")


@pytest.mark.django_db
def test_switching_to_a_merchant_one_does_not_belong_to_is_not_found(team, other_team, client_as):
    client = client_as(team.owner)
    response = client.post(reverse("core:merchant_switch"), {"merchant": other_team.merchant.pk})
    assert response.status_code == 404
    home = client.get(reverse("home:home"))
    assert home.context["active_merchant"] == team.merchant
