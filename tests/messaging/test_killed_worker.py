"""A member gets an email at most once, and exactly once when nothing can have reached the
mail server, even when the worker sending it is killed (SIGKILL: no shutdown, no ack).

Everything is real: a `celery worker` process (tests/worker_process.py) on the Redis
broker and this test's PostgreSQL database, an SMTP server (aiosmtpd), the sweeper, and the
broker putting the killed worker's unacknowledged task back on the queue. Two windows:

* after the claim, before the SMTP call: the worker is stopped where it next reads the
  database (the suppression list, checked again after the claim) by a table lock held from
  here, and killed there. The row says `claimed`; the sweeper queues it again; of the two
  tasks that then run it (the broker's redelivery and the sweeper's), one sends it.
* during SMTP DATA: the server holds the message's DATA, and the worker is killed while it
  waits for the answer. The row says `sending`: it may have gone, so the sweeper marks it
  `unknown` and nothing sends it again.
"""

import threading
from collections.abc import Iterator

import pytest

from apps.messaging.models import Delivery, State, Suppression
from apps.messaging.tasks import deliveries_sweep_task, delivery_send_task
from tests.celery_worker import publishing_to, task_runs, worker_thread
from tests.concurrency import table_locked
from tests.members.factories import enroll
from tests.smtp import Inbox, smtp_server
from tests.waiting import wait_for
from tests.worker_process import redeliver, unacknowledged, waiting, worker_process

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue() -> Iterator[str]:
    with publishing_to("killed-worker") as name:
        yield name


@pytest.fixture
def smtp(settings) -> Iterator[Inbox]:
    """The mail server, for the worker processes and for this one's worker thread."""
    with smtp_server() as inbox:
        settings.MAILERS = {"default": inbox.mailer()}
        yield inbox


@pytest.fixture
def sweep_now(settings):
    """The sweeper's task, run here, with every claim already stale: the test cannot wait
    the ten minutes a worker is given. What it starts goes to the queue, after commit."""
    settings.MESSAGING_STALE_MINUTES = 0
    return deliveries_sweep_task


def welcome_of(member) -> Delivery:
    return Delivery.objects.get(member=member, source="welcome")


def state_of(delivery: Delivery) -> str:
    return Delivery.objects.values_list("state", flat=True).get(pk=delivery.pk)


def sends_run_by_a_new_worker(delivery: Delivery, count: int) -> list[str]:
    """Start a worker (a thread of this process) on the queue, wait until it has run
    `count` sends of the delivery, and return what each returned (the state it left)."""

    def sends() -> list[str]:
        return [run[2] for run in runs if run[:2] == (delivery_send_task.name, (delivery.pk,))]

    with worker_thread(), task_runs() as runs:
        wait_for(lambda: len(sends()) >= count, message=f"{count} runs of the send")
    return sends()


def test_a_worker_killed_between_the_claim_and_the_smtp_call_sends_once_after_the_sweep(
    team, queue, smtp, sweep_now
):
    # given: the welcome is queued and its task waits on the broker (no worker yet)
    member = enroll(team, email="ana@example.com")
    delivery = welcome_of(member)
    [first_task] = waiting(queue)
    assert delivery.state == State.QUEUED

    # when: a worker claims it, stops at its next read (the suppression list) and is killed
    with (
        table_locked(Suppression) as waiting_for_lock,
        worker_process(queue=queue, email_url=smtp.url) as worker,
    ):
        worker.wait(waiting_for_lock, message="the worker to stop at the suppression list")
        assert state_of(delivery) == State.CLAIMED
        worker.kill()

    # then: its claim is all that is left; nothing reached the mail server
    assert state_of(delivery) == State.CLAIMED
    assert smtp.messages == []
    assert redeliver(queue) == [first_task]  # the broker gives the task back, unacknowledged

    swept = sweep_now()
    assert swept == {"requeued": 1, "resent": 1, "unknown": 0, "held": 0}
    assert len(waiting(queue)) == 2  # the redelivered task and the sweeper's
    results = sends_run_by_a_new_worker(delivery, 2)

    assert results == [State.SENT, State.SENT]  # one sent it; the other found it sent
    [message] = smtp.messages
    assert message["To"] == "ana@example.com"
    delivery.refresh_from_db()
    assert delivery.state == State.SENT
    assert delivery.attempts == 2  # claimed twice: by the killed worker, then once more
    assert message["Message-ID"] == delivery.message_id
    assert sweep_now() == {"requeued": 0, "resent": 0, "unknown": 0, "held": 0}


def test_a_worker_killed_during_smtp_data_leaves_the_row_unknown_and_never_resends_it(
    team, queue, smtp, sweep_now
):
    # given: a worker, and a mail server that holds every message's DATA
    smtp.hold = threading.Event()
    smtp.hold.set()
    with worker_process(queue=queue, email_url=smtp.url) as worker:
        member = enroll(team, email="bea@example.com")
        delivery = welcome_of(member)
        worker.wait(smtp.holding.is_set, message="the welcome's DATA at the mail server")
        assert state_of(delivery) == State.SENDING

        # when: the worker is killed while it waits for the server's answer
        [task] = unacknowledged(queue).values()  # taken by the worker, not yet acknowledged
        worker.kill()
    smtp.hold.clear()

    # then: the sweeper calls it unknown, and neither it nor the redelivered task resends it
    assert state_of(delivery) == State.SENDING
    assert redeliver(queue) == [task]
    assert sweep_now() == {"requeued": 0, "resent": 0, "unknown": 1, "held": 0}
    assert state_of(delivery) == State.UNKNOWN
    assert sends_run_by_a_new_worker(delivery, 1) == [State.UNKNOWN]
    assert sweep_now() == {"requeued": 0, "resent": 0, "unknown": 0, "held": 0}

    assert len(smtp.messages) <= 1  # the server may have taken it; never twice
    delivery.refresh_from_db()
    assert (delivery.state, delivery.reason, delivery.attempts) == (
        State.UNKNOWN,
        "worker_lost",
        1,
    )
