"""Idempotency-Key on API POSTs: one effect, the first answer replayed, clear refusals."""

from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from rest_framework.test import APIClient

from apps.core.api.idempotency import idempotency_records_purge
from apps.core.api.keys import api_key_create
from apps.core.api.models import IdempotencyRecord
from apps.core.models import Location

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.idempotency_urls")]
URL = "/api/v1/test/locations/"


@pytest.fixture
def storefront(team):
    issued = api_key_create(merchant=team.merchant, actor=team.owner, name="Shop", scope="write")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.key}")
    return client


def add(client, name: str, key: str | None = "order-1"):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(URL, {"name": name}, format="json", headers=headers)


def locations(team) -> int:
    return Location.objects.for_merchant(team.merchant).count()


def test_a_retry_with_the_same_key_replays_the_first_answer(team, storefront):
    before = locations(team)

    first = add(storefront, "Kiosk")
    again = add(storefront, "Kiosk")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert locations(team) == before + 1


def test_the_same_key_with_another_body_is_422_and_changes_nothing(team, storefront):
    add(storefront, "Kiosk")
    before = locations(team)

    response = add(storefront, "Other kiosk")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert response.json()["errors"] == {"Idempotency-Key": [response.json()["message"]]}
    assert locations(team) == before


def test_without_a_key_every_post_acts(team, storefront):
    before = locations(team)

    add(storefront, "Kiosk A", key=None)
    add(storefront, "Kiosk B", key=None)

    assert locations(team) == before + 2


def test_a_refusal_is_not_stored_so_the_key_can_be_retried(team, storefront):
    refused = add(storefront, "")
    assert refused.status_code == 400
    assert refused.json()["errors"].keys() == {"name"}
    assert not IdempotencyRecord.objects.exists()

    fixed = add(storefront, "Kiosk")

    assert fixed.status_code == 201


def test_keys_belong_to_their_merchant(team, other_team, storefront):
    issued = api_key_create(
        merchant=other_team.merchant, actor=other_team.owner, name="Shop", scope="write"
    )
    theirs = APIClient()
    theirs.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.key}")

    mine = add(storefront, "Kiosk")
    other = add(theirs, "Kiosk")

    assert other.status_code == 201
    assert other.json()["id"] != mine.json()["id"]
    assert "Idempotent-Replayed" not in other


def test_an_overlong_key_is_a_400(storefront):
    response = add(storefront, "Kiosk", key="k" * 256)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]


def test_old_records_are_purged(team, storefront, settings):
    settings.IDEMPOTENCY_KEEP_HOURS = 48
    add(storefront, "Kiosk")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=49))
    add(storefront, "Kiosk B", key="order-2")

    assert idempotency_records_purge() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["order-2"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_twin_of_a_request_still_running_gets_409(team, storefront):
    """Another connection holds the key's lock, as a first request still at work would."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                [f"idempotency:{team.merchant.pk}:order-1"],
            )
            before = locations(team)

            response = add(storefront, "Kiosk")

            assert response.status_code == 409
            assert response.json()["code"] == "idempotency_key_in_use"
            assert locations(team) == before
            cursor.execute("ROLLBACK")
        assert add(storefront, "Kiosk").status_code == 201
    finally:
        other.close()
