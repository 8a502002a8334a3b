import json

import pytest
from django.urls import reverse

from apps.core.middleware import LOCATION_SESSION_KEY
from apps.members.models import Channel, EventKind, Member
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db


def test_the_counter_searches_as_you_type_with_htmx(team, client_as):
    lucia = enroll(team, first_name="Lucía", phone="600123456")
    client = client_as(team.staff)
    response = client.get(
        reverse("members:counter"),
        {"q": "600 12 34 56"},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="results"')
    assert "<html" not in response.text
    assert lucia.card_code_display in response.text
    assert reverse("members:detail", args=[lucia.public_id]) in response.text


def test_the_counter_search_works_without_javascript(team, client_as):
    enroll(team, first_name="Lucía", phone="600123456")
    response = client_as(team.staff).get(reverse("members:counter"), {"q": "lucia"})
    assert "<html" in response.text
    assert "Lucía" in response.text


def test_nobody_found_invites_to_enroll(team, client_as):
    response = client_as(team.staff).get(reverse("members:counter"), {"q": "zzz"})
    assert "Nobody found" in response.text


def test_enrolling_at_the_counter_records_the_location_and_shows_the_card(team, client_as):
    client = client_as(team.staff)
    session = client.session
    session[LOCATION_SESSION_KEY] = team.merchant_location.pk
    session.save()

    response = client.post(
        reverse("members:enroll"),
        {"first_name": "Ana", "phone": "622 000 111", "consent_email": "on"},
    )

    member = Member.objects.get()
    assert response["Location"] == reverse("members:card", args=[member.public_id])
    assert (member.channel, member.location, member.enrolled_by) == (
        Channel.COUNTER,
        team.merchant_location,
        team.staff,
    )
    assert member.consent_email
    assert not member.consent_sms
    card = client.get(response["Location"])
    assert "<svg" in card.text
    assert member.card_code_display in card.text


def test_a_duplicate_at_the_counter_links_to_the_existing_member(team, client_as):
    existing = enroll(team, first_name="Lucía", phone="600123456")
    response = client_as(team.staff).post(
        reverse("members:enroll"), {"first_name": "Lucia", "phone": "+34600123456"}
    )
    assert response.status_code == 400
    assert "already has this phone number" in response.text
    assert reverse("members:detail", args=[existing.public_id]) in response.text
    assert Member.objects.count() == 1


def test_bad_counter_input_is_a_field_error_and_creates_nothing(team, client_as):
    response = client_as(team.staff).post(
        reverse("members:enroll"), {"first_name": "", "phone": "12", "email": "nope"}
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "first_name" in errors
    assert not Member.objects.exists()
    response = client_as(team.staff).post(
        reverse("members:enroll"), {"first_name": "Ana", "phone": "12"}
    )
    assert "not a valid phone number" in response.context["form"].errors["phone"][0]


def test_the_counter_enrolls_in_a_language_or_the_shops(team, client_as):
    client = client_as(team.staff)
    page = client.get(reverse("members:counter"))
    assert "Shop&#x27;s language" in page.text
    assert '<option value="ro">Română</option>' in page.text

    client.post(
        reverse("members:enroll"), {"first_name": "Ioana", "phone": "622 000 111", "language": "ro"}
    )
    client.post(
        reverse("members:enroll"), {"first_name": "Ana", "phone": "622 000 222", "language": ""}
    )
    refused = client.post(
        reverse("members:enroll"), {"first_name": "Zoé", "phone": "622 000 333", "language": "fr"}
    )

    assert Member.objects.get(first_name="Ioana").language == "ro"
    assert Member.objects.get(first_name="Ana").language == ""
    assert refused.status_code == 400
    assert "language" in refused.context["form"].errors
    assert not Member.objects.filter(first_name="Zoé").exists()


def test_the_member_page_shows_profile_and_timeline_newest_first(team, client_as):
    member = enroll(team, first_name="Lucía", phone="600123456", consent_sms=True)
    client = client_as(team.staff)
    client.post(reverse("members:note", args=[member.public_id]), {"text": "Prefers oat milk"})

    response = client.get(reverse("members:detail", args=[member.public_id]))

    events = [event.kind for event in response.context["page"].object_list]
    assert events[0] == EventKind.NOTE
    assert EventKind.ENROLLED in events
    assert "Prefers oat milk" in response.text
    assert "+34 600 12 34 56" in response.text


def test_staff_edit_a_member_and_bad_input_changes_nothing(team, client_as):
    member = enroll(team, first_name="Lucía", phone="600123456")
    client = client_as(team.staff)
    url = reverse("members:edit", args=[member.public_id])
    bad = client.post(url, {"first_name": "Lucía", "phone": "1", "email": ""})
    assert "phone" in bad.context["form"].errors
    good = client.post(
        url, {"first_name": "Lucía", "last_name": "Ruiz", "phone": "600123456", "tags": "vip, vip"}
    )
    assert good.status_code == 302
    member.refresh_from_db()
    assert member.last_name == "Ruiz"
    assert list(member.tags.values_list("name", flat=True)) == ["vip"]


def test_the_member_list_filters_and_sorts(team, client_as):
    vip = enroll(team, first_name="Zoe", consent_email=True, tags=["vip"])
    enroll(team, first_name="Abel")
    client = client_as(team.manager)

    names = lambda response: [m.first_name for m in response.context["page"].object_list]  # noqa: E731
    assert names(client.get(reverse("members:list"))) == ["Abel", "Zoe"]  # newest first
    assert names(client.get(reverse("members:list"), {"sort": "search_name"})) == ["Abel", "Zoe"]
    assert names(client.get(reverse("members:list"), {"sort": "-search_name"})) == ["Zoe", "Abel"]
    assert names(client.get(reverse("members:list"), {"consent": "email"})) == ["Zoe"]
    tag = vip.tags.get()
    assert names(client.get(reverse("members:list"), {"tag": tag.pk})) == ["Zoe"]
    assert names(client.get(reverse("members:list"), {"q": "abe"})) == ["Abel"]
    bad = client.get(reverse("members:list"), {"enrolled_from": "yesterday"})
    assert bad.status_code == 200
    assert "Check the filters" in bad.text


def test_the_member_list_pages_without_counting(team, client_as, django_assert_max_num_queries):
    for n in range(55):
        enroll(team, first_name=f"M{n:02d}")
    client = client_as(team.manager)
    first = client.get(reverse("members:list"))
    assert len(first.context["page"].object_list) == 50
    assert first.context["page"].has_next
    second = client.get(reverse("members:list"), {"page": 2})
    assert len(second.context["page"].object_list) == 5
    assert not second.context["page"].has_next
    assert client.get(reverse("members:list"), {"page": "x"}).status_code == 200


def test_managers_export_everything_held_about_a_member(team, client_as):
    member = enroll(team, first_name="Lucía", phone="600123456", email="l@example.com")
    response = client_as(team.manager).get(reverse("members:export_json", args=[member.public_id]))
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["member"]["email"] == "l@example.com"
    assert data["member"]["phone"] == "+34600123456"
    assert data["timeline"][0]["kind"] == EventKind.ENROLLED


def test_filtering_by_inactivity_lists_the_longest_inactive_first(team, client_as):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    for name, days in (("Recent", 400), ("Oldest", 900), ("Middle", 600), ("Active", 3)):
        member = enroll(team, first_name=name)
        Member.objects.filter(pk=member.pk).update(last_activity_at=now - timedelta(days=days))
    response = client_as(team.manager).get(
        reverse("members:list"), {"inactive_days": 365, "sort": ""}
    )
    names = [member.first_name for member in response.context["page"].object_list]
    assert names == ["Oldest", "Middle", "Recent"]
