"""A read replica takes the reads that may lag (analytics cards, member exports) and
nothing else: every write, every read in a transaction, every other page stays on the
primary. The replica here is a second connection to the test database, by a role that
may only read on PostgreSQL, so a write sent to it would fail."""

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.analytics.cards import KPI_CARDS
from apps.core.replica import ReplicaRouter, reads_may_lag
from apps.members.csv_export import export_create
from apps.members.models import ExportStatus, Member, MemberExport
from tests.analytics.factories import refresh
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


READER = "fideliza_replica_reader"


@pytest.fixture
def replica(settings):
    """The second connection logs in as a role that reads only, as a standby would take
    it: a role's setting, not a session's, so that behind a pooler in transaction mode
    (tests/core/test_pgbouncer.py) it cannot stay on a server connection others reuse."""
    settings.READ_REPLICA = "replica"
    replica = connections["replica"]
    replica.close()
    user = replica.settings_dict["USER"]
    if replica.vendor == "postgresql":
        _read_only_role()
        replica.settings_dict["USER"] = READER
    try:
        yield replica
    finally:
        replica.close()
        replica.settings_dict["USER"] = user


def _read_only_role() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            f"DO $$ BEGIN CREATE ROLE {READER} LOGIN;"
            " EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
        cursor.execute(f"ALTER ROLE {READER} SET default_transaction_read_only = on")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {READER}")
        cursor.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READER}")


def _selects(queries, table: str) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith("SELECT") and table in q["sql"]]


def _writes(queries) -> list[str]:
    verbs = ("INSERT", "UPDATE", "DELETE")
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(verbs)]


@pytest.fixture
def shop(team):
    for number in range(3):
        buy(team, enroll(team, first_name=f"M{number}"), 1000 + number)
    refresh()


def test_without_a_replica_the_router_sends_nothing_anywhere(team):
    router = ReplicaRouter()
    with reads_may_lag():
        assert router.db_for_read(Member) is None
    assert router.db_for_write(Member) is None


def test_every_card_reads_on_the_replica_and_the_page_around_it_on_the_primary(
    team, shop, replica, client_as
):
    client = client_as(team.manager)
    for name in KPI_CARDS:
        with (
            CaptureQueriesContext(connections["default"]) as primary,
            CaptureQueriesContext(replica) as lagging,
        ):
            response = client.get(reverse("analytics:card", args=[name]))
        assert response.status_code == 200, name
        assert lagging.captured_queries, name
        assert not _selects(primary.captured_queries, "analytics_"), name
        assert not _writes(lagging.captured_queries), name
        # The session, the user and the merchant of the request: read where writes go.
        assert _selects(primary.captured_queries, "core_merchant"), name


def test_the_revenue_card_shows_what_the_replica_holds(team, shop, replica, client_as):
    card = client_as(team.manager).get(reverse("analytics:card", args=["revenue"]))
    assert "30,03\xa0€" in card.text  # 10 + 10.01 + 10.02, read through the second connection


def test_a_read_inside_a_transaction_stays_on_the_primary(team, replica):
    member = enroll(team, first_name="Ana")
    with CaptureQueriesContext(replica) as lagging, reads_may_lag():
        with transaction.atomic():
            assert Member.objects.get(pk=member.pk).first_name == "Ana"
        assert Member.objects.get(pk=member.pk).first_name == "Ana"
    assert len(_selects(lagging.captured_queries, "members_member")) == 1


def test_a_row_read_on_the_replica_is_saved_on_the_primary(team, replica):
    member = enroll(team, first_name="Ana")
    with reads_may_lag():
        read = Member.objects.get(pk=member.pk)
    assert read._state.db == "replica"
    read.first_name = "Ana María"
    read.save(update_fields=["first_name"])  # the replica is read-only: this would fail there
    assert Member.objects.using("default").get(pk=member.pk).first_name == "Ana María"
    # Outside the block, a relation of that row is followed on the primary.
    with CaptureQueriesContext(replica) as lagging:
        assert read.merchant == team.merchant
    assert not lagging.captured_queries


def test_a_member_export_reads_its_members_on_the_replica(team, replica):
    for number in range(3):
        enroll(team, first_name=f"M{number}")
    with CaptureQueriesContext(replica) as lagging:  # the task runs at once, as eager
        export = export_create(merchant=team.merchant, actor=team.manager)
    export = MemberExport.objects.get(pk=export.pk)
    assert (export.status, export.rows_done) == (ExportStatus.DONE, 3)
    assert _selects(lagging.captured_queries, "members_member")
    assert not _writes(lagging.captured_queries)
