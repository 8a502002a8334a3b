"""An automation with everything real: the beat's tick queued through the Redis broker, a
`celery worker` process running the merchant's run and then each message's send, and an
SMTP server (aiosmtpd) receiving them: each member once, in their language, and a second
tick sends nothing new."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.campaigns.automations.editing import automation_enable
from apps.campaigns.models import AutomationKind, AutomationOccurrence
from apps.campaigns.tasks import automations_tick_task
from apps.messaging.models import Delivery, State
from tests.campaigns.test_automation_win_back import AT_RISK_DAYS, last_visit, subscriber
from tests.celery_worker import publishing_to
from tests.conftest import make_team
from tests.smtp import smtp_server
from tests.worker_process import worker_process

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_tick_runs_an_automation_on_a_worker_and_each_member_gets_one_email(settings):
    team, now = make_team(), timezone.now()
    members = [subscriber(team, f"M{n}") for n in range(5)]
    rosa = subscriber(team, "Rosa", language="es")
    last_visit(*members, rosa, days_ago=AT_RISK_DAYS + 1, now=now)
    automation = automation_enable(
        merchant=team.merchant,
        kind=AutomationKind.WIN_BACK,
        actor=team.manager,
        now=now - timedelta(minutes=1),
    )
    automation.holdout_percent = 0
    automation.save(update_fields=["holdout_percent"])

    with (
        smtp_server() as inbox,
        publishing_to("automations") as queue,
        worker_process(queue=queue, email_url=inbox.url) as worker,
    ):
        settings.CELERY_TASK_ALWAYS_EAGER = False
        automations_tick_task.delay()
        worker.wait(lambda: len(inbox.messages) == 6, message="the six emails")
        automations_tick_task.delay()  # again: nothing new
        worker.wait(
            lambda: worker.log().count("automations_run_task") >= 4,  # received, succeeded
            message="the second run",
        )
        assert not AutomationOccurrence.objects.filter(processed_at__isnull=True).exists()
        sent = Delivery.objects.filter(source=automation.source, state=State.SENT)
        worker.wait(lambda: sent.count() == 6, message="the rows marked sent")

    assert Counter(str(m["To"]) for m in inbox.messages) == Counter(
        member.email for member in [*members, rosa]
    )
    subjects = {str(m["To"]): str(m["Subject"]) for m in inbox.messages}
    assert subjects["rosa@example.com"] == "Te echamos de menos, Rosa"
    assert subjects["m0@example.com"] == "We miss you, M0"
