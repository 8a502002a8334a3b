"""The delivery state machine: once per occurrence, consent and suppression checked when
the row is written and again before the send, the sweeper, the providers' reports."""

from datetime import timedelta

import pytest
from anymail.exceptions import AnymailInvalidAddress
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from apps.core.extensions import MESSAGE_SOURCES, MessageSource
from apps.members.services import member_consent_set, member_erase
from apps.messaging.content import EmailContent, SmsContent
from apps.messaging.models import Delivery, Purpose, State, Suppression
from apps.messaging.services import (
    deliveries_sweep,
    delivery_queue,
    delivery_send,
    email_event_received,
    suppression_add,
)
from apps.messaging.sms import outbox
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db


def _render(delivery):
    if delivery.channel == "sms":
        return SmsContent(body="Hola")
    return EmailContent(subject="Oferta", text="Hola", html="<p>Hola</p>")


@pytest.fixture(autouse=True)
def offer_source():
    source = MessageSource(kind="offer", render=_render)
    MESSAGE_SOURCES.register(source)
    yield
    MESSAGE_SOURCES.unregister(source)


@pytest.fixture
def ana(team):
    return enroll(team, first_name="Ana", email="ana@example.com", consent_email=True)


def queue(member, channel="email", purpose=Purpose.MARKETING, occurrence=""):
    return delivery_queue(
        member=member, source="offer", channel=channel, purpose=purpose, occurrence=occurrence
    )


