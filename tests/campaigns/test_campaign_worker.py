"""Sending a campaign with everything real: the Redis broker, `celery worker` processes
(tests/worker_process.py) and worker threads on this test's PostgreSQL database, and an
SMTP server (aiosmtpd). tests/campaigns/test_campaign_sending.py covers the same rules
with the tasks run inline.

* A promotional email with a coupon and a holdout reaches each member of the segment who
  consented, has an email address that is not suppressed, is not held out and is under
  the frequency cap: once, with the code of their own coupon.
* Two chains of batches on a worker of two processes send at once (two messages wait at
  the mail server together), and still reach each member once.
* A worker killed (SIGKILL) while the mail server holds a message's DATA: the broker's
  redelivery of its batch, the deliveries' sweeper and `campaigns_tick` finish the
  campaign on another worker; nobody gets two emails, and the message in flight becomes
  `unknown` and is never sent again.
* Paused between two batches, nothing more goes (not even through the sweeper) until it
  is resumed; paused in the middle of a batch, the rows the batch claimed and had not
  handed over go back to the queue, unsent and without a coupon; cancelled in the middle
  of a batch, the rest is skipped (`cancelled`) and gets no coupon.

Batches are small (`CAMPAIGN_BATCH_SIZE`: a worker process reads it from its environment),
one chain at a time unless a test says otherwise (`CAMPAIGN_SEND_CHAINS`), and the
merchant's rate is high, so that each batch follows the last at once.
"""

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

import pytest
from django.utils import timezone

from apps.campaigns.models import Campaign, CampaignSettings, CampaignStatus, OfferGrant, Segment
from apps.campaigns.selectors import campaign_counts
from apps.campaigns.services.sending import (
    campaign_cancel,
    campaign_pause,
    campaign_resume,
    campaign_send,
    campaigns_tick,
    in_holdout,
)
from apps.campaigns.tasks import campaign_send_batch_task
from apps.members.models import Member
from apps.messaging.models import Delivery, Purpose, State
from apps.messaging.services import suppression_add
from apps.messaging.tasks import deliveries_sweep_task
from apps.programs.coupons.models import Coupon, CouponSource
from tests.campaigns.factories import campaign, segment
from tests.celery_worker import publishing_to, task_runs, worker_thread
from tests.members.factories import enroll
from tests.smtp import Inbox, body, smtp_server
from tests.waiting import wait_for
from tests.worker_process import redeliver, unacknowledged, waiting, worker_process

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BATCH = 3
OFFER = {"type": "coupon", "amount": 500, "valid_days": 30}
HOLDOUT = 20
TAG = "newsletter"


@dataclass
class Audience:
    segment: Segment
    reachable: list[Member]  # in the segment, consenting, with an email not suppressed
    capped: Member  # one of the reachable, sent two promotions this week already

    def emails(self, members) -> set[str]:
        return {member.email for member in members}


@pytest.fixture(autouse=True)
def small_batches(settings, monkeypatch) -> None:
    """Small batches, one chain of them at a time (the order of the batches is what most
    tests here look at), unless a test asks for more."""
    settings.CAMPAIGN_BATCH_SIZE = BATCH  # for this process and its worker threads
    monkeypatch.setenv("CAMPAIGN_BATCH_SIZE", str(BATCH))  # for a worker process
    chains(settings, monkeypatch, 1)


def chains(settings, monkeypatch, count: int) -> None:
    settings.CAMPAIGN_SEND_CHAINS = count
    monkeypatch.setenv("CAMPAIGN_SEND_CHAINS", str(count))


@pytest.fixture
def audience(team) -> Audience:
    """30 members in the segment and 3 outside it. Built while tasks still run inline, so
    their welcome emails and the capped member's two promotions go to the test outbox,
    not to the mail server the tests count."""
    CampaignSettings.objects.create(
        merchant=team.merchant, cap_per_week=2, cap_per_day=3, send_rate_per_minute=60_000
    )

    def member(n: int, **fields) -> Member:
        return enroll(team, first_name=f"M{n:02d}", language="en", **fields)

    def subscriber(n: int, *tags: str, consent: bool = True) -> Member:
        return member(n, email=f"m{n:02d}@example.com", consent_email=consent, tags=tags)

    reachable = [subscriber(n, TAG) for n in range(1, 26)]
    capped = subscriber(26, TAG, "regular")
    # In the segment and out of reach: no consent, a phone and no email, suppressed.
    subscriber(27, TAG, consent=False)
    subscriber(28, TAG, consent=False)
    member(29, consent_email=True, consent_sms=True, tags=[TAG])
    subscriber(30, TAG)
    for n in (31, 32, 33):
        subscriber(n)  # consenting, outside the segment
    suppression_add(
        merchant_id=team.merchant.pk, channel="email", address="m30@example.com", reason="bounced"
    )
    regulars = segment(team, {"field": "tag", "op": "is", "value": "regular"}, name="Regulars")
    for name in ("Monday", "Thursday"):
        campaign_send(campaign=campaign(team, audience=regulars, name=name), actor=team.manager)
    promotions = Delivery.objects.filter(member=capped, purpose=Purpose.MARKETING)
    assert promotions.filter(state=State.SENT).count() == 2
    newsletter = segment(team, {"field": "tag", "op": "is", "value": TAG}, name="Newsletter")
    return Audience(newsletter, [*reachable, capped], capped)


