"""Liveness, health and readiness for load balancers and orchestrators: `/livez/` touches
nothing, `/readyz/` needs the database and the schema (else 503 with Retry-After) and
reports the cache and the broker without failing for them."""

from unittest import mock

import pytest
from django.db.migrations.executor import MigrationExecutor

from apps.core import health
from tests.celery_worker import broker_down

pytestmark = pytest.mark.django_db

DEAD_CACHE = {
    "default": {
        "BACKEND": "apps.core.cache.FaultTolerantRedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",
        "OPTIONS": {"socket_connect_timeout": 1},
    }
}


@pytest.fixture(autouse=True)
def _schema_asked_again():
    health._schema.applied = False
    yield
    health._schema.applied = False


def test_liveness_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/livez/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_when_the_database_cache_schema_and_broker_answer(client):
    response = client.get("/readyz/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {
        "database": "ok",
        "cache": "ok",
        "migrations": "ok",
        "broker": "ok",
    }
    assert body["outbox_waiting"] == 0


def test_without_the_cache_it_is_degraded_and_requests_still_go(client, settings, team):
    from apps.core import cache as tolerant

    settings.CACHES = DEAD_CACHE
    tolerant.outage.end()
    try:
        response = client.get("/readyz/")
        client.force_login(team.owner)
        page = client.get("/")  # a page whose session and settings reads meet no cache
    finally:
        tolerant.outage.end()

    assert response.status_code == 200
    assert response.json()["checks"]["cache"] == "unreachable"
    assert response.json()["status"] == "degraded"
    assert page.status_code == 200


def test_with_migrations_not_applied_it_is_not_ready(client):
    with mock.patch.object(MigrationExecutor, "migration_plan", return_value=[("x", False)]):
        response = client.get("/readyz/")

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert response.json()["checks"]["migrations"] == "pending"
    assert response.json()["status"] == "unavailable"


def test_a_broker_outage_is_reported_but_the_app_stays_ready(client):
    with broker_down():
        response = client.get("/readyz/")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["broker"] == "unreachable"
