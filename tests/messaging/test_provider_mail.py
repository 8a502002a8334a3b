"""Mail through a provider's API (django-anymail, chosen by EMAIL_URL), and the provider's
reports about it, end to end: a welcome goes to a fake Postmark (tests/fake_postmark.py)
through anymail's real Postmark backend, and Postmark-shaped bounce and complaint reports
are posted to the webhook anymail mounts at /anymail/postmark/tracking/, with the HTTP
Basic secret of ANYMAIL_WEBHOOK_SECRET. What the provider answers decides the delivery's
state, at most once: a refusal fails it, an outage queues it again, a send it may have
taken and never answered is `unknown`."""

import base64
import json
import socket
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from apps.members.models import Member
from apps.messaging.models import Delivery, State, Suppression, SuppressionReason
from apps.messaging.services import deliveries_sweep, delivery_send
from apps.portal.welcome import welcome_queue
from config.settings.base import mailer_from_url
from tests.fake_postmark import FakePostmark
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db

TOKEN = "0f5e1c1e-postmark-server-token"
SECRET = "postmark:hook-password"


@pytest.fixture
def postmark(settings):
    with FakePostmark(server_token=TOKEN) as fake:
        url = f"anymail+postmark://{TOKEN}@?api_url={fake.url}/&timeout=1"
        settings.MAILERS = {"default": mailer_from_url(url)}
        settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
        yield fake


@pytest.fixture
def welcomed(team, postmark, django_capture_on_commit_callbacks):
    """Enroll a member with an email: their welcome goes to the provider."""

    def welcomed(email: str, **fields) -> Delivery:
        with django_capture_on_commit_callbacks(execute=True):
            member = enroll(team, email=email, **fields)
        return Delivery.objects.get(member=member, source="welcome")

    return welcomed


def report(client, payload: dict, *, secret: str | None = SECRET):
    """Post a report as Postmark does: JSON, with the Basic credentials of the URL the
    shop gave it."""
    headers = {}
    if secret is not None:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(secret.encode()).decode()
    return client.post(
        reverse("anymail:postmark_tracking_webhook"),
        data=json.dumps(payload),
        content_type="application/json",
        **headers,
    )


def postmark_bounce(delivery: Delivery, *, kind: str = "HardBounce", type_code: int = 1) -> dict:
    """A Postmark bounce webhook's body (RecordType "Bounce")."""
    return {
        "RecordType": "Bounce",
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": kind,
        "TypeCode": type_code,
        "Name": "Hard bounce" if kind == "HardBounce" else "Soft bounce",
        "Tag": "",
        "MessageID": delivery.provider_id,
        "Metadata": {},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message.",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": delivery.address,
        "From": "noreply@localhost",
        "BouncedAt": datetime.now(UTC).isoformat(),
        "DumpAvailable": True,
        "Inactive": kind == "HardBounce",
        "CanActivate": True,
        "Subject": "Welcome",
        "Content": "",
    }


def postmark_complaint(delivery: Delivery) -> dict:
    return {
        **postmark_bounce(delivery),
        "RecordType": "SpamComplaint",
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "Name": "Spam complaint",
        "Description": "The subscriber explicitly marked this message as spam.",
        "Details": "Test spam complaint details",
    }


def settled(delivery: Delivery) -> Delivery:
    delivery.refresh_from_db()
    return delivery


# Sending -----------------------------------------------------------------------------


def test_the_welcome_goes_through_the_providers_api_and_keeps_its_id(welcomed, postmark):
    delivery = welcomed("ana@example.com")

    [request] = postmark.requests
    [(provider_id, accepted)] = postmark.accepted.items()
    assert accepted is request
    assert request.body["To"] == "ana@example.com"
    assert request.body["Subject"].startswith("Welcome to")
    assert "<html" in request.body["HtmlBody"]
    assert "/c/" in request.body["TextBody"]  # the card link, in the text part too
    delivery = settled(delivery)
    assert (delivery.state, delivery.provider_id) == (State.SENT, provider_id)
    assert request.header("Message-ID") == delivery.message_id  # ours, known before


def test_a_recipient_the_provider_has_marked_inactive_fails_at_once(welcomed, postmark):
    postmark.inactive.add("gone@example.com")

    delivery = settled(welcomed("gone@example.com"))

    assert (delivery.state, delivery.reason) == (State.FAILED, "refused")
    assert len(postmark.requests) == 1


def test_a_provider_outage_queues_the_message_again_and_the_sweeper_sends_it_once(
    welcomed, postmark, settings, django_capture_on_commit_callbacks
):
    postmark.fail_next(503)

    delivery = settled(welcomed("bea@example.com"))
    assert (delivery.state, delivery.attempts) == (State.QUEUED, 1)
    assert "503" in delivery.error
    settings.MESSAGING_STALE_MINUTES = 0
    with django_capture_on_commit_callbacks(execute=True):
        deliveries_sweep()
    with django_capture_on_commit_callbacks(execute=True):
        deliveries_sweep()

    delivery = settled(delivery)
    assert (delivery.state, delivery.attempts) == (State.SENT, 2)
    assert len(postmark.accepted) == 1


