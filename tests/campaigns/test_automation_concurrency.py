"""Two `run_automations` at once, really in parallel on PostgreSQL: each occurrence is
written once, processed once, and each member gets one message."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.campaigns.automations.editing import automation_enable
from apps.campaigns.automations.run import automations_run
from apps.campaigns.models import AutomationKind, AutomationOccurrence
from apps.messaging.models import Delivery, State
from tests.campaigns.test_automation_win_back import AT_RISK_DAYS, last_visit, subscriber
from tests.concurrency import all_at_once
from tests.conftest import make_team

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RUNS = 4


def test_runs_at_once_write_and_send_each_occurrence_once(mailoutbox):
    team, now = make_team(), timezone.now()
    members = [subscriber(team, f"M{n}") for n in range(12)]
    last_visit(*members, days_ago=AT_RISK_DAYS + 1, now=now)
    mailoutbox.clear()  # the welcomes
    automation = automation_enable(
        merchant=team.merchant,
        kind=AutomationKind.WIN_BACK,
        actor=team.manager,
        now=now - timedelta(days=2),  # three days to look at: the runs overlap on each
    )
    automation.holdout_percent = 0
    automation.save(update_fields=["holdout_percent"])

    results = all_at_once(RUNS, lambda n: automations_run(merchant=team.merchant, now=now))

    assert sum(result.days_scanned for result in results) == 3  # each day once
    assert sum(sum(result.outcomes.values()) for result in results) == len(members)
    assert AutomationOccurrence.objects.filter(processed_at__isnull=False).count() == len(members)
    rows = Delivery.objects.filter(source=automation.source)
    assert Counter(rows.values_list("member_id", flat=True)) == Counter(m.pk for m in members)
    assert set(rows.values_list("state", flat=True)) == {State.SENT}
    sent = Counter(address for message in mailoutbox for address in message.to)
    assert sent == Counter(member.email for member in members)
