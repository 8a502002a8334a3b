"""An automation's SMS queued just before its quiet hours, whose send is late (its task
lost, or a backlog), waits them out: neither the late task nor the sweeper sends it in
them, and the sweeper sends it once they end, once."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.campaigns.automations import processing
from apps.campaigns.automations.editing import automation_enable
from apps.campaigns.models import Automation, AutomationKind, CampaignChannel
from apps.messaging.models import Delivery, State
from apps.messaging.services import deliveries_sweep, delivery_send
from apps.messaging.sms import outbox as sms_outbox
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")
EVENING = datetime(2026, 6, 10, 20, 58, tzinfo=MADRID)  # the quiet hours start at 21:00


@pytest.fixture
def clock(monkeypatch):
    moment = {"now": EVENING}
    monkeypatch.setattr(timezone, "now", lambda: moment["now"])
    return moment


@pytest.fixture
def queued_sms(team, clock, monkeypatch, django_capture_on_commit_callbacks):
    """The thanks for a first purchase, by SMS, queued at 20:58; its task never ran."""
    automation = automation_enable(
        merchant=team.merchant, kind=AutomationKind.FIRST_PURCHASE, actor=team.manager
    )
    Automation.objects.filter(pk=automation.pk).update(channel=CampaignChannel.SMS)
    ana = enroll(team, first_name="Ana", phone="611 000 777", consent_sms=True, language="es")
    with monkeypatch.context() as lost:
        lost.setattr(processing, "send_later", lambda *, delivery_id: None)
        with django_capture_on_commit_callbacks(execute=True):
            buy(team, ana, 1250)
    [delivery] = Delivery.objects.filter(member=ana, source=automation.source)
    assert (delivery.channel, delivery.state) == ("sms", State.QUEUED)
    return delivery


def test_a_late_send_in_the_quiet_hours_leaves_the_sms_queued(queued_sms, clock):
    clock["now"] = EVENING + timedelta(minutes=5)

    assert delivery_send(delivery_id=queued_sms.pk) == State.QUEUED
    assert sms_outbox == []
    assert Delivery.objects.get(pk=queued_sms.pk).state == State.QUEUED


def test_the_sweeper_holds_it_through_the_night_and_sends_it_once_after(
    queued_sms, clock, django_capture_on_commit_callbacks
):
    for minutes in (30, 6 * 60):  # 21:28, 02:58
        clock["now"] = EVENING + timedelta(minutes=minutes)
        with django_capture_on_commit_callbacks(execute=True):
            swept = deliveries_sweep()
        assert (swept.held, swept.resent) == (1, 0)
        assert sms_outbox == []

    clock["now"] = datetime(2026, 6, 11, 9, 5, tzinfo=MADRID)
    with django_capture_on_commit_callbacks(execute=True):
        swept = deliveries_sweep()
    with django_capture_on_commit_callbacks(execute=True):
        again = deliveries_sweep(now=clock["now"] + timedelta(minutes=30))

    assert (swept.held, swept.resent) == (0, 1)
    assert (again.held, again.resent) == (0, 0)
    assert len(sms_outbox) == 1
    assert Delivery.objects.get(pk=queued_sms.pk).state == State.SENT


def test_a_message_sent_alone_reads_its_automation_once(queued_sms, clock):
    """Its hold, its offer and its text all need the automation's row."""
    clock["now"] = datetime(2026, 6, 11, 9, 5, tzinfo=MADRID)
    with CaptureQueriesContext(connection) as queries:
        assert delivery_send(delivery_id=queued_sms.pk) == State.SENT
    reads = [q for q in queries.captured_queries if 'FROM "campaigns_automation"' in q["sql"]]
    assert len(reads) == 1
    assert len(sms_outbox) == 1