def test_one_occurrence_is_one_message(ana, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = queue(ana)
        again = queue(ana)
    other = queue(ana, occurrence="2027")

    assert first.pk == again.pk != other.pk
    assert len(mailoutbox) == 1
    assert delivery_send(delivery_id=first.pk) == State.SENT  # a second run sends nothing
    assert len(mailoutbox) == 1


def test_marketing_mail_carries_one_click_unsubscribe(ana, mailoutbox):
    delivery = queue(ana)
    delivery_send(delivery_id=delivery.pk)

    [message] = mailoutbox
    assert "/u/" in message.extra_headers["List-Unsubscribe"]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_marketing_without_consent_is_skipped_with_its_reason(team, mailoutbox):
    member = enroll(team, email="no@example.com", consent_email=False)

    delivery = queue(member)

    assert (delivery.state, delivery.reason) == (State.SKIPPED, "no_consent")
    assert mailoutbox == []


def test_consent_withdrawn_after_queueing_is_checked_before_the_send(ana, mailoutbox):
    delivery = queue(ana)
    member_consent_set(member=ana, channel="email", granted=False, source="card")

    assert delivery_send(delivery_id=delivery.pk) == State.SKIPPED
    assert mailoutbox == []


def test_a_suppressed_address_gets_nothing_not_even_service_mail(ana, mailoutbox):
    suppression_add(
        merchant_id=ana.merchant_id, channel="email", address="ANA@example.com", reason="bounced"
    )

    service = queue(ana, purpose=Purpose.SERVICE)
    privacy = queue(ana, purpose=Purpose.PRIVACY, occurrence="erase")

    assert service.state == State.SUPPRESSED
    assert privacy.state == State.QUEUED  # the one exception: confirming a privacy request


def test_the_sweeper_requeues_a_claim_whose_worker_died_and_it_is_sent_once(ana, mailoutbox):
    delivery = queue(ana)
    stale = timezone.now() - timedelta(minutes=30)
    Delivery.objects.filter(pk=delivery.pk).update(state=State.CLAIMED, claimed_at=stale)

    swept = deliveries_sweep()
    delivery_send(delivery_id=delivery.pk)
    delivery_send(delivery_id=delivery.pk)

    assert (swept.requeued, swept.resent) == (1, 1)
    assert len(mailoutbox) == 1
    assert Delivery.objects.get(pk=delivery.pk).state == State.SENT


def test_the_sweeper_never_resends_what_may_have_reached_the_provider(ana, mailoutbox):
    delivery = queue(ana)
    stale = timezone.now() - timedelta(minutes=30)
    Delivery.objects.filter(pk=delivery.pk).update(state=State.SENDING, claimed_at=stale)

    swept = deliveries_sweep()
    delivery_send(delivery_id=delivery.pk)

    assert swept.unknown == 1
    assert Delivery.objects.get(pk=delivery.pk).state == State.UNKNOWN
    assert mailoutbox == []


def test_a_recent_queued_row_is_left_to_its_task(ana):
    queue(ana)

    assert deliveries_sweep().resent == 0


def test_a_bounce_report_suppresses_the_address(ana, mailoutbox):
    delivery = queue(ana)
    delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()

    found = email_event_received(
        provider_id=delivery.provider_id, event_type="bounced", recipient="ana@example.com"
    )

    assert found
    delivery.refresh_from_db()
    assert delivery.state == State.BOUNCED
    assert Suppression.objects.filter(address="ana@example.com", reason="bounced").exists()
    assert queue(ana, purpose=Purpose.SERVICE, occurrence="later").state == State.SUPPRESSED


def test_a_complaint_withdraws_consent_and_a_late_delivered_changes_nothing(ana, mailoutbox):
    delivery = queue(ana)
    delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()

    email_event_received(
        provider_id=delivery.provider_id, event_type="complained", recipient="ana@example.com"
    )
    email_event_received(
        provider_id=delivery.provider_id, event_type="delivered", recipient="ana@example.com"
    )

    delivery.refresh_from_db()
    ana.refresh_from_db()
    assert delivery.state == State.COMPLAINED
    assert not ana.consent_email


@pytest.mark.parametrize(
    ("event_type", "reject_reason", "state", "suppressed_as"),
    [
        ("bounced", "bounced", State.BOUNCED, "bounced"),
        ("bounced", "blocked", State.BOUNCED, None),  # a spam filter: the mailbox is fine
        ("rejected", "bounced", State.FAILED, "bounced"),  # on the provider's bounce list
        ("rejected", "invalid", State.FAILED, "bounced"),
        ("rejected", "blocked", State.FAILED, None),  # our own policy (DMARC, content)
        ("failed", "", State.FAILED, None),
        ("deferred", "", State.SENT, None),  # a soft bounce: it may still arrive
    ],
)
def test_a_providers_refusal_suppresses_only_an_address_it_says_is_dead(
    event_type, reject_reason, state, suppressed_as, ana, mailoutbox
):
    delivery = queue(ana)
    delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()

    email_event_received(
        provider_id=delivery.provider_id,
        event_type=event_type,
        reject_reason=reject_reason,
        recipient="ana@example.com",
    )

    delivery.refresh_from_db()
    assert delivery.state == state
    assert list(Suppression.objects.values_list("reason", flat=True)) == (
        [suppressed_as] if suppressed_as else []
    )


def test_a_report_about_someone_elses_message_changes_nothing(ana):
    assert not email_event_received(
        provider_id="<nobody@elsewhere>", event_type="bounced", recipient="ana@example.com"
    )
    assert not Suppression.objects.exists()


def test_sms_goes_through_the_same_rows(team):
    member = enroll(team, phone="+34 611 000 333", consent_sms=True)

    delivery = queue(member, channel="sms")
    delivery_send(delivery_id=delivery.pk)

    [sms] = outbox
    assert sms.to == "+34611000333"
    delivery.refresh_from_db()
    assert (delivery.state, delivery.provider_id) == (State.SENT, sms.provider_id)
    assert mail.outbox == []


class RefusingProvider(BaseEmailBackend):
    """A provider backend that refuses the address before any request, as anymail's
    Postmark backend does for an address it cannot parse."""

    def send_messages(self, email_messages):
        raise AnymailInvalidAddress("Invalid email address 'ana@example.com'")


def test_a_provider_refusing_before_any_request_fails_the_delivery(ana, settings):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.RefusingProvider"}}
    delivery = queue(ana)

    assert delivery_send(delivery_id=delivery.pk) == State.FAILED
    delivery.refresh_from_db()
    assert (delivery.state, delivery.reason) == (State.FAILED, "refused")


def test_a_member_erased_while_their_message_renders_gets_nothing(ana, team, mailoutbox):
    def render_and_erase(delivery):  # the erasure commits between the claim and the send
        member_erase(member=delivery.member, actor=team.manager)
        return _render(delivery)

    source = MessageSource(kind="racing", render=render_and_erase)
    MESSAGE_SOURCES.register(source)
    try:
        delivery = delivery_queue(
            member=ana, source="racing", channel="email", purpose=Purpose.SERVICE
        )
        delivery_send(delivery_id=delivery.pk)
    finally:
        MESSAGE_SOURCES.unregister(source)

    delivery.refresh_from_db()
    assert mailoutbox == []
    assert (delivery.state, delivery.address) == (State.CLAIMED, "")  # the sweeper skips it
