"""The dashboard's pages: each card's numbers and CSV, the picker's refusals, the members
behind a number, the settings; and no other merchant's rows anywhere."""

import csv
import io
import logging
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.analytics.cards import KPI_CARDS
from apps.analytics.models import AnalyticsSettings, MarketingSpend
from apps.analytics.selectors import merchant_today
from tests.analytics.factories import refresh
from tests.core.factories import LocationFactory
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db


def _days_ago(days: int):
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def shop(team, other_team):
    """Ana buys twice, Bea once, in the last week; another business trades more."""
    ana = enroll(team, first_name="Ana", last_name="Gil")
    bea = enroll(team, first_name="=HYPERLINK(1)", last_name="Sol")
    buy(team, ana, 1000, at=_days_ago(5))
    buy(team, bea, 1500, at=_days_ago(4))
    buy(team, ana, 2000, at=_days_ago(3))
    stranger = enroll(other_team, first_name="Zoe", last_name="Other")
    buy(other_team, stranger, 99_900, at=_days_ago(4))
    refresh()
    return {"ana": ana, "bea": bea, "stranger": stranger}


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_every_card_answers_for_the_default_period(team, shop, client_as):
    client = client_as(team.manager)
    page = client.get(reverse("analytics:dashboard"))
    assert page.status_code == 200
    for name in KPI_CARDS:
        assert f'hx-get="/analytics/cards/{name}/?preset=custom&amp;start=' in page.text
        assert client.get(reverse("analytics:card", args=[name])).status_code == 200, name
        assert client.get(reverse("analytics:card_csv", args=[name])).status_code == 200, name


def test_the_revenue_card_and_its_csv_count_this_business_only(team, shop, client_as):
    client = client_as(team.manager)
    card = client.get(reverse("analytics:card", args=["revenue"]), {"preset": "7"})
    assert "45,00\xa0€" in card.text
    assert "999" not in card.text  # the other business's sale
    rows = _csv(client.get(reverse("analytics:card_csv", args=["revenue"]), {"preset": "7"}))
    assert rows[:4] == [
        ["Figure", "Value", "Previous period"],
        ["Revenue", "45.00", ""],  # not compared: no "compare" in the query
        ["Refunded", "0.00", ""],
        ["Net revenue", "45.00", ""],
    ]
    by_day = rows[rows.index(["Day", "Revenue", "Refunded"]) + 1 :]
    assert [row[1] for row in by_day] == ["10.00", "15.00", "20.00"]


def test_compared_figures_carry_the_previous_period(team, shop, client_as):
    client = client_as(team.manager)
    rows = _csv(
        client.get(
            reverse("analytics:card_csv", args=["frequency"]), {"preset": "7", "compare": "on"}
        )
    )
    assert rows[1:3] == [["Purchases per buyer", "1.50", ""], ["Purchases", "3", "0"]]


def test_a_location_narrows_the_figures_and_another_business_location_is_refused(
    team, other_team, shop, client_as
):
    client = client_as(team.manager)
    harbour = LocationFactory(merchant=team.merchant, name="Harbour")
    card = client.get(
        reverse("analytics:card", args=["revenue"]), {"preset": "7", "location": harbour.pk}
    )
    assert card.status_code == 200
    assert "45,00" not in card.text  # nothing was sold there
    theirs = other_team.merchant_location
    refused = client.get(
        reverse("analytics:card", args=["revenue"]), {"preset": "7", "location": theirs.pk}
    )
    assert refused.status_code == 400
    assert "Select a valid choice" in refused.text
    assert "999" not in refused.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"preset": "custom", "start": "2026-03-10", "end": "2026-03-01"}, "on or after the first"),
        ({"preset": "custom", "start": "2020-01-01", "end": "2026-01-01"}, "at most three years"),
        ({"preset": "custom", "start": "2999-01-01", "end": "2999-01-02"}, "in the future"),
        ({"preset": "custom", "end": "2026-01-01"}, "Give the first day"),
        ({"preset": "custom", "start": "yesterday", "end": "2026-01-01"}, "Enter a valid date"),
        ({"preset": "fortnight"}, "Select a valid choice"),
        ({"location": "abc"}, "Select a valid choice"),
    ],
)
def test_a_bad_period_is_a_clear_400_everywhere(team, shop, client_as, query, message):
    client = client_as(team.manager)
    for url in (
        reverse("analytics:dashboard"),
        reverse("analytics:card", args=["points"]),
        reverse("analytics:members", args=["new"]),
    ):
        response = client.get(url, query)
        assert response.status_code == 400, url
        assert message in response.text, url
    csv_response = client.get(reverse("analytics:card_csv", args=["points"]), query)
    assert csv_response.status_code == 400
    assert message in csv_response.text


