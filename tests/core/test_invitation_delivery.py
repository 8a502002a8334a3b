"""The invitation email travels the production path: Redis, a Celery worker, SMTP.

An owner invites someone; on commit `send_invitation_email` is published to a real Redis
broker, a real Celery worker (in a thread of this process, solo pool) consumes it, and
Django's SMTP backend delivers the email to a real SMTP server (aiosmtpd) on a free
local port. Nothing here runs eagerly.

The worker consumes only from a queue named for this run, so other test sessions
sharing the Redis database neither steal our tasks nor hand us theirs.
"""

import re
import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from celery.signals import task_postrun
from django.db import transaction
from django.urls import reverse

from apps.core.models import Invitation, Role, hash_token
from apps.core.services import invitation_create, invitation_resend
from apps.core.tasks import send_invitation_email
from tests.celery_worker import celery_worker_on_redis
from tests.waiting import wait_for

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

TIMEOUT = 20.0  # seconds: the most any wait below may take
LINK = re.compile(r"https?://\S+?/invitations/([^/\s]+)/")


# The SMTP server ----------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        return self.message.get_content()

    @property
    def link_tokens(self) -> list[str]:
        return LINK.findall(self.body)


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[Received] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self._messages.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    message=message,
                )
            )
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[Received]:
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# What the worker ran ------------------------------------------------------------------


@dataclass(frozen=True)
class TaskRun:
    task_id: str
    args: tuple
    retval: object
    state: str
    eager: bool
    routing_key: str | None
    in_main_thread: bool


class TaskRuns:
    """Every `send_invitation_email` the worker finished, from Celery's task_postrun signal."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: list[TaskRun] = []

    def on_postrun(self, sender=None, task_id=None, task=None, args=None, **kwargs) -> None:
        if task is None or task.name != send_invitation_email.name:
            return
        run = TaskRun(
            task_id=task_id,
            args=tuple(args or ()),
            retval=kwargs.get("retval"),
            state=kwargs.get("state"),
            eager=bool(task.request.is_eager),
            routing_key=(task.request.delivery_info or {}).get("routing_key"),
            in_main_thread=threading.current_thread() is threading.main_thread(),
        )
        with self._lock:
            self._runs.append(run)

    @property
    def runs(self) -> list[TaskRun]:
        with self._lock:
            return list(self._runs)

    def clear(self) -> None:
        with self._lock:
            self._runs.clear()


# Fixtures -----------------------------------------------------------------------------


@dataclass
class Delivery:
    """The running pipeline: the worker's queue, what it ran, and what SMTP received."""

    queue: str
    runs: TaskRuns
    inbox: Inbox

    def run_for(self, *, invitation_id: int, token: str) -> TaskRun:
        """Wait for the worker to finish the task for this invitation and link."""

        def finished():
            matches = [r for r in self.runs.runs if r.args == (invitation_id, token)]
            return matches[-1] if matches else None

        return wait_for(
            finished, timeout=TIMEOUT, message=f"the task for invitation {invitation_id}"
        )

    def run_by_id(self, task_id: str) -> TaskRun:
        def finished():
            return next((r for r in self.runs.runs if r.task_id == task_id), None)

        return wait_for(finished, timeout=TIMEOUT, message=f"task {task_id}")

    def assert_ran_on_worker(self, run: TaskRun) -> None:
        """Consumed from our Redis queue and run by the worker thread, not inline."""
        assert run.eager is False
        assert run.routing_key == self.queue
        assert run.in_main_thread is False


@pytest.fixture(scope="module")
def _worker():
    """A real worker on Redis, and a record of the invitation tasks it ran."""
    with celery_worker_on_redis("invitations") as queue:
        runs = TaskRuns()
        task_postrun.connect(runs.on_postrun, weak=False)
        try:
            yield queue, runs
        finally:
            task_postrun.disconnect(runs.on_postrun)


@pytest.fixture(scope="module")
def _smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture
def delivery(_worker, _smtp_server, settings, transactional_db) -> Delivery:
    queue, runs = _worker
    controller, inbox = _smtp_server
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            # a stuck SMTP conversation fails the task within 10 seconds
            "OPTIONS": {"host": controller.hostname, "port": controller.port, "timeout": 10},
        }
    }
    runs.clear()
    inbox.clear()
    yield Delivery(queue=queue, runs=runs, inbox=inbox)
    runs.clear()
    inbox.clear()


# Tests --------------------------------------------------------------------------------


