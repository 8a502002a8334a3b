"""Webhooks against a real HTTP(S) receiver on this machine: signed, retried, replayed."""

import ipaddress
import json
import ssl
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.core.errors import DomainError
from apps.core.webhooks import services as webhooks
from apps.core.webhooks.models import DeliveryStatus, WebhookDelivery
from apps.core.webhooks.services import (
    deliveries_retry_due,
    endpoint_create,
    signature_verify,
    webhook_emit,
)
from tests.celery_worker import celery_worker_on_redis
from tests.members.factories import enroll
from tests.programs.factories import buy
from tests.waiting import wait_for

pytestmark = pytest.mark.django_db


class Receiver:
    """A local endpoint answering the scripted statuses in turn (then 200), recording
    every request it gets."""

    def __init__(self, certificate: tuple[Path, Path] | None = None):
        self.statuses: list[int] = []
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if certificate is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*certificate)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self) -> list[dict]:
        return [json.loads(request["body"]) for request in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.close()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, signed by its own key: (certificate, key) files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_file, key_file = folder / "receiver.pem", folder / "receiver.key"
    certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate_file, key_file


@pytest.fixture
def https_receiver(tmp_path):
    certificate = self_signed_certificate(tmp_path)
    running = Receiver(certificate)
    running.certificate_file = certificate[0]
    yield running
    running.close()


def subscribe(team, url: str, events=("member.enrolled",)):
    return endpoint_create(merchant=team.merchant, actor=team.owner, url=url, events=list(events))


def test_an_enrollment_reaches_the_endpoint_signed(
    team, other_team, receiver, django_capture_on_commit_callbacks
):
    endpoint = subscribe(team, receiver.url)
    subscribe(other_team, receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        member = enroll(team, first_name="Ana", phone="611 000 001")

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert signature_verify(
        secret=endpoint.secret,
        header=request["headers"]["Fideliza-Signature"],
        body=request["body"],
    )
    assert not signature_verify(
        secret="whsec_other", header=request["headers"]["Fideliza-Signature"], body=request["body"]
    )
    assert request["headers"]["Fideliza-Event"] == "member.enrolled"
    event = receiver.events()[0]
    assert event["type"] == "member.enrolled"
    assert event["data"]["member"]["id"] == member.public_id
    assert event["id"].startswith("evt_")
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)


def test_a_stale_or_tampered_signature_does_not_verify():
    body = b'{"id":"evt_1"}'
    now = time.time()
    from apps.core.webhooks.services import signature

    header = signature(secret="whsec_x", timestamp=int(now) - 600, body=body)

    assert not signature_verify(secret="whsec_x", header=header, body=body, now=now)
    assert signature_verify(secret="whsec_x", header=header, body=body, now=now - 600)
    assert not signature_verify(secret="whsec_x", header=header, body=body + b" ", now=now - 600)
    assert not signature_verify(secret="whsec_x", header="garbage", body=body)


def test_only_chosen_events_of_active_endpoints_are_sent(
    team, receiver, django_capture_on_commit_callbacks
):
    subscribe(team, receiver.url, events=["purchase.recorded"])
    off = subscribe(team, receiver.url, events=["member.enrolled"])
    off.is_active = False
    off.save()

    with django_capture_on_commit_callbacks(execute=True):
        member = enroll(team, first_name="Ana", phone="611 000 001")
        buy(team, member, 1250, external_id="T-1")

    events = receiver.events()
    assert [event["type"] for event in events] == ["purchase.recorded"]
    data = events[0]["data"]
    assert data["purchase"] == {
        "external_id": "T-1",
        "member": member.public_id,
        "amount": 1250,
        "currency": "EUR",
        "location": None,
        "occurred_at": data["purchase"]["occurred_at"],
    }
    assert data["points_earned"] == data["points_balance"] > 0


def test_nothing_is_sent_for_a_change_that_rolled_back(
    team, receiver, django_capture_on_commit_callbacks
):
    subscribe(team, receiver.url)

    def failing_change():
        with transaction.atomic():
            webhook_emit(merchant=team.merchant, event="member.enrolled", data={})
            raise RuntimeError("the change failed")

    with django_capture_on_commit_callbacks(execute=True):
        pytest.raises(RuntimeError, failing_change)

    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_a_500_is_retried_with_back_off_and_then_delivered(
    team, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    receiver.statuses = [500]
    endpoint = subscribe(team, receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        enroll(team, first_name="Ana", phone="611 000 001")

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at - delivery.last_attempt_at == timedelta(seconds=30)
    assert deliveries_retry_due(now=timezone.now()) == 0  # not due yet

    assert deliveries_retry_due(now=timezone.now() + timedelta(seconds=31)) == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    first, second = receiver.events()
    assert first["id"] == second["id"]  # a retry keeps the event id: receivers dedupe on it


def test_after_the_last_attempt_it_fails_and_a_replay_delivers(
    team, receiver, settings, client_as, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.statuses = [503, 502]
    endpoint = subscribe(team, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        enroll(team, first_name="Ana", phone="611 000 001")
    deliveries_retry_due(now=timezone.now() + timedelta(hours=1))
    failed = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (failed.status, failed.attempts, failed.next_attempt_at) == ("failed", 2, None)
    owner = client_as(team.owner)
    page = owner.get(reverse("core:webhook_detail", args=[endpoint.pk])).content.decode()
    assert "HTTP 502" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(reverse("core:webhook_replay", args=[failed.pk]))

    assert response.status_code == 302
    replay = WebhookDelivery.objects.exclude(pk=failed.pk).get()
    assert (replay.status, replay.replay_of_id) == ("delivered", failed.pk)
    assert receiver.events()[-1]["id"] == failed.payload["id"]


def test_an_endpoint_that_does_not_answer_is_an_error_not_a_crash(
    team, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    endpoint = subscribe(team, "http://127.0.0.1:9/nothing-listens")

    with django_capture_on_commit_callbacks(execute=True):
        enroll(team, first_name="Ana", phone="611 000 001")

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code is None
    assert delivery.last_error


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://shop.example.com/hooks", "https"),
        ("https://127.0.0.1/hooks", "private network"),
        ("https://10.1.2.3/hooks", "private network"),
        ("https://[::1]/hooks", "private network"),
        ("https:///nohost", "full address"),
    ],
)
def test_addresses_must_be_public_https(team, settings, url, message):
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False

    with pytest.raises(DomainError, match=message) as refused:
        subscribe(team, url)

    assert refused.value.field == "url"


def test_the_owner_adds_an_endpoint_with_a_form(team, client_as):
    owner = client_as(team.owner)

    bad = owner.post(reverse("core:webhooks"), {"url": "https://hooks.example.com/x"})
    good = owner.post(
        reverse("core:webhooks"),
        {"url": "https://hooks.example.com/x", "events": ["tier.changed", "coupon.issued"]},
    )

    assert bad.status_code == 400
    assert bad.context["form"].errors["events"]
    assert good.status_code == 302
    page = owner.get(good["Location"]).content.decode()
    assert "whsec_" in page
    assert "coupon.issued" in page


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_redis_retries_after_a_500_on_its_own(team, receiver, settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.3
    receiver.statuses = [500]
    endpoint = subscribe(team, receiver.url)

    with celery_worker_on_redis("webhooks"):
        enroll(team, first_name="Ana", phone="611 000 001")
        wait_for(
            WebhookDelivery.objects.filter(endpoint=endpoint, status="delivered").exists,
            timeout=20,
            message="the worker to deliver",
        )

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.attempts == 2
    assert len(receiver.requests) == 2


def test_tier_changes_and_issued_coupons_are_sent(team, receiver):
    from apps.demo.coupons import configure_demo_cashback
    from apps.demo.tiers import configure_demo_tiers

    configure_demo_tiers(team.merchant)  # Bronce at 100.00 spent in 12 months
    configure_demo_cashback(team.merchant)  # 5 %: a 10.00 coupon each time
    subscribe(team, receiver.url, events=["tier.changed", "coupon.issued"])
    member = enroll(team, first_name="Ana", phone="611 000 001")

    buy(team, member, 24_000, external_id="T-1", run_on_commit=True)

    events = {event["type"]: event["data"] for event in receiver.events()}
    assert events["tier.changed"]["to_tier"] == "Bronce"
    assert events["tier.changed"]["member"] == member.public_id
    assert events["coupon.issued"]["value"] == 1000
    assert events["coupon.issued"]["source"] == "cashback"


def test_points_about_to_expire_are_announced_once_per_stage(
    team, receiver, django_capture_on_commit_callbacks
):
    from apps.programs.points.models import Lot
    from apps.programs.points.reminders import points_expiring_announce
    from apps.programs.points.services import points_adjust

    subscribe(team, receiver.url, events=["points.expiring"])
    soon, later = (
        enroll(team, first_name="Ana", phone="611 000 001"),
        enroll(team, first_name="Bea", phone="611 000 002"),
    )
    points_adjust(member=soon, points=120, reason="given", actor=team.manager)
    points_adjust(member=later, points=80, reason="given", actor=team.manager)
    now = timezone.now()
    Lot.objects.filter(member=soon).update(expires_at=now + timedelta(days=10))
    Lot.objects.filter(member=later).update(expires_at=now + timedelta(days=90))

    with django_capture_on_commit_callbacks(execute=True):
        first = points_expiring_announce(now=now)
    with django_capture_on_commit_callbacks(execute=True):
        again = points_expiring_announce(now=now + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        final = points_expiring_announce(now=now + timedelta(days=4))

    assert (first, again, final) == (1, 0, 1)
    events = receiver.events()
    assert [event["type"] for event in events] == ["points.expiring"] * 2
    assert [
        (event["data"]["member"], event["data"]["points"], event["data"]["days_before"])
        for event in events
    ] == [(soon.public_id, 120, 30), (soon.public_id, 120, 7)]


def test_over_https_a_delivery_arrives_when_the_certificate_is_trusted_and_never_otherwise(
    team, https_receiver, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """Production's rule (https only), against a TLS receiver: an address whose certificate
    does not verify gets nothing and the delivery waits for a retry; once the certificate
    is trusted (here: added to the sender's trust store) the next attempt arrives signed."""
    settings.WEBHOOK_ALLOW_HTTP = False
    assert https_receiver.url.startswith("https://")
    endpoint = subscribe(team, https_receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        enroll(team, first_name="Ana", phone="611 000 001")
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.PENDING, None)
    assert "CERTIFICATE_VERIFY_FAILED" in delivery.last_error
    assert https_receiver.requests == []

    trusting = ssl.create_default_context(cafile=https_receiver.certificate_file)
    monkeypatch.setattr(
        webhooks,
        "_opener",
        urllib.request.build_opener(
            webhooks._NoRedirect, urllib.request.HTTPSHandler(context=trusting)
        ),
    )
    assert deliveries_retry_due(now=timezone.now() + timedelta(hours=1)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 200)
    [request] = https_receiver.requests
    assert signature_verify(
        secret=endpoint.secret,
        header=request["headers"]["Fideliza-Signature"],
        body=request["body"],
    )
