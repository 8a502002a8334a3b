"""Webhooks: events sent to the HTTPS endpoints an owner registered, signed, retried.

* `webhook_emit()` runs in the transaction of the change it reports and writes one
  delivery per endpoint that chose the event (an outbox): a delivery exists exactly when
  the change committed. After commit a task sends it.
* Each delivery is a POST of JSON, signed: `Fideliza-Signature: t=<unix time>,v1=<hex>`,
  the HMAC-SHA256 of `"<t>.<body>"` with the endpoint's secret (`signature_verify()`
  shows a receiver how to check it, refusing stale timestamps against replays).
* Any answer but 2xx (or no answer in 10 s) is retried with exponential back-off, up to
  `WEBHOOK_MAX_ATTEMPTS`, then the delivery is failed; a failed or delivered one can be
  replayed from the dashboard. Delivery is at least once: receivers dedupe on the
  event's `id`, which a retry or a replay keeps.
* Addresses must be HTTPS and public: an owner cannot make the server call into its own
  private network (`WEBHOOK_ALLOW_PRIVATE_HOSTS`/`WEBHOOK_ALLOW_HTTP` allow it for local
  development and tests). Redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.errors import DomainError
from apps.core.merchant_config import merchant_config, merchant_config_changed
from apps.core.models import Merchant
from apps.core.stored_text import stored_text
from apps.core.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent

SIGNATURE_HEADER = "Fideliza-Signature"
SIGNATURE_TOLERANCE_SECONDS = 300
TIMEOUT_SECONDS = 10
LEASE_SECONDS = 60  # an attempt in flight is not started again meanwhile


# Signing -------------------------------------------------------------------------------


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def signature_verify(*, secret: str, header: str, body: bytes, now: float | None = None) -> bool:
    """What a receiver does: the signature matches and its timestamp is recent."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
        return False
    expected = signature(secret=secret, timestamp=timestamp, body=body)
    return hmac.compare_digest(expected, header)


# Endpoints -----------------------------------------------------------------------------


