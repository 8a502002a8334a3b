"""A broker outage never fails a write: over real HTTP, with the broker down, a purchase
that queues tasks (its webhook, an automation) answers 201 at once and is recorded once;
the warning is logged, the readiness check says so, and once the broker is back the
sweeper sends what was never queued."""

import json
import logging
import re
import time
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.campaigns.automations.editing import automation_enable
from apps.campaigns.models import AutomationKind, AutomationOccurrence
from apps.core.api.keys import api_key_create
from apps.core.broker import held_tasks_requeue
from apps.core.models import HeldTask, Invitation, Role, hash_token
from apps.core.notifications import invitations_unsent_send
from apps.core.services import invitation_create
from apps.core.webhooks.models import DeliveryStatus, WebhookDelivery
from apps.core.webhooks.services import deliveries_retry_due, endpoint_create
from apps.programs.models import Purchase
from tests.celery_worker import broker_down, worker_recording_runs
from tests.conftest import make_team
from tests.core.test_webhooks import Receiver
from tests.members.factories import enroll
from tests.waiting import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def post_purchase(url: str, key: str, body: dict) -> tuple[int, float]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status, time.monotonic() - started


def test_with_the_broker_down_a_purchase_answers_201_at_once_and_is_swept_later(
    live_server, caplog
):
    team = make_team()
    receiver = Receiver()
    endpoint_create(
        merchant=team.merchant, actor=team.owner, url=receiver.url, events=["purchase.recorded"]
    )
    automation_enable(merchant=team.merchant, kind=AutomationKind.FIRST_PURCHASE, actor=None)
    buyers = [enroll(team, email=f"b{n}@example.com") for n in range(2)]
    key = api_key_create(merchant=team.merchant, actor=None, name="Shop", scope="write").key
    url = f"{live_server.url}/api/v1/purchases/"

    try:
        with broker_down(), caplog.at_level(logging.WARNING, logger="apps.core.broker"):
            answers = [
                post_purchase(
                    url,
                    key,
                    {
                        "member": buyer.public_id,
                        "external_id": f"order-{n}",
                        "amount": 2500,
                        "currency": "EUR",
                    },
                )
                for n, buyer in enumerate(buyers)
            ]
            ready = live_server_get(live_server.url + "/readyz/")

        assert [status for status, _seconds in answers] == [201, 201]
        assert max(seconds for _status, seconds in answers) < 2.0, answers
        assert Purchase.objects.count() == 2
        assert "Broker unreachable" in caplog.text
        assert ready["checks"]["broker"] == "unreachable"
        assert ready["status"] == "degraded"
        waiting = WebhookDelivery.objects.filter(event="purchase.recorded")
        assert waiting.count() == 2
        assert set(waiting.values_list("status", "attempts")) == {(DeliveryStatus.PENDING, 0)}
        assert receiver.requests == []
        # The occurrences were written with the purchases: the automations tick finds them.
        assert AutomationOccurrence.objects.filter(processed_at__isnull=True).count() == 2

        # The broker is back: the sweeper's next round sends each one, once.
        assert deliveries_retry_due(now=timezone.now()) == 0  # not a minute old yet
        assert deliveries_retry_due(now=timezone.now() + timedelta(minutes=2)) == 2
        assert deliveries_retry_due(now=timezone.now() + timedelta(minutes=3)) == 0
        assert len(receiver.requests) == 2
        assert set(waiting.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    finally:
        receiver.close()


def live_server_get(url: str) -> dict:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read())


@pytest.mark.redis
def test_a_task_no_sweeper_runs_is_held_and_queued_again_once_the_broker_is_back(caplog):
    from apps.members.tasks import member_export_run

    with broker_down(), caplog.at_level(logging.WARNING, logger="apps.core.broker"):
        assert member_export_run.delay(12345, language="es") is None
        held = HeldTask.objects.get()
        assert held_tasks_requeue() == 0  # still down: it stays held (held again)
    assert (held.name, held.args, held.kwargs) == (
        "apps.members.tasks.member_export_run",
        [12345],
        {"language": "es"},
    )
    assert "member_export_run held in the database" in caplog.text

    with worker_recording_runs("held") as (_queue, runs):
        assert held_tasks_requeue() == 1
        wait_for(lambda: runs, message="the held task to run on the worker")

    assert [(name, args) for name, args, *_rest in runs] == [
        ("apps.members.tasks.member_export_run", (12345,))
    ]
    assert not HeldTask.objects.exists()
    assert held_tasks_requeue() == 0  # queued once


def test_an_invitation_never_emailed_gets_a_new_link_from_its_sweeper(team, inbox, caplog):
    with broker_down(), caplog.at_level(logging.WARNING, logger="apps.core.broker"):
        issued = invitation_create(
            merchant=team.merchant, actor=team.owner, email="late@example.com", role=Role.STAFF
        )

    assert not HeldTask.objects.exists()  # the link's token is never stored
    assert issued.token not in caplog.text
    assert "send_invitation_email not queued (its sweeper will run it)" in caplog.text
    assert inbox.messages == []
    assert invitations_unsent_send() == 0  # not a minute old: its own task may come

    assert invitations_unsent_send(now=timezone.now() + timedelta(minutes=2)) == 1

    [message] = inbox.messages
    assert message["To"] == "late@example.com"
    [token] = re.findall(r"/invitations/([^/\s]+)/", message.get_content())
    invitation = Invitation.objects.get(pk=issued.invitation.pk)
    assert invitation.token_hash == hash_token(token) != hash_token(issued.token)
    assert invitation.email_sent_at is not None
    assert invitations_unsent_send(now=timezone.now() + timedelta(minutes=3)) == 0


@pytest.mark.django_db
def test_inside_a_worker_a_task_that_cannot_queue_the_next_fails_as_before():
    from celery._state import _task_stack
    from kombu.exceptions import OperationalError

    from apps.messaging.tasks import delivery_send_task
    from apps.programs.tiers.tasks import tier_reevaluation_run

    running = delivery_send_task._get_current_object()
    running.push_request(called_directly=False)
    _task_stack.push(running)
    try:
        with broker_down(), pytest.raises(OperationalError):
            tier_reevaluation_run.delay(1)
    finally:
        _task_stack.pop()
        running.pop_request()
