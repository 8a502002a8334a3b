import pytest
from django.urls import reverse

from apps.core.middleware import LOCATION_SESSION_KEY
from apps.programs.models import Purchase
from apps.programs.points.models import LedgerEntry
from apps.programs.points.selectors import points_balance
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db


def _url(member, name="programs:purchase_create"):
    return reverse(name, args=[member.public_id])


def test_staff_record_a_purchase_at_the_counter(team, client_as):
    member = enroll(team)
    client = client_as(team.staff)
    session = client.session
    session[LOCATION_SESSION_KEY] = team.merchant_location.pk
    session.save()

    response = client.post(_url(member), {"amount": "12.50", "external_id": "T-77"}, follow=True)

    assert "125 points earned; balance 125." in response.text
    purchase = Purchase.objects.get()
    assert (purchase.amount, purchase.location, purchase.actor) == (
        1250,
        team.merchant_location,
        team.staff,
    )


def test_a_double_submitted_form_records_once(team, client_as):
    member = enroll(team)
    client = client_as(team.staff)
    form = client.get(_url(member, "programs:member_points")).context["form"]
    ticket = form.initial["external_id"]
    for _ in range(2):
        response = client.post(_url(member), {"amount": "10", "external_id": ticket}, follow=True)
    assert "Already recorded" in response.text
    assert LedgerEntry.objects.filter(member=member).count() == 1
    assert points_balance(member=member) == 100


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("12.345", "at most 2 decimals"),
        ("0", "more than zero"),
        ("", "required"),
        ("abc", "number"),
    ],
)
def test_bad_amounts_are_field_errors_and_record_nothing(team, client_as, amount, message):
    member = enroll(team)
    response = client_as(team.staff).post(_url(member), {"amount": amount, "external_id": "T-1"})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["amount"])
    assert not Purchase.objects.exists()


def test_the_member_page_loads_the_points_section_with_htmx(team, client_as):
    member = enroll(team)
    client = client_as(team.staff)
    client.post(_url(member), {"amount": "5", "external_id": "T-1"})
    detail = client.get(reverse("members:detail", args=[member.public_id]))
    assert 'hx-get="' + _url(member, "programs:member_points") in detail.text
    partial = client.get(
        _url(member, "programs:member_points"),
        headers={"HX-Request": "true", "HX-Target": "points"},
    )
    assert partial.text.lstrip().startswith('<section id="points"')
    assert "<html" not in partial.text
    assert "T-1" in partial.text


def test_a_manager_adjusts_a_balance_with_a_reason(team, client_as):
    member = enroll(team)
    client = client_as(team.manager)
    url = _url(member, "programs:adjust")
    refused = client.post(url, {"points": "-5", "reason": "typo"})
    assert refused.status_code == 400
    assert "below zero" in refused.text
    no_reason = client.post(url, {"points": "5", "reason": ""})
    assert "reason" in no_reason.context["adjust_form"].errors
    client.post(url, {"points": "40", "reason": "missed purchase"})
    assert points_balance(member=member) == 40
    assert LedgerEntry.objects.get(member=member).reason == "missed purchase"


def test_what_was_bought_earns_its_multiplier_at_the_counter(team, client_as):
    from apps.programs.points.models import EarnMultiplier

    EarnMultiplier.objects.create(
        merchant=team.merchant, target="category", value="bakery", percent=300
    )
    member = enroll(team)
    client = client_as(team.staff)
    bad = client.post(_url(member), {"amount": "10", "external_id": "T-1", "lines": "bakery lots"})
    assert "Line 1" in " ".join(bad.context["form"].errors["lines"])
    assert not Purchase.objects.exists()
    client.post(_url(member), {"amount": "10", "external_id": "T-1", "lines": "bakery 4.00"})
    assert points_balance(member=member) == 180  # 4 units triple, 6 units single
    assert Purchase.objects.get().items == [
        {"sku": "bakery", "category": "bakery", "quantity": 1, "unit_amount": 400}
    ]


def test_the_counter_results_show_each_balance_in_one_query(team, client_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    members = [enroll(team, first_name=f"Lucía {n}") for n in range(5)]
    enroll(team, first_name="Zacarías")
    buy(team, members[0], 2000, external_id="A")
    client = client_as(team.staff)
    headers = {"HX-Request": "true", "HX-Target": "results"}

    def queries_for(term):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("members:counter"), {"q": term}, headers=headers)
        return response, len(queries)

    queries_for("zacar")  # the first request also saves the session
    five, five_queries = queries_for("lucia")
    _one, one_query = queries_for("zacar")
    assert five_queries == one_query  # balances cost one query, however many results
    assert "200 points" in five.text
    assert five.text.count("<span>0 points</span>") == 4