@pytest.mark.parametrize("outcome", ["server error", "no answer in time"])
def test_a_send_the_provider_may_have_taken_is_unknown_and_never_sent_again(
    outcome, welcomed, postmark, settings, django_capture_on_commit_callbacks
):
    if outcome == "server error":
        postmark.fail_next(500)
    else:
        postmark.answer_delay = 1.5  # past the URL's timeout=1

    delivery = settled(welcomed("cai@example.com"))
    settings.MESSAGING_STALE_MINUTES = 0
    with django_capture_on_commit_callbacks(execute=True):
        swept = deliveries_sweep()

    assert (delivery.state, delivery.reason) == (State.UNKNOWN, "no_answer")
    assert swept.resent == 0
    assert len(postmark.requests) == 1


def test_a_provider_that_cannot_be_reached_took_nothing(team, settings):
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.MAILERS = {
        "default": mailer_from_url(f"anymail+postmark://{TOKEN}@?api_url=http://127.0.0.1:{port}/")
    }
    member = enroll(team, email="dan@example.com")
    delivery = Delivery.objects.get(member=member, source="welcome")

    assert delivery_send(delivery_id=delivery.pk) == State.QUEUED
    assert settled(delivery).attempts == 1


# The provider's reports ----------------------------------------------------------------


def test_a_hard_bounce_report_suppresses_the_address_for_this_shop_only(
    welcomed, postmark, client, team, other_team, django_capture_on_commit_callbacks
):
    delivery = welcomed("ana@example.com")
    delivery = settled(delivery)

    response = report(client, postmark_bounce(delivery))

    assert response.status_code == 200
    assert settled(delivery).state == State.BOUNCED
    [suppressed] = Suppression.objects.all()
    assert (suppressed.merchant_id, suppressed.address, suppressed.reason) == (
        team.merchant.pk,
        "ana@example.com",
        SuppressionReason.BOUNCED,
    )
    assert suppressed.delivery_id == delivery.pk
    member = Member.objects.get(pk=delivery.member_id)
    with django_capture_on_commit_callbacks(execute=True):
        later = welcome_queue(member=member, occurrence="resend")  # a service message
    assert (later.state, later.reason) == (State.SUPPRESSED, "suppressed")
    assert len(postmark.requests) == 1

    with django_capture_on_commit_callbacks(execute=True):
        elsewhere = enroll(other_team, email="ana@example.com")  # another shop's customer
    assert Delivery.objects.get(member=elsewhere).state == State.SENT
    assert len(postmark.requests) == 2


def test_a_complaint_report_suppresses_the_address_and_withdraws_consent(
    welcomed, client, django_capture_on_commit_callbacks
):
    delivery = settled(welcomed("eva@example.com", consent_email=True))

    response = report(client, postmark_complaint(delivery))

    assert response.status_code == 200
    assert settled(delivery).state == State.COMPLAINED
    assert Suppression.objects.get().reason == SuppressionReason.COMPLAINED
    member = Member.objects.get(pk=delivery.member_id)
    assert member.consent_email is False
    with django_capture_on_commit_callbacks(execute=True):
        later = welcome_queue(member=member, occurrence="resend")
    assert later.state == State.SUPPRESSED


def test_a_soft_bounce_report_keeps_the_address(welcomed, client):
    delivery = settled(welcomed("fay@example.com"))

    response = report(client, postmark_bounce(delivery, kind="SoftBounce", type_code=4096))

    assert response.status_code == 200
    assert settled(delivery).state == State.SENT
    assert not Suppression.objects.exists()


@pytest.mark.parametrize("secret", ["postmark:wrong-password", None])
def test_a_report_without_the_secret_is_refused_and_changes_nothing(secret, welcomed, client):
    delivery = settled(welcomed("gil@example.com"))

    response = report(client, postmark_bounce(delivery), secret=secret)

    assert response.status_code == 400
    assert settled(delivery).state == State.SENT
    assert not Suppression.objects.exists()


def test_a_report_about_a_message_that_is_not_ours_changes_nothing(welcomed, client):
    delivery = settled(welcomed("hal@example.com"))
    stranger = Delivery(provider_id="6c9d1f2e-not-one-of-ours", address="hal@example.com")

    response = report(client, postmark_bounce(stranger))

    assert response.status_code == 200  # answered, so the provider does not retry it
    assert settled(delivery).state == State.SENT
    assert not Suppression.objects.exists()
