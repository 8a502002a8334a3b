"""A database that refuses connections (a restart, a failover) is answered 503 with
`Retry-After`, never 500, over real HTTP: in the API (JSON in the error shape) and on a
dashboard page (whose session is read before any view). Sent again, the request gets its
real answer, and the purchase exists once."""

import json
import sqlite3
import urllib.error
import urllib.request
from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection
from django.db import utils as db_utils

from apps.core.api.keys import api_key_create
from apps.core.outage import is_database_outage
from apps.programs.models import Purchase
from tests.conftest import make_team
from tests.members.factories import enroll

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _admin(params: dict) -> psycopg.Connection:
    keys = ("host", "port", "user", "password")
    return psycopg.connect(
        **{k: v for k, v in params.items() if k in keys}, dbname="postgres", autocommit=True
    )


@contextmanager
def database_refusing_connections():
    """What a restart looks like from the app: new connections are refused (here the
    database stops allowing them; the test's own stays open)."""
    name = connection.settings_dict["NAME"]
    with _admin(connection.get_connection_params()) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            yield
        finally:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


def send(request: urllib.request.Request) -> tuple[int, dict, str]:
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_a_dropped_database_connection_is_a_503_to_retry_and_the_retry_records_once(
    live_server,
):
    team = make_team()
    member = enroll(team, first_name="Lucía")
    key = api_key_create(merchant=team.merchant, actor=None, name="Shop", scope="write").key
    body = {"member": member.public_id, "external_id": "order-1", "amount": 2500, "currency": "EUR"}

    def purchase() -> urllib.request.Request:
        return urllib.request.Request(
            f"{live_server.url}/api/v1/purchases/",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            method="POST",
        )

    assert send(purchase())[0] == 201
    body["external_id"] = "order-2"
    with database_refusing_connections():
        status, headers, text = send(purchase())

    assert status == 503, text
    assert headers["Retry-After"] == "5"
    assert json.loads(text)["code"] == "service_unavailable"
    retried = send(purchase())
    assert retried[0] == 201, retried
    assert send(purchase())[0] == 200  # and again: the same purchase, answered again
    assert Purchase.objects.filter(external_id="order-2").count() == 1


def test_a_dashboard_page_whose_session_cannot_be_read_is_a_503_page(live_server, client):
    team = make_team()
    client.force_login(team.owner)
    cookie = client.cookies["sessionid"].value
    page = urllib.request.Request(f"{live_server.url}/", headers={"Cookie": f"sessionid={cookie}"})
    assert send(page)[0] == 200
    with database_refusing_connections():
        status, headers, text = send(page)

    assert status == 503
    assert headers["Retry-After"] == "5"
    assert "Back in a moment" in text
    assert send(page)[0] == 200


@pytest.mark.parametrize(
    ("cause", "outage"),
    [
        (psycopg.OperationalError("connection refused"), True),  # no SQLSTATE
        (psycopg.errors.AdminShutdown("terminating connection"), True),
        (psycopg.errors.CannotConnectNow("the database system is starting up"), True),
        (psycopg.errors.TooManyConnections("too many clients"), True),
        (psycopg.errors.ReadOnlySqlTransaction("read-only"), True),
        (psycopg.errors.DeadlockDetected("deadlock"), True),
        (psycopg.errors.UndefinedTable("no such relation"), False),  # a bug: stays a 500
        (psycopg.errors.ProgramLimitExceeded("index row too big"), False),
        (psycopg.errors.DiskFull("no space left"), False),
    ],
)
def test_only_what_a_retry_can_get_past_is_an_outage(cause, outage):
    error = db_utils.OperationalError(str(cause))
    error.__cause__ = cause  # as Django's wrapper raises it

    assert is_database_outage(error) is outage


def test_errors_of_the_request_or_the_code_are_never_an_outage():
    for django_class in (db_utils.IntegrityError, db_utils.ProgrammingError, db_utils.DataError):
        error = django_class("refused")
        error.__cause__ = psycopg.OperationalError("no SQLSTATE")
        assert not is_database_outage(error)
    locked = db_utils.OperationalError("database is locked")
    locked.__cause__ = sqlite3.OperationalError("database is locked")
    missing = db_utils.OperationalError("no such table: x")
    missing.__cause__ = sqlite3.OperationalError("no such table: x")
    assert is_database_outage(locked)
    assert not is_database_outage(missing)