def test_the_invitation_is_emailed_through_redis_and_a_worker(delivery, team, settings):
    issued = invitation_create(
        merchant=team.merchant, actor=team.owner, email=" New.Hire@Example.com ", role=Role.STAFF
    )

    run = delivery.run_for(invitation_id=issued.invitation.pk, token=issued.token)

    assert (run.state, run.retval) == ("SUCCESS", True)
    delivery.assert_ran_on_worker(run)
    [received] = delivery.inbox.messages
    assert received.rcpt_tos == ["new.hire@example.com"]
    assert received.message["To"] == "new.hire@example.com"
    assert received.mail_from == "noreply@localhost"
    assert received.message["Subject"] == f"Join {team.merchant.name} on Fideliza"
    assert received.link_tokens == [issued.token]
    assert f"{settings.SITE_URL}/invitations/{issued.token}/" in received.body
    invitation = Invitation.objects.get(pk=issued.invitation.pk)
    assert invitation.token_hash == hash_token(issued.token)
    assert invitation.email_sent_at is not None


def test_running_the_task_again_sends_nothing(delivery, team):
    issued = invitation_create(
        merchant=team.merchant, actor=team.owner, email="twice@example.com", role=Role.MANAGER
    )
    first = delivery.run_for(invitation_id=issued.invitation.pk, token=issued.token)
    assert first.retval is True
    sent_at = Invitation.objects.get(pk=issued.invitation.pk).email_sent_at
    assert sent_at is not None

    again = send_invitation_email.delay(issued.invitation.pk, issued.token)
    rerun = delivery.run_by_id(again.id)

    assert (rerun.state, rerun.retval) == ("SUCCESS", False)
    delivery.assert_ran_on_worker(rerun)
    assert len(delivery.inbox.messages) == 1
    assert Invitation.objects.get(pk=issued.invitation.pk).email_sent_at == sent_at


def test_a_resent_invitation_emails_the_new_link_only(delivery, team):
    issued = invitation_create(
        merchant=team.merchant, actor=team.owner, email="resend@example.com", role=Role.STAFF
    )
    assert delivery.run_for(invitation_id=issued.invitation.pk, token=issued.token).retval

    reissued = invitation_resend(invitation=issued.invitation, actor=team.owner)
    run = delivery.run_for(invitation_id=reissued.invitation.pk, token=reissued.token)

    assert (run.state, run.retval) == ("SUCCESS", True)
    delivery.assert_ran_on_worker(run)
    assert reissued.token != issued.token
    first, second = delivery.inbox.messages
    assert first.link_tokens == [issued.token]
    assert second.link_tokens == [reissued.token]
    assert second.rcpt_tos == ["resend@example.com"]
    assert Invitation.objects.get(pk=reissued.invitation.pk).email_sent_at is not None

    stale = send_invitation_email.delay(issued.invitation.pk, issued.token)
    assert delivery.run_by_id(stale.id).retval is False
    assert len(delivery.inbox.messages) == 2


def test_a_link_replaced_before_its_email_went_out_is_never_sent(delivery, team):
    """Both tasks reach the worker; the one for the replaced link finds it revoked."""
    with transaction.atomic():
        issued = invitation_create(
            merchant=team.merchant, actor=team.owner, email="quick@example.com", role=Role.STAFF
        )
        reissued = invitation_resend(invitation=issued.invitation, actor=team.owner)

    old = delivery.run_for(invitation_id=issued.invitation.pk, token=issued.token)
    new = delivery.run_for(invitation_id=reissued.invitation.pk, token=reissued.token)

    assert (old.state, old.retval) == ("SUCCESS", False)
    assert (new.state, new.retval) == ("SUCCESS", True)
    [received] = delivery.inbox.messages
    assert received.link_tokens == [reissued.token]
    assert Invitation.objects.get(pk=issued.invitation.pk).email_sent_at is None
    assert Invitation.objects.get(pk=reissued.invitation.pk).email_sent_at is not None

    stale = send_invitation_email.delay(issued.invitation.pk, issued.token)
    assert delivery.run_by_id(stale.id).retval is False
    assert len(delivery.inbox.messages) == 1


def test_inviting_from_the_team_page_emails_a_working_link(delivery, team, client_as):
    client = client_as(team.owner)

    response = client.post(reverse("core:team"), {"email": "page@example.com", "role": "staff"})

    assert response.status_code == 302
    invitation = Invitation.objects.get(merchant=team.merchant, email="page@example.com")
    run = wait_for(
        lambda: next((r for r in delivery.runs.runs if r.args[0] == invitation.pk), None),
        timeout=TIMEOUT,
        message="the task for the invitation made on the team page",
    )
    assert (run.state, run.retval) == ("SUCCESS", True)
    delivery.assert_ran_on_worker(run)
    [received] = delivery.inbox.messages
    assert received.rcpt_tos == ["page@example.com"]
    [token] = received.link_tokens
    assert hash_token(token) == invitation.token_hash
    invitation.refresh_from_db()
    assert invitation.email_sent_at is not None

    client.logout()
    page = client.get(reverse("core:invitation_accept", args=[token]))
    assert page.status_code == 200
    assert team.merchant.name in page.content.decode()
