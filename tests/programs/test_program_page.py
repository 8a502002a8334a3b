import pytest
from django.urls import reverse

from apps.core.models import AuditLog
from apps.programs.points.models import EarnMultiplier, ProgramSettings, Promotion
from apps.programs.points.rules import program_settings_update
from tests.conftest import refusal

pytestmark = pytest.mark.django_db


def test_managers_set_the_base_rate_and_expiry(team, client_as):
    client = client_as(team.manager)
    response = client.post(
        reverse("programs:settings_update"),
        {"points_per_unit": 5, "expiry_months": 18, "reminder_days": 14},
        follow=True,
    )
    assert "Saved." in response.text
    settings = ProgramSettings.objects.get(merchant=team.merchant)
    assert (settings.points_per_unit, settings.expiry_months, settings.reminder_days) == (5, 18, 14)
    assert AuditLog.objects.filter(action="program.updated", actor=team.manager).exists()
    bad = client.post(
        reverse("programs:settings_update"),
        {"points_per_unit": -1, "expiry_months": 0, "reminder_days": 14},
    )
    assert bad.status_code == 400
    assert set(bad.context["settings_form"].errors) == {"points_per_unit", "expiry_months"}


def test_the_final_reminder_comes_fewer_days_before_expiry_than_the_first(team, client_as):
    client = client_as(team.manager)
    url = reverse("programs:settings_update")
    fields = {"points_per_unit": 5, "expiry_months": 12, "reminder_days": 14}

    client.post(url, {**fields, "final_reminder_days": 3})
    saved = ProgramSettings.objects.get(merchant=team.merchant)
    assert (saved.reminder_days, saved.final_reminder_days) == (14, 3)

    bad = client.post(url, {**fields, "final_reminder_days": 14})
    assert bad.status_code == 400
    assert set(bad.context["settings_form"].errors) == {"final_reminder_days"}
    assert "fewer days before expiry than the first" in bad.text
    saved.refresh_from_db()
    assert saved.final_reminder_days == 3

    client.post(url, {**fields, "final_reminder_days": ""})
    saved.refresh_from_db()
    assert saved.final_reminder_days is None  # no final reminder


def test_the_first_reminder_cannot_come_after_the_final_one(team):
    program_settings_update(
        merchant=team.merchant, actor=team.manager, points_per_unit=5, expiry_months=12
    )
    assert ProgramSettings.objects.get().final_reminder_days == 7  # the default

    with refusal(match="fewer days before expiry than the first"):
        program_settings_update(
            merchant=team.merchant,
            actor=team.manager,
            points_per_unit=5,
            expiry_months=12,
            reminder_days=7,
        )

    assert ProgramSettings.objects.get().reminder_days == 30


def test_a_multiplier_is_added_once_and_can_be_stopped(team, client_as):
    client = client_as(team.manager)
    data = {"target": "category", "value": "Own brand", "percent": 200}
    client.post(reverse("programs:multiplier_create"), data)
    again = client.post(reverse("programs:multiplier_create"), data)
    assert again.status_code == 400
    assert "already" in again.text
    rule = EarnMultiplier.objects.get()
    client.post(reverse("programs:multiplier_toggle", args=[rule.pk]))
    rule.refresh_from_db()
    assert not rule.is_active


def test_a_promotion_must_end_after_it_starts(team, client_as):
    client = client_as(team.manager)
    response = client.post(
        reverse("programs:promotion_create"),
        {
            "name": "Oops",
            "percent": 200,
            "starts_at": "2026-12-05T10:00",
            "ends_at": "2026-12-01T10:00",
        },
    )
    assert response.status_code == 400
    assert "end after it starts" in response.text
    assert not Promotion.objects.exists()


def test_the_preview_shows_what_a_sample_basket_earns(team, client_as):
    client = client_as(team.manager)
    EarnMultiplier.objects.create(
        merchant=team.merchant, target="category", value="bakery", percent=300
    )
    response = client.get(reverse("programs:program"), {"amount": "10", "lines": "bakery 4.00"})
    assert response.context["preview"].points == 180  # 4 × 3 + 6 units, 10 points each
    assert "180 points" in response.text
    bad = client.get(reverse("programs:program"), {"amount": "10", "lines": "bakery four"})
    assert bad.context["preview"] is None
    assert "name then an amount" in bad.text


def test_the_expiring_soon_list_names_who_a_reminder_should_reach(team, client_as):
    from datetime import timedelta

    from django.utils import timezone

    from tests.members.factories import enroll
    from tests.programs.factories import buy

    ProgramSettings.objects.create(merchant=team.merchant, expiry_months=12)
    soon, later = enroll(team, first_name="Soon"), enroll(team, first_name="Later")
    now = timezone.now()
    buy(team, soon, 1000, external_id="A", at=now - timedelta(days=350))
    buy(team, later, 1000, external_id="B", at=now - timedelta(days=100))
    response = client_as(team.manager).get(reverse("programs:expiring"), {"days": 30})
    assert [(row.member.first_name, row.points) for row in response.context["due"]] == [
        ("Soon", 100)
    ]
    assert (
        client_as(team.manager).get(reverse("programs:expiring"), {"days": "x"}).status_code == 200
    )


def test_managers_add_a_capped_bonus_and_bad_input_is_a_field_error(team, client_as):
    from apps.programs.points.models import BonusRule

    client = client_as(team.manager)
    missing = client.post(
        reverse("programs:bonus_rule_create"),
        {"action": "custom", "points": 10, "cap_count": 1, "cap_period": "day"},
    )
    assert missing.status_code == 400
    assert "event type" in missing.text
    client.post(
        reverse("programs:bonus_rule_create"),
        {"action": "review", "points": 25, "cap_count": 2, "cap_period": "month"},
    )
    rule = BonusRule.objects.get()
    assert (rule.points, rule.cap_count, rule.cap_period) == (25, 2, "month")
    again = client.post(
        reverse("programs:bonus_rule_create"),
        {"action": "review", "points": 5, "cap_count": 1, "cap_period": "ever"},
    )
    assert "already" in again.text


def test_the_program_page_offers_every_section(team, client_as):
    page = client_as(team.manager).get(reverse("programs:program")).text
    for button in ("Save", "Add multiplier", "Add promotion", "Add bonus", "What would this earn?"):
        assert button in page
    assert 'name="reminder_days"' in page
    assert 'name="final_reminder_days"' in page
    assert 'name="cap_period"' in page


def test_the_settings_form_shows_what_is_saved(team, client_as):
    ProgramSettings.objects.create(merchant=team.merchant, points_per_unit=7, reminder_days=9)
    form = client_as(team.manager).get(reverse("programs:program")).context["settings_form"]
    assert (form.initial["points_per_unit"], form.initial["reminder_days"]) == (7, 9)
    assert form.initial["final_reminder_days"] == 7