def held_out(target: Campaign, audience: Audience) -> list[Member]:
    return [
        member
        for member in audience.reachable
        if in_holdout(campaign_id=target.pk, member_id=member.pk, percent=HOLDOUT)
    ]


def recipients(target: Campaign, audience: Audience) -> list[Member]:
    """Who should get the message: the reachable, less the holdout and the capped member."""
    held = held_out(target, audience)
    return [m for m in audience.reachable if m not in held and m != audience.capped]


@pytest.fixture
def promotion(team, audience) -> Campaign:
    """The campaign, a draft. The holdout is a stable hash of (campaign, member): drafts
    are drawn until someone is held out and the capped member is not (about four in
    five are), so that it is the cap that keeps them out."""
    while True:
        draft = campaign(
            team,
            audience=audience.segment,
            subject={"en": "Hello {{ first_name }}"},
            body={"en": "<p>Hi {{ first_name }}, your code: {{ coupon_code }}.</p>"},
            offer=OFFER,
            holdout_percent=HOLDOUT,
        )
        held = held_out(draft, audience)
        if held and audience.capped not in held:
            return draft


@pytest.fixture
def queue(audience, settings) -> Iterator[str]:
    """From here on this process sends tasks to the broker, for a worker to take."""
    with publishing_to("campaign-worker") as name:
        # `tasks_run_inline` reads Django's setting, which `publishing_to` leaves alone: a
        # worker thread of this process must not run a campaign's batches in a loop.
        # Changed inside the block: the Celery app reads the setting live, and the block
        # puts back on the way out what it read on the way in.
        settings.CELERY_TASK_ALWAYS_EAGER = False
        yield name


@pytest.fixture
def smtp(audience, settings) -> Iterator[Inbox]:
    """The mail server, for the worker processes and for this one's worker threads."""
    with smtp_server() as inbox:
        settings.MAILERS = {"default": inbox.mailer()}
        yield inbox


@pytest.fixture
def sweep_now(settings):
    """The deliveries' sweeper, run here, with every claim already stale."""
    settings.MESSAGING_STALE_MINUTES = 0
    return deliveries_sweep_task


def hold_data(smtp: Inbox, *, after: int) -> None:
    """Hold at the mail server the DATA of every message after the first `after`."""
    smtp.hold, smtp.hold_after = threading.Event(), after
    smtp.hold.set()


def start(target: Campaign, team) -> None:
    campaign_send(campaign=target, actor=team.manager)  # the freeze task goes at the commit


def status_of(target: Campaign) -> str:
    return Campaign.objects.values_list("status", flat=True).get(pk=target.pk)


def states(target: Campaign) -> dict[int, tuple[str, str]]:
    """Each delivery row of the campaign: member id -> (state, reason)."""
    rows = Delivery.objects.filter(source=target.source)
    return {
        member_id: (state, reason)
        for member_id, state, reason in rows.values_list("member_id", "state", "reason")
    }


def granted(target: Campaign) -> set[int]:
    return set(OfferGrant.objects.filter(campaign=target).values_list("member_id", flat=True))


def addressed(smtp: Inbox) -> Counter:
    """How many messages the mail server took for each address."""
    return Counter(str(message["To"]) for message in smtp.messages)


def coupons(target: Campaign) -> dict[int, str]:
    """The campaign's coupons: member id -> code."""
    issued = Coupon.objects.filter(merchant=target.merchant, source=CouponSource.CAMPAIGN)
    return dict(issued.values_list("member_id", "code"))


def assert_their_own_coupon_in(message: EmailMessage, target: Campaign, audience: Audience) -> None:
    """The message speaks to its addressee, and shows the code of the coupon they were
    given just before it was sent."""
    member = next(m for m in audience.reachable if m.email == str(message["To"]))
    text = body(message)
    assert f"Hi {member.first_name}, your code: {coupons(target)[member.pk]}." in text


def batches(runs: list[tuple]) -> list[int]:
    """What each batch run by a worker thread sent, in order."""
    return [run[2] for run in runs if run[0] == campaign_send_batch_task.name]


