"""The API fuzzed from its own OpenAPI schema (schemathesis): whatever it is sent, no 5xx,
and every answer matches the schema it publishes."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from apps.core.api.keys import api_key_create
from apps.programs.points.services import points_adjust
from apps.programs.rewards.services import reward_create
from tests.members.factories import enroll
from tests.programs.factories import buy

# Loaded in process at collection (the schema view needs no database).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """In process, like Django's test client: the request signals must not close the
    test's database connection (its transaction holds the fixtures)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def key(team):
    """A write key for a merchant with a member, a purchase and a reward to find."""
    member = enroll(team, first_name="Lucía", phone="611 222 333", email="lucia@example.com")
    points_adjust(member=member, points=500, reason="fuzz", actor=team.manager)
    buy(team, member, 2500, external_id="order-1")
    reward_create(
        merchant=team.merchant,
        actor=team.manager,
        name="Free coffee",
        kind="free_product",
        product_name="Coffee",
        points_cost=40,
    )
    return api_key_create(merchant=team.merchant, actor=None, name="Fuzz", scope="write").key


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_its_contract_whatever_it_is_sent(case, key):
    # Not "schema-valid data is accepted": a well-formed request naming a member or a
    # purchase that does not exist is rightly refused (400/404).
    # A generated key stands in for ours; a case sent without one (testing that a missing
    # key is refused) must stay without.
    has_key = "Authorization" in (case.headers or {})
    case.call_and_validate(
        headers={"Authorization": f"Bearer {key}"} if has_key else {},
        excluded_checks=[positive_data_acceptance],
    )


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["", "bad host", "evil.example.com"])
def test_a_refused_host_header_gets_the_api_error_shape(client, host):
    # Found by the fuzzer: an empty `host` header made Django answer its HTML 400 page.
    response = client.get("/api/v1/", headers={"host": host})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "bad_request"


@pytest.mark.django_db
def test_a_refused_host_header_outside_the_api_stays_a_page(client):
    response = client.get("/members/", headers={"host": ""})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
