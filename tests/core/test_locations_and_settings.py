import pytest
from django.urls import reverse

from apps.core import services
from apps.core.errors import Conflict, DomainError
from apps.core.middleware import LOCATION_SESSION_KEY
from apps.core.models import AuditLog, Location, Merchant
from tests.conftest import refusal
from tests.core.factories import LocationFactory

pytestmark = pytest.mark.django_db


def test_location_names_are_unique_per_merchant_ignoring_case(team, other_team):
    with refusal(Conflict, match="already exists"):
        services.location_create(merchant=team.merchant, actor=team.owner, name="main STREET ")
    # Another merchant may use the same name.
    services.location_create(merchant=other_team.merchant, actor=other_team.owner, name="Harbour")
    services.location_create(merchant=team.merchant, actor=team.owner, name="Harbour")


def test_a_location_needs_a_name(team):
    with refusal(DomainError) as refused:
        services.location_create(merchant=team.merchant, actor=team.owner, name="   ")
    assert refused.value.field == "name"


def test_adding_a_location_from_the_page(team, client_as):
    client = client_as(team.manager)
    response = client.post(
        reverse("core:location_list"), {"name": "Airport", "address": "Terminal 2"}, follow=True
    )
    assert "Added Airport" in response.text
    location = Location.objects.for_merchant(team.merchant).get(name="Airport")
    assert location.address == "Terminal 2"
    assert (
        AuditLog.objects.for_merchant(team.merchant)
        .filter(action="location.created", actor=team.manager, target_id=str(location.pk))
        .exists()
    )