def assert_counts_add_up(target: Campaign, audience: Audience) -> dict[str, int]:
    target.refresh_from_db()  # the suppressed left out are counted on the campaign
    counts = campaign_counts(campaign=target)
    ended = counts["sent"] + counts["holdout"] + counts["skipped"] + counts["failed"]
    assert ended == counts["targeted"] == len(audience.reachable)
    assert (counts["queued"], counts["suppressed"]) == (0, 1)
    return counts


def test_a_promotion_reaches_each_consenting_member_once_with_their_own_coupon(
    team, audience, promotion, queue, smtp
):
    expected, held = recipients(promotion, audience), held_out(promotion, audience)

    with worker_process(queue=queue, email_url=smtp.url) as worker:
        start(promotion, team)
        worker.wait(lambda: status_of(promotion) == CampaignStatus.SENT, message="the send")

    # once each, at their address; nobody held out, capped, without consent or suppressed
    assert addressed(smtp) == Counter(audience.emails(expected))
    for message in smtp.messages:
        assert_their_own_coupon_in(message, promotion, audience)
    assert granted(promotion) == set(coupons(promotion)) == {member.pk for member in expected}
    assert len(set(coupons(promotion).values())) == len(expected)  # a code each
    assert states(promotion) == {
        **{member.pk: (State.SENT, "") for member in expected},
        **{member.pk: (State.HOLDOUT, "") for member in held},
        audience.capped.pk: (State.SKIPPED, "frequency_cap"),
    }
    counts = assert_counts_add_up(promotion, audience)
    assert (counts["sent"], counts["holdout"], counts["skipped_by_cap"]) == (
        len(expected),
        len(held),
        1,
    )


def test_two_chains_of_batches_send_at_once_on_two_processes_and_nobody_gets_two_emails(
    team, audience, promotion, queue, smtp, settings, monkeypatch
):
    # given: two chains of batches, a worker of two processes, and a mail server that
    # holds every message until two wait there at once
    chains(settings, monkeypatch, 2)
    expected = recipients(promotion, audience)
    hold_data(smtp, after=0)
    with worker_process(queue=queue, email_url=smtp.url, processes=2) as worker:
        start(promotion, team)

        # when: both processes have a message of their own batch at the server
        worker.wait(lambda: smtp.most_held == 2, message="two messages held at once")
        smtp.hold.clear()
        worker.wait(lambda: status_of(promotion) == CampaignStatus.SENT, message="the send")

    # then: each recipient once, with their own coupon; the counts add up
    promotion.refresh_from_db()
    assert promotion.send_chains == 2
    assert addressed(smtp) == Counter(audience.emails(expected))
    for message in smtp.messages:
        assert_their_own_coupon_in(message, promotion, audience)
    assert granted(promotion) == set(coupons(promotion)) == {member.pk for member in expected}
    assert assert_counts_add_up(promotion, audience)["sent"] == len(expected)


def test_a_worker_killed_mid_send_is_finished_by_another_and_nobody_gets_two_emails(
    team, audience, promotion, queue, smtp, sweep_now
):
    # given: a worker, and a mail server that holds the fifth message (the second batch's)
    expected = recipients(promotion, audience)
    hold_data(smtp, after=4)
    with worker_process(queue=queue, email_url=smtp.url) as worker:
        start(promotion, team)
        worker.wait(smtp.holding.is_set, message="the fifth message's DATA at the mail server")
        [in_flight] = Delivery.objects.filter(source=promotion.source, state=State.SENDING)
        [batch] = unacknowledged(queue).values()  # the batch it is running

        # when: it is killed while it waits for the server's answer
        worker.kill()
    assert len(smtp.messages) == 4
    smtp.hold.clear()

    # then: the broker gives the batch back; the sweeper calls the message in flight
    # unknown, queues again the batch's last row (claimed with the batch, not reached)
    # and sends nothing itself (the campaign's batches send its rows); the minute's tick,
    # later, finds the campaign stalled and starts a batch too
    assert redeliver(queue) == [batch]
    assert sweep_now() == {"requeued": BATCH - 2, "resent": 0, "unknown": 1, "held": 0}
    assert campaigns_tick(now=timezone.now() + timedelta(minutes=5)) == 0  # none scheduled
    assert len(waiting(queue)) == 2
    with worker_thread():
        wait_for(lambda: status_of(promotion) == CampaignStatus.SENT, message="the send")

    sent_to = addressed(smtp)
    assert max(sent_to.values()) == 1  # nobody twice
    assert set(sent_to) <= audience.emails(expected)
    assert audience.emails(expected) - set(sent_to) <= {in_flight.address}
    for message in smtp.messages:
        assert_their_own_coupon_in(message, promotion, audience)
    assert granted(promotion) == set(coupons(promotion)) == {member.pk for member in expected}
    in_flight.refresh_from_db()
    assert (in_flight.state, in_flight.reason, in_flight.attempts) == (
        State.UNKNOWN,
        "worker_lost",
        1,
    )
    counts = assert_counts_add_up(promotion, audience)
    assert counts["sent"] == len(expected)  # the unknown one counted as sent: it may have gone


