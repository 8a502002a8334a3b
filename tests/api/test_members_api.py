"""POST/GET/PATCH members through the API: the counter's rules, one error shape."""

import pytest

from apps.members.models import Member, Tag
from apps.programs.points.services import points_adjust
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db


def test_enroll_answers_the_member_and_a_retry_with_the_external_id_the_same(team, storefront):
    body = {
        "first_name": "Lucía",
        "phone": "611 222 333",
        "email": "Lucia@Example.com",
        "marketing_consent": True,
        "external_id": "shop-42",
    }

    first = storefront.post("/api/v1/members/", body, format="json")
    again = storefront.post("/api/v1/members/", body, format="json")

    assert first.status_code == 201
    member = first.json()
    assert member["id"].startswith("mbr_")
    assert (member["phone"], member["email"]) == ("+34611222333", "lucia@example.com")
    assert member["consent_email"]
    assert member["consent_sms"]
    assert member["channel"] == "api"
    assert member["points_balance"] == 0
    assert again.status_code == 200
    assert again.json()["id"] == member["id"]
    assert Member.objects.for_merchant(team.merchant).count() == 1


def test_a_duplicate_phone_is_409_with_the_existing_members_id(team, storefront):
    lucia = enroll(team, first_name="Lucía", phone="611 222 333")

    response = storefront.post(
        "/api/v1/members/", {"first_name": "Other", "phone": "+34 611-222-333"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_member"
    assert response.json()["member"] == lucia.public_id
    assert response.json()["errors"].keys() == {"phone"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "611 222 333"}, "first_name"),
        ({"first_name": "Ana", "phone": "12"}, "phone"),
        ({"first_name": "Ana", "email": "not-an-email"}, "email"),
        ({"first_name": "Ana"}, "phone"),
        ({"first_name": "Ana", "phone": "611 222 333", "birthday": "2999-01-01"}, "birthday"),
        ({"first_name": "A" * 81, "phone": "611 222 333"}, "first_name"),
    ],
)
def test_bad_enrollments_are_400_on_the_field_and_create_nothing(team, storefront, body, field):
    response = storefront.post("/api/v1/members/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Member.objects.exists()


def test_lookup_finds_any_spelling_of_the_phone_and_any_case_of_the_email(team, storefront):
    lucia = enroll(team, first_name="Lucía", phone="611 222 333", email="lucia@example.com")
    enroll(team, first_name="Pablo", phone="611 222 444")

    by_phone = storefront.get("/api/v1/members/", {"phone": "0034 611-22-23-33"}).json()
    by_email = storefront.get("/api/v1/members/", {"email": "LUCIA@example.com"}).json()
    by_card = storefront.get("/api/v1/members/", {"card_code": lucia.card_code.lower()}).json()
    nobody = storefront.get("/api/v1/members/", {"email": "no@example.com"}).json()

    assert [m["id"] for m in by_phone["results"]] == [lucia.public_id]
    assert [m["id"] for m in by_email["results"]] == [lucia.public_id]
    assert [m["id"] for m in by_card["results"]] == [lucia.public_id]
    assert nobody["results"] == []


def test_lookup_without_criteria_or_with_a_bad_phone_is_400(storefront):
    assert storefront.get("/api/v1/members/").status_code == 400
    response = storefront.get("/api/v1/members/", {"phone": "abc"})
    assert response.status_code == 400
    assert "phone" in response.json()["errors"]


def test_a_member_shows_its_points_and_another_merchants_is_404(
    team, other_team, storefront, other_storefront
):
    lucia = enroll(team, first_name="Lucía", phone="611 222 333")
    points_adjust(member=lucia, points=120, reason="welcome", actor=team.manager)

    mine = storefront.get(f"/api/v1/members/{lucia.public_id}/")
    theirs = other_storefront.get(f"/api/v1/members/{lucia.public_id}/")

    assert mine.status_code == 200
    assert mine.json()["points_balance"] == 120
    assert theirs.status_code == 404
    assert theirs.json()["code"] == "not_found"
    assert (
        other_storefront.patch(
            f"/api/v1/members/{lucia.public_id}/", {"first_name": "X"}, format="json"
        ).status_code
        == 404
    )
    assert Member.objects.get(pk=lucia.pk).first_name == "Lucía"


def test_patch_changes_what_is_given_and_refuses_bad_values(team, storefront):
    lucia = enroll(team, first_name="Lucía", phone="611 222 333")
    url = f"/api/v1/members/{lucia.public_id}/"

    changed = storefront.patch(url, {"last_name": "Núñez", "consent_email": True}, format="json")
    refused = storefront.patch(url, {"email": "nope"}, format="json")

    assert changed.status_code == 200
    assert (changed.json()["last_name"], changed.json()["consent_email"]) == ("Núñez", True)
    assert changed.json()["phone"] == "+34611222333"
    assert refused.status_code == 400
    assert "email" in refused.json()["errors"]
    assert Member.objects.get(pk=lucia.pk).email is None


def test_a_read_only_key_reads_but_cannot_enroll(team, reader):
    enroll(team, first_name="Lucía", phone="611 222 333")

    assert reader.get("/api/v1/members/", {"phone": "611222333"}).status_code == 200
    refused = reader.post("/api/v1/members/", {"first_name": "A", "phone": "611"}, format="json")
    assert refused.status_code == 403
    assert Member.objects.count() == 1


def test_a_path_that_names_no_route_is_a_json_404(team):
    from tests.api.conftest import key_client

    storefront = key_client(team)
    storefront.handler.enforce_csrf_checks = True  # as a real client: no CSRF token
    for path in ("/api/v1/nothing/", "/api/v1/purchases/a%0Ab/refunds/"):
        response = storefront.post(path, {}, format="json")

        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_enroll_takes_the_members_language_and_refuses_one_fideliza_does_not_speak(
    team, storefront
):
    romanian = storefront.post(
        "/api/v1/members/",
        {"first_name": "Ioana", "phone": "611 222 333", "language": "ro"},
        format="json",
    )
    french = storefront.post(
        "/api/v1/members/",
        {"first_name": "Zoé", "phone": "611 222 444", "language": "fr"},
        format="json",
    )
    unsaid = storefront.post(
        "/api/v1/members/", {"first_name": "Ana", "phone": "611 222 555"}, format="json"
    )

    assert romanian.status_code == 201
    assert romanian.json()["language"] == "ro"
    assert Member.objects.get(public_id=romanian.json()["id"]).language == "ro"
    assert french.status_code == 400
    assert french.json()["errors"].keys() == {"language"}
    assert not Member.objects.filter(first_name="Zoé").exists()
    assert unsaid.status_code == 201
    assert unsaid.json()["language"] == ""  # the merchant's


@pytest.mark.parametrize("language", ["fr", "xx", 5, None, ["es"]])
def test_patch_refuses_a_language_fideliza_does_not_speak_and_changes_nothing(
    team, storefront, language
):
    lucia = enroll(team, first_name="Lucía", phone="611 222 333", language="es")

    response = storefront.patch(
        f"/api/v1/members/{lucia.public_id}/",
        {"language": language, "last_name": "Núñez"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"].keys() == {"language"}
    lucia.refresh_from_db()
    assert (lucia.language, lucia.last_name) == ("es", "García")


def test_patch_changes_the_language_and_empty_means_the_merchants(team, storefront):
    lucia = enroll(team, first_name="Lucía", phone="611 222 333", language="es")
    url = f"/api/v1/members/{lucia.public_id}/"

    english = storefront.patch(url, {"language": "en"}, format="json")
    assert english.status_code == 200
    assert english.json()["language"] == "en"
    assert Member.objects.get(pk=lucia.pk).language == "en"

    cleared = storefront.patch(url, {"language": ""}, format="json")
    assert cleared.status_code == 200
    assert cleared.json()["language"] == ""
    assert Member.objects.get(pk=lucia.pk).language == ""


def test_tags_are_made_on_first_use_one_per_name_whatever_its_case(team, other_team, storefront):
    Tag.objects.create(merchant=other_team.merchant, name="VIP")  # another shop's: not ours
    body = {"first_name": "Ana", "phone": "611 222 334", "tags": ["VIP", " vip ", "Café  solo"]}

    created = storefront.post("/api/v1/members/", body, format="json")

    assert created.status_code == 201
    assert created.json()["tags"] == ["Café solo", "VIP"]
    assert Tag.objects.for_merchant(team.merchant).count() == 2
    member = Member.objects.get(public_id=created.json()["id"])
    url = f"/api/v1/members/{member.public_id}/"
    kept = storefront.patch(url, {"last_name": "Ruiz"}, format="json")
    assert kept.json()["tags"] == ["Café solo", "VIP"]  # left out: unchanged
    replaced = storefront.patch(url, {"tags": ["café SOLO", "Nuevo"]}, format="json")
    assert replaced.json()["tags"] == ["Café solo", "Nuevo"]  # the existing tag, kept as named
    assert storefront.get(url).json()["tags"] == ["Café solo", "Nuevo"]


@pytest.mark.parametrize(
    "tags",
    ["VIP", [1, 2], ["x" * 41], [f"t{n}" for n in range(21)], [None], {"name": "VIP"}],
)
def test_bad_tags_are_400_on_the_field_and_change_nothing(team, storefront, tags):
    lucia = enroll(team, first_name="Lucía", phone="611 222 333", tags=["Old"])

    enrolled = storefront.post(
        "/api/v1/members/",
        {"first_name": "Ana", "phone": "611 222 335", "tags": tags},
        format="json",
    )
    patched = storefront.patch(f"/api/v1/members/{lucia.public_id}/", {"tags": tags}, format="json")

    for response in (enrolled, patched):
        assert response.status_code == 400
        assert "tags" in response.json()["errors"] or any(
            key.startswith("tags.") for key in response.json()["errors"]
        )
    assert Member.objects.for_merchant(team.merchant).count() == 1
    assert [tag.name for tag in Member.objects.get(pk=lucia.pk).tags.all()] == ["Old"]