def test_adding_a_location_with_htmx_swaps_only_the_list(team, client_as):
    client = client_as(team.manager)
    response = client.post(
        reverse("core:location_list"), {"name": "Airport"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="locations">')
    assert "<html" not in response.text
    assert "Airport" in response.text


def test_a_duplicate_location_is_a_field_error(team, client_as):
    client = client_as(team.manager)
    response = client.post(reverse("core:location_list"), {"name": "MAIN STREET"})
    assert response.context["form"].errors["name"] == ["A location with this name already exists."]
    assert Location.objects.for_merchant(team.merchant).count() == 1


def test_closing_a_location_hides_it_from_the_counter_choice(team, client_as):
    harbour = LocationFactory(merchant=team.merchant, name="Harbour")
    client = client_as(team.manager)
    client.post(
        reverse("core:location_edit", args=[harbour.pk]),
        {"name": "Harbour", "address": "", "is_active": ""},
    )
    harbour.refresh_from_db()
    assert not harbour.is_active

    staff = client_as(team.staff)
    response = staff.post(reverse("core:location_choose"), {"location": harbour.pk}, follow=True)
    assert "Choose one of this business" in response.text
    assert LOCATION_SESSION_KEY not in staff.session


def test_staff_choose_the_location_their_counter_records(team, client_as, other_team):
    main = Location.objects.for_merchant(team.merchant).get()
    client = client_as(team.staff)

    client.post(reverse("core:location_choose"), {"location": main.pk})
    response = client.get(reverse("home:home"))
    assert response.wsgi_request.location == main
    assert "Counter actions are recorded at" in response.text

    foreign = Location.objects.for_merchant(other_team.merchant).get()
    client.post(reverse("core:location_choose"), {"location": foreign.pk})
    assert client.get(reverse("home:home")).wsgi_request.location == main


def test_owner_changes_the_business_details(team, client_as):
    client = client_as(team.owner)
    response = client.post(
        reverse("core:merchant_settings"),
        {
            "name": "Café Nuevo",
            "currency": "MXN",
            "country": "MX",
            "timezone": "America/Mexico_City",
            "language": "es",
        },
        follow=True,
    )
    assert "Business details saved" in response.text
    merchant = Merchant.objects.get(pk=team.merchant.pk)
    assert (merchant.name, merchant.currency, merchant.country.code, merchant.timezone) == (
        "Café Nuevo",
        "MXN",
        "MX",
        "America/Mexico_City",
    )
    entry = AuditLog.objects.for_merchant(merchant).get(action="merchant.updated")
    assert entry.data["changes"]["currency"] == ["EUR", "MXN"]


def test_bad_business_details_change_nothing(team, client_as):
    client = client_as(team.owner)
    response = client.post(
        reverse("core:merchant_settings"),
        {
            "name": "",
            "currency": "ZZZ",
            "country": "ES",
            "timezone": "Europe/Madrid",
            "language": "es",
        },
    )
    assert set(response.context["form"].errors) == {"name", "currency"}
    assert Merchant.objects.get(pk=team.merchant.pk).name == team.merchant.name


def test_the_home_checklist_tracks_what_is_done(team, client_as):
    client = client_as(team.owner)
    steps = {step.title: step.done for step in client.get(reverse("home:home")).context["steps"]}
    assert steps["Add your shops"] is True  # the team fixture has a location
    assert steps["Invite your team"] is True
    assert steps["Check your business details"] is False
    assert steps["Turn on two-factor authentication"] is False


def test_staff_see_only_their_steps_and_no_settings_links(team, client_as):
    response = client_as(team.staff).get(reverse("home:home"))
    titles = [step.title for step in response.context["steps"]]
    assert titles == ["Turn on two-factor authentication"]
    for hidden in ("core:team", "core:location_list", "core:merchant_settings", "core:audit_log"):
        assert f'href="{reverse(hidden)}"' not in response.text


def test_a_user_of_two_merchants_switches_between_them(team, client_as):
    second = services.merchant_create(
        name="Second shop",
        owner=team.staff,
        currency="USD",
        country="US",
        timezone_name="America/New_York",
        language="en",
    )
    client = client_as(team.staff)
    first_home = client.get(reverse("home:home"))
    active = first_home.context["active_merchant"]
    other = second if active == team.merchant else team.merchant
    assert f'value="{other.pk}"' in first_home.text  # offered in the switcher

    client.post(reverse("core:merchant_switch"), {"merchant": other.pk})

    assert client.get(reverse("home:home")).context["active_merchant"] == other


def test_the_activity_log_lists_this_merchants_actions_only(team, other_team, client_as):
    services.location_create(merchant=other_team.merchant, actor=other_team.owner, name="Secret")
    response = client_as(team.manager).get(reverse("core:audit_log"))
    summaries = [entry.summary for entry in response.context["page"].object_list]
    assert "Added the location Main street" in summaries
    assert not any("Secret" in summary for summary in summaries)


def test_times_read_in_the_merchants_time_zone(team, client_as):
    from datetime import UTC, datetime

    AuditLog.objects.for_merchant(team.merchant).update(
        created_at=datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    )
    response = client_as(team.manager).get(reverse("core:audit_log"))
    # Madrid is UTC+2 in summer; English reads the medium date and a short time (CLDR).
    assert "Jul 1, 2026, 12:00\u202fPM" in response.text


def test_an_overlong_address_is_refused_not_cut(team):
    with refusal(DomainError, match="within 255") as refused:
        services.location_create(
            merchant=team.merchant, actor=team.owner, name="Far", address="x" * 256
        )
    assert refused.value.field == "address"


def test_opening_hours_are_kept_line_by_line(team, client_as):
    location = Location.objects.for_merchant(team.merchant).get()
    client = client_as(team.manager)
    response = client.post(
        reverse("core:location_edit", args=[location.pk]),
        {
            "name": location.name,
            "address": "Plaza 1",
            "opening_hours": "  Mon-Fri 8:00-20:00 \r\n\r\n Sat 9:00-14:00  ",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    location.refresh_from_db()
    assert location.opening_hours == "Mon-Fri 8:00-20:00\nSat 9:00-14:00"
    listing = client.get(reverse("core:location_list"))
    assert "Mon-Fri 8:00-20:00<br>Sat 9:00-14:00" in listing.text


def test_overlong_opening_hours_are_a_field_error_and_change_nothing(team, client_as):
    location = Location.objects.for_merchant(team.merchant).get()
    response = client_as(team.manager).post(
        reverse("core:location_edit", args=[location.pk]),
        {"name": "Renamed", "opening_hours": "x" * 301, "is_active": "on"},
    )
    assert response.status_code == 200
    assert "opening_hours" in response.context["form"].errors
    location.refresh_from_db()
    assert location.name != "Renamed"