def test_paused_between_batches_nothing_more_goes_until_it_is_resumed(
    team, audience, promotion, queue, smtp, sweep_now
):
    # given: the first batch's last message held at the mail server
    expected = recipients(promotion, audience)
    hold_data(smtp, after=BATCH - 1)
    with worker_thread(), task_runs() as runs:
        start(promotion, team)
        wait_for(smtp.holding.is_set, message="the first batch's last message")

        # when: the campaign is paused, and the first batch ends
        campaign_pause(campaign=promotion, actor=team.manager)
        smtp.hold.clear()
        wait_for(lambda: batches(runs) == [BATCH, 0], message="a batch finding it paused")

        # then: no batch is waiting, the sweeper sends none of its rows, nothing arrives
        assert waiting(queue) == []
        assert sweep_now() == {"requeued": 0, "resent": 0, "unknown": 0, "held": 0}
        time.sleep(2)
        assert len(smtp.messages) == BATCH
        left = Delivery.objects.filter(source=promotion.source, state=State.QUEUED)
        assert left.count() == len(expected) - BATCH
        assert status_of(promotion) == CampaignStatus.PAUSED

        # when: resumed, it finishes
        campaign_resume(campaign=promotion, actor=team.manager)
        wait_for(lambda: status_of(promotion) == CampaignStatus.SENT, message="the send")

    assert addressed(smtp) == Counter(audience.emails(expected))
    assert granted(promotion) == {member.pk for member in expected}
    assert_counts_add_up(promotion, audience)


def test_cancelled_mid_batch_the_rest_is_skipped_and_gets_no_coupon(
    team, audience, promotion, queue, smtp
):
    # given: the first batch's second message held at the mail server; its third waits
    expected = recipients(promotion, audience)
    hold_data(smtp, after=1)
    with worker_thread(), task_runs() as runs:
        start(promotion, team)
        wait_for(smtp.holding.is_set, message="the first batch's second message")

        # when: the campaign is cancelled, and the first batch goes on
        campaign_cancel(campaign=promotion, actor=team.manager)
        smtp.hold.clear()
        wait_for(lambda: batches(runs), message="the first batch to end")
    assert waiting(queue) == []

    # then: the two messages handed over went; everyone else was skipped without a coupon
    rows = states(promotion)
    sent = {pk for pk, (state, _reason) in rows.items() if state == State.SENT}
    assert len(sent) == 2
    assert addressed(smtp) == Counter(audience.emails(m for m in expected if m.pk in sent))
    assert {rows[m.pk] for m in expected if m.pk not in sent} == {(State.SKIPPED, "cancelled")}
    assert granted(promotion) == set(coupons(promotion)) == sent
    assert rows[audience.capped.pk] == (State.SKIPPED, "frequency_cap")
    counts = assert_counts_add_up(promotion, audience)
    assert counts["sent"] == 2
    assert status_of(promotion) == CampaignStatus.CANCELLED


def test_paused_mid_batch_the_rows_it_claimed_go_back_unsent_and_without_a_coupon(
    team, audience, promotion, queue, smtp
):
    # given: the first batch's second message held at the mail server; its third claimed
    expected = recipients(promotion, audience)
    hold_data(smtp, after=1)
    with worker_thread(), task_runs() as runs:
        start(promotion, team)
        wait_for(smtp.holding.is_set, message="the first batch's second message")
        [third] = Delivery.objects.filter(source=promotion.source, state=State.CLAIMED)

        # when: the campaign is paused, and the first batch goes on
        campaign_pause(campaign=promotion, actor=team.manager)
        smtp.hold.clear()
        wait_for(lambda: len(batches(runs)) == 2, message="the next batch finding it paused")

        # then: the third row is queued again, its claim not counted as an attempt; only
        # the two messages handed over went, with their coupons
        third.refresh_from_db()
        assert (third.state, third.attempts) == (State.QUEUED, 0)
        assert len(smtp.messages) == 2
        sent = {pk for pk, (state, _reason) in states(promotion).items() if state == State.SENT}
        assert granted(promotion) == sent
        assert len(sent) == 2

        # when: resumed, it finishes: everyone once
        campaign_resume(campaign=promotion, actor=team.manager)
        wait_for(lambda: status_of(promotion) == CampaignStatus.SENT, message="the send")

    assert addressed(smtp) == Counter(audience.emails(expected))
    assert granted(promotion) == {member.pk for member in expected}
    third.refresh_from_db()
    assert (third.state, third.attempts) == (State.SENT, 1)
    assert_counts_add_up(promotion, audience)
