"""Deliveries sent in a batch (services/batch_sending.py): claimed together, two workers
never claiming the same row; the members and the suppression list read once for the
batch; the rows a batch did not get to given back; the same verdicts as a single send."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.extensions import MESSAGE_SOURCES, MessageSource
from apps.members.models import Member
from apps.messaging.batch import deliveries_batch
from apps.messaging.content import EmailContent
from apps.messaging.models import Delivery, Purpose, State
from apps.messaging.services import suppression_add
from apps.messaging.services.batch_sending import (
    deliveries_claim,
    deliveries_claimed,
    deliveries_release,
    deliveries_take_back,
)
from apps.messaging.services.sending import delivery_send_claimed
from tests.concurrency import all_at_once
from tests.members.factories import enroll

SOURCE = "news:1"


def _render(delivery):
    return EmailContent(subject="Hola", text="Hola", html="<p>Hola</p>")


@pytest.fixture(autouse=True)
def news_source():
    source = MessageSource(kind="news", render=_render, batched=True)
    MESSAGE_SOURCES.register(source)
    yield
    MESSAGE_SOURCES.unregister(source)


def members(team, count: int) -> list[Member]:
    return [
        enroll(team, first_name=f"M{n}", email=f"m{n}@example.com", consent_email=True)
        for n in range(count)
    ]


def rows(people: list[Member]) -> list[Delivery]:
    return Delivery.objects.bulk_create(
        Delivery(
            merchant_id=member.merchant_id,
            member=member,
            source=SOURCE,
            channel="email",
            purpose=Purpose.MARKETING,
            address=member.email,
        )
        for member in people
    )


def state_of(delivery: Delivery) -> tuple[str, int]:
    delivery.refresh_from_db()
    return delivery.state, delivery.attempts


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_at_once_never_get_the_same_row(team):
    rows(members(team, 24))

    claims = all_at_once(4, lambda n: deliveries_claim(source=SOURCE, limit=8))

    claimed = [pk for claim in claims for pk in claim.delivery_ids]
    assert len(claimed) == len(set(claimed)) == 24  # each row once, and every row
    assert Delivery.objects.filter(source=SOURCE, state=State.CLAIMED, attempts=1).count() == 24


@pytest.mark.django_db
def test_a_batch_reads_its_rows_and_the_suppression_list_once(
    team, django_assert_num_queries, mailoutbox
):
    people = members(team, 6)
    rows(people)
    suppression_add(
        merchant_id=team.merchant.pk, channel="email", address="M1@example.com", reason="bounced"
    )
    Member.objects.filter(pk=people[2].pk).update(consent_email=False)  # since the row
    mailoutbox.clear()  # the welcomes

    claim = deliveries_claim(source=SOURCE, limit=10)
    with django_assert_num_queries(2):  # the rows with their members, the suppressed
        claimed = deliveries_claimed(claim=claim)

    verdicts = {delivery.member_id: verdict for delivery, verdict in claimed}
    assert (verdicts[people[1].pk].state, verdicts[people[1].pk].reason) == (
        State.SUPPRESSED,
        "suppressed",
    )
    assert (verdicts[people[2].pk].state, verdicts[people[2].pk].reason) == (
        State.SKIPPED,
        "no_consent",
    )
    with deliveries_batch():
        for delivery, verdict in claimed:
            delivery_send_claimed(delivery=delivery, verdict=verdict)
    assert sorted(message.to[0] for message in mailoutbox) == [
        f"m{n}@example.com" for n in (0, 3, 4, 5)
    ]


@pytest.mark.django_db
def test_the_rows_a_batch_did_not_get_to_go_back_and_their_claim_is_no_attempt(team):
    first, second, third = rows(members(team, 3))
    claim = deliveries_claim(source=SOURCE, limit=3)
    # the third was taken back by the sweeper (a stale claim) and claimed by another batch
    later = timezone.now() + timedelta(minutes=11)
    Delivery.objects.filter(pk=third.pk).update(claimed_at=later)
    Delivery.objects.filter(pk=first.pk).update(state=State.SENT)

    assert deliveries_release(claim=claim) == 1

    assert state_of(first) == (State.SENT, 1)
    assert state_of(second) == (State.QUEUED, 0)
    assert state_of(third) == (State.CLAIMED, 1)  # the other batch's to send


@pytest.mark.django_db
def test_taken_back_rows_cannot_be_handed_over(team, mailoutbox):
    people = members(team, 2)
    rows(people)
    mailoutbox.clear()  # the welcomes
    claim = deliveries_claim(source=SOURCE, limit=2)
    claimed = deliveries_claimed(claim=claim)

    assert deliveries_take_back(source=SOURCE) == 2  # a pause, say

    for delivery, verdict in claimed:
        assert delivery_send_claimed(delivery=delivery, verdict=verdict) == State.QUEUED
    assert mailoutbox == []
    assert set(Delivery.objects.filter(source=SOURCE).values_list("state", "attempts")) == {
        (State.QUEUED, 0)
    }