def test_an_unknown_card_or_list_is_not_found(team, client_as):
    client = client_as(team.manager)
    assert client.get(reverse("analytics:card", args=["profit"])).status_code == 404
    assert client.get(reverse("analytics:card_csv", args=["profit"])).status_code == 404
    assert client.get(reverse("analytics:members", args=["vip"])).status_code == 404


def test_the_members_behind_a_number_are_this_business_only_and_safe_in_csv(team, shop, client_as):
    client = client_as(team.manager)
    page = client.get(reverse("analytics:members", args=["active"]))
    assert "Ana Gil" in page.text
    assert "Zoe" not in page.text
    rows = _csv(client.get(reverse("analytics:members", args=["active"]), {"format": "csv"}))
    assert rows[0][:3] == ["Member id", "First name", "Last name"]
    names = sorted(row[1] for row in rows[1:])
    assert names == ["'=HYPERLINK(1)", "Ana"]  # a formula stays text in a spreadsheet
    new = client.get(reverse("analytics:members", args=["new"]), {"preset": "7"})
    assert "Ana Gil" in new.text
    assert "Zoe" not in new.text


def test_settings_change_the_thresholds_and_a_bad_value_changes_nothing(team, client_as):
    client = client_as(team.manager)
    url = reverse("analytics:settings_update")
    saved = client.post(
        url, {"at_risk_days": "60", "lapsed_days": "120", "thousand_points_value": "7.50"}
    )
    assert saved.status_code == 302
    settings = AnalyticsSettings.objects.get(merchant=team.merchant)
    assert (settings.at_risk_days, settings.lapsed_days, settings.thousand_points_value) == (
        60,
        120,
        750,
    )
    refused = client.post(url, {"at_risk_days": "90", "lapsed_days": "30"})
    assert refused.status_code == 400
    assert "Lapsed comes after at risk" in refused.text
    settings.refresh_from_db()
    assert (settings.at_risk_days, settings.lapsed_days) == (60, 120)


def test_marketing_spend_per_month_gives_the_acquisition_cost(team, shop, client_as):
    client = client_as(team.manager)
    month = merchant_today(merchant=team.merchant).strftime("%Y-%m")
    saved = client.post(reverse("analytics:spend_update"), {"month": month, "amount": "100.00"})
    assert saved.status_code == 302
    assert MarketingSpend.objects.get(merchant=team.merchant).amount == 10_000
    assert "100,00" in client.get(reverse("analytics:settings")).text
    rows = _csv(client.get(reverse("analytics:card_csv", args=["acquisition"])))
    assert rows[1] == ["Cost per new member", "50.00", ""]  # 100 € for Ana and Bea
    refused = client.post(reverse("analytics:spend_update"), {"month": "soon", "amount": "-1"})
    assert refused.status_code == 400
    assert MarketingSpend.objects.count() == 1


def test_a_spend_in_a_currency_without_cents_refuses_cents(team, client_as):
    team.merchant.currency = "JPY"
    team.merchant.save()
    client = client_as(team.manager)
    refused = client.post(
        reverse("analytics:spend_update"), {"month": "2026-01", "amount": "10.50"}
    )
    assert refused.status_code == 400
    assert "at most 0 decimals" in refused.text
    assert not MarketingSpend.objects.exists()


def test_the_dashboard_opens_when_the_broker_is_down(team, shop, client_as, caplog):
    """The refresh it asks for cannot be queued: the page still answers, from the beat's
    figures."""
    from config import celery_app
    from tests.celery_worker import reset_app_caches

    saved = {
        key: celery_app.conf[key]
        for key in ("broker_url", "task_always_eager", "task_publish_retry")
    }
    celery_app.conf.update(
        broker_url="redis://127.0.0.1:1/0",  # nothing listens there
        task_always_eager=False,
        task_publish_retry=False,
    )
    reset_app_caches(celery_app)
    try:
        with caplog.at_level(logging.WARNING, logger="apps.core.broker"):
            page = client_as(team.manager).get(reverse("analytics:dashboard"))
    finally:
        celery_app.conf.update(saved)
        reset_app_caches(celery_app)
    assert page.status_code == 200
    assert "refresh_analytics not queued" in caplog.text