def _address_refusal(url: str) -> str | None:
    """Why the server will not call this address, or None."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (settings.WEBHOOK_ALLOW_HTTP and parts.scheme == "http"):
        return gettext("Use an https:// address.")
    if not parts.hostname:
        return gettext("Give a full address, like https://shop.example.com/hooks/fideliza.")
    if settings.WEBHOOK_ALLOW_PRIVATE_HOSTS:
        return None
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, None)}
    except (socket.gaierror, UnicodeError):
        return gettext("That host name does not resolve.")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            return gettext("That address is in a private network; use a public one.")
    return None


@transaction.atomic(savepoint=False)
def endpoint_create(
    *, merchant: Merchant, actor: User | None, url: str, events: list[str], description: str = ""
) -> WebhookEndpoint:
    url = (url or "").strip()
    if len(url) > 500:
        raise DomainError(gettext("Keep the address within 500 characters."), field="url")
    if refusal := _address_refusal(url):
        raise DomainError(refusal, field="url")
    events = sorted(set(events or []))
    if not events or not set(events) <= set(WebhookEvent.values):
        raise DomainError(gettext("Choose at least one event."), field="events")
    endpoint = WebhookEndpoint.objects.create(
        merchant=merchant,
        url=url,
        description=(description or "").strip()[:120],
        events=events,
        secret=f"whsec_{secrets.token_hex(24)}",
        created_by=actor,
    )
    audit_record(
        merchant=merchant,
        actor=actor,
        action="webhook.endpoint_created",
        summary=stored_text(gettext_noop("Added the webhook endpoint %(url)s"), url=url),
        target=endpoint,
        data={"events": events},
    )
    return endpoint


@transaction.atomic(savepoint=False)
def endpoint_set_active(*, endpoint: WebhookEndpoint, actor: User | None, active: bool) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=active)
    merchant_config_changed(endpoint.merchant_id)
    audit_record(
        merchant=endpoint.merchant,
        actor=actor,
        action="webhook.endpoint_enabled" if active else "webhook.endpoint_disabled",
        summary=stored_text(
            gettext_noop("Enabled the webhook endpoint %(url)s")
            if active
            else gettext_noop("Disabled the webhook endpoint %(url)s"),
            url=endpoint.url,
        ),
        target=endpoint,
    )


# Emitting --------------------------------------------------------------------------------


class _PayloadEncoder(DjangoJSONEncoder):
    """Dates, decimals and ids as JSON; anything else an app put in as its text."""

    def default(self, o):
        try:
            return super().default(o)
        except TypeError:
            return str(o)


@merchant_config(WebhookEndpoint)
def active_endpoints(*, merchant: Merchant) -> tuple[WebhookEndpoint, ...]:
    return tuple(WebhookEndpoint.objects.filter(merchant=merchant, is_active=True))


def webhook_emit(*, merchant: Merchant, event: str, data: dict) -> int:
    """Queue `event` for every active endpoint of the merchant that chose it, in the
    caller's transaction; returns how many deliveries. Costs nothing when the merchant has
    no endpoint for it (the endpoints are read once per configuration version)."""
    endpoints = [
        endpoint for endpoint in active_endpoints(merchant=merchant) if event in endpoint.events
    ]
    if not endpoints:
        return 0
    merchant_id = merchant.pk
    payload = json.loads(
        json.dumps(
            {
                "id": f"evt_{secrets.token_hex(12)}",
                "type": event,
                "created_at": timezone.now().isoformat(),
                "data": data,
            },
            cls=_PayloadEncoder,
        )
    )
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                merchant_id=merchant_id, endpoint=endpoint, event=event, payload=payload
            )
            for endpoint in endpoints
        ]
    )
    ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: _enqueue(ids))
    return len(ids)


def _enqueue(ids: list[int], countdown: float | None = None) -> None:
    from apps.core.webhooks.tasks import webhook_deliver

    for delivery_id in ids:
        webhook_deliver.apply_async((delivery_id,), countdown=countdown)


# Sending ---------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _post(url: str, body: bytes, headers: dict) -> int:
    """The status code of the POST; raises OSError when there is no answer."""
    # The scheme is http(s) only: _address_refusal checked it just before.
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def retry_delay(*, attempts: int) -> timedelta:
    """After the n-th failed attempt: base × 2^(n-1) (30 s, 1 min, 2 min … by default)."""
    return timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1))


def delivery_attempt(
    *, delivery_id: int, now: datetime | None = None, schedule_retry: bool = False
) -> str:
    """Send one pending delivery once, if it is due; returns its status afterwards. Safe to
    run twice at once: the attempt is claimed by a conditional UPDATE first. With
    `schedule_retry` (a worker's task) a failure queues the next attempt at its time;
    otherwise the sweeper (`deliveries_retry_due`) picks it up when due."""
    now = now or timezone.now()
    # The lease runs from the claim, not from `now`: a sweeper working through a backlog
    # claims its last rows long after it started, and the next sweeper must not take them.
    leased_from = max(now, timezone.now())
    claimed = WebhookDelivery.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        pk=delivery_id,
        status=DeliveryStatus.PENDING,
    ).update(
        attempts=F("attempts") + 1,
        last_attempt_at=now,
        next_attempt_at=leased_from + timedelta(seconds=LEASE_SECONDS),
    )
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    if not claimed:
        return delivery.status
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    code, error = None, ""
    if refusal := _address_refusal(endpoint.url):
        error = refusal
    else:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Fideliza-Webhooks/1",
            "Fideliza-Event": delivery.event,
            "Fideliza-Delivery": str(delivery.pk),
            SIGNATURE_HEADER: signature(
                secret=endpoint.secret, timestamp=int(time.time()), body=body
            ),
        }
        try:
            code = _post(endpoint.url, body, headers)
        except (OSError, ValueError) as failure:
            error = str(failure)[:255] or failure.__class__.__name__
    return _record_outcome(delivery, code=code, error=error, now=now, schedule=schedule_retry)


def _record_outcome(
    delivery: WebhookDelivery, *, code: int | None, error: str, now, schedule: bool
) -> str:
    changes: dict = {"last_status_code": code, "last_error": error}
    if code is not None and 200 <= code < 300:
        changes |= {
            "status": DeliveryStatus.DELIVERED,
            "delivered_at": now,
            "next_attempt_at": None,
        }
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        changes |= {"status": DeliveryStatus.FAILED, "next_attempt_at": None}
    else:
        delay = retry_delay(attempts=delivery.attempts)
        changes["next_attempt_at"] = now + delay
        if schedule:
            transaction.on_commit(lambda: _enqueue([delivery.pk], delay.total_seconds()))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**changes)
    return changes.get("status", DeliveryStatus.PENDING)


# A delivery never tried this long after it was written lost its task (the broker was
# down when it was queued, or the process ended right after the commit).
NEVER_QUEUED_AFTER = timedelta(minutes=1)


def deliveries_retry_due(*, now: datetime | None = None, batch: int = 500) -> int:
    """The sweeper (every minute): send again what is due, including attempts whose task
    was lost with its worker, and deliveries whose first task never reached the broker.
    Returns how many were tried."""
    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
        .filter(
            Q(next_attempt_at__lte=now)
            | Q(next_attempt_at__isnull=True, created_at__lte=now - NEVER_QUEUED_AFTER)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:batch]
    )
    for delivery_id in due:
        delivery_attempt(delivery_id=delivery_id, now=now)
    return len(due)


@transaction.atomic(savepoint=False)
def delivery_replay(*, delivery: WebhookDelivery, actor: User | None) -> WebhookDelivery:
    """Send the same event (same id) again to the same endpoint, as a new delivery."""
    if delivery.status == DeliveryStatus.PENDING:
        raise DomainError(gettext("This delivery is still being sent."), code="delivery_pending")
    replay = WebhookDelivery.objects.create(
        merchant_id=delivery.merchant_id,
        endpoint=delivery.endpoint,
        event=delivery.event,
        payload=delivery.payload,
        replay_of=delivery,
    )
    audit_record(
        merchant=delivery.merchant,
        actor=actor,
        action="webhook.delivery_replayed",
        summary=stored_text(
            # Translators: %(event)s is an event's code, e.g. purchase.recorded.
            gettext_noop("Replayed %(event)s to %(url)s"),
            event=delivery.event,
            url=delivery.endpoint.url,
        ),
        target=replay,
    )
    transaction.on_commit(lambda: _enqueue([replay.pk]))
    return replay
