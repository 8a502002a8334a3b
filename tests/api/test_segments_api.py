"""The segments API: preview, save, list, read; bad rules are a 400 naming the bad path
and save nothing."""

import pytest

from apps.campaigns.models import Segment
from apps.core.models import AuditLog
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db

CONSENTING = {"field": "consent_email", "op": "is", "value": True}


@pytest.fixture
def members(team):
    return [
        enroll(team, first_name="Ana", email="ana@example.com", consent_email=True),
        enroll(team, first_name="Bea", email="bea@example.com", consent_email=True),
        enroll(team, first_name="Ciro"),
    ]


def test_preview_counts_the_members_the_rules_select(storefront, members):
    response = storefront.post("/api/v1/segments/preview/", {"rules": CONSENTING}, format="json")

    assert response.status_code == 200
    assert response.json() == {"member_count": 2}


def test_preview_of_everyone_and_of_nobody(storefront, members):
    everyone = storefront.post("/api/v1/segments/preview/", {"rules": {"all": []}}, format="json")
    nobody = storefront.post("/api/v1/segments/preview/", {"rules": {"any": []}}, format="json")

    assert everyone.json()["member_count"] == 3
    assert nobody.json()["member_count"] == 0


@pytest.mark.parametrize(
    ("rules", "path"),
    [
        ({"all": [CONSENTING, {"field": "password", "op": "is", "value": 1}]}, "all.1.field"),
        ({"field": "status", "op": "gte", "value": "active"}, "op"),
        ({"not": {"field": "points_balance", "op": "gte", "value": "100"}}, "not.value"),
        ({"field": "birthday_month", "op": "between", "value": [3, 13]}, "value.1"),
        ({"any": {"field": "has_email"}}, "any"),
        (
            {"all": [{"all": [{"all": [{"all": [{"all": [{"all": []}]}]}]}]}]},
            "all.0.all.0.all.0.all.0.all.0",
        ),
        ([], ""),
    ],
)
def test_bad_rules_answer_400_naming_the_path(storefront, members, rules, path):
    response = storefront.post("/api/v1/segments/preview/", {"rules": rules}, format="json")

    assert response.status_code == 400
    body = response.json()
    where = "rules" + (f".{path}" if path else "")
    assert body["code"] == "invalid_rules"
    assert list(body["errors"]) == [where]
    assert body["message"].startswith(f"{where}: ")


def test_saving_a_segment_answers_its_count_and_it_can_be_read_back(storefront, team, members):
    response = storefront.post(
        "/api/v1/segments/", {"name": "Email fans", "rules": CONSENTING}, format="json"
    )

    assert response.status_code == 201
    saved = response.json()
    assert saved["name"] == "Email fans"
    assert saved["rules"] == CONSENTING
    assert saved["member_count"] == 2
    segment = Segment.objects.get(pk=saved["id"], merchant=team.merchant)
    assert AuditLog.objects.filter(merchant=team.merchant, action="segment.created").count() == 1

    enroll(team, first_name="Dora", email="dora@example.com", consent_email=True)
    read = storefront.get(f"/api/v1/segments/{segment.pk}/")
    assert read.status_code == 200
    assert read.json()["member_count"] == 3  # evaluated when read, not frozen when saved
    listed = storefront.get("/api/v1/segments/").json()["results"]
    assert listed == [{"id": segment.pk, "name": "Email fans", "rules": CONSENTING}]


def test_bad_rules_save_nothing(storefront, team, members):
    response = storefront.post(
        "/api/v1/segments/",
        {"name": "Broken", "rules": {"all": [{"field": "tier", "op": "is", "value": 999999}]}},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"rules.all.0.value": [response.json()["message"]]}
    assert not Segment.objects.filter(merchant=team.merchant).exists()


def test_a_name_taken_in_any_case_is_a_409(storefront, team, members):
    storefront.post("/api/v1/segments/", {"name": "VIP", "rules": {"all": []}}, format="json")

    again = storefront.post(
        "/api/v1/segments/", {"name": " vip ", "rules": {"all": []}}, format="json"
    )

    assert again.status_code == 409
    assert again.json()["code"] == "name_taken"
    assert Segment.objects.filter(merchant=team.merchant).count() == 1


def test_a_read_only_key_may_read_but_not_save(reader, members):
    assert reader.get("/api/v1/segments/").status_code == 200
    response = reader.post("/api/v1/segments/", {"name": "X", "rules": {"all": []}}, format="json")
    assert response.status_code == 403
