"""`Idempotency-Key` for every POST of the API (as Stripe and the IETF draft describe).

A storefront that retries a POST with the same key gets the first answer again and no
second effect:

* the same key and the same request (method, path, body) replays the stored answer, with
  `Idempotent-Replayed: true`;
* the same key with another request answers 422 (`idempotency_key_reused`);
* the same key while the first request is still running answers 409
  (`idempotency_key_in_use`), and never waits on it.

The decorator opens the request's one transaction, with or without a key (the services
the view calls run inside it, without savepoints). The answer is stored in that same
transaction, so a request that fails or dies stores nothing and may be retried with its
key. Only successful answers (2xx) are kept, and only they commit: a refusal
(insufficient points, say) is not an effect to protect. A transaction-scoped advisory
lock on the key (`lock_objects.idempotency_key_lock`) tells a running duplicate apart
(PostgreSQL; SQLite runs one writer at a time anyway). Records are kept
`IDEMPOTENCY_KEEP_HOURS` (48).
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.response import Response

from apps.core.api.models import IdempotencyRecord
from apps.core.errors import Conflict, DomainError
from apps.core.lock_objects import idempotency_key_lock
from apps.core.transactions import edge_transaction

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 422


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            gettext("This %(header)s was used for another request.") % {"header": HEADER},
            field=HEADER,
        )
    response = Response(record.response_body, status=record.response_status)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(handler):
    """Decorate an API view's `post`: the request's one transaction, opened here (the
    services it calls open none of their own, nor a savepoint); with an Idempotency-Key
    header, at most one effect."""

    @wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if len(key) > MAX_KEY_LENGTH:
            raise DomainError(
                gettext("Keep the %(header)s within 255 characters.") % {"header": HEADER},
                field=HEADER,
            )
        merchant = request.auth.merchant
        with edge_transaction():
            if key:
                fingerprint = _fingerprint(request)
                records = IdempotencyRecord.objects.for_merchant(merchant).filter(key=key)
                locked, stored = idempotency_key_lock(
                    merchant=merchant, key=key, also_read=records.values_list("pk", flat=True)
                )
                if not locked:
                    raise IdempotencyKeyInUse(
                        gettext("A request with this %(header)s is still running: retry shortly.")
                        % {"header": HEADER},
                        field=HEADER,
                    )
                if stored is not None:
                    return _replay(records.get(pk=stored), fingerprint)
            response = handler(view, request, *args, **kwargs)
            if not 200 <= response.status_code < 300:
                transaction.set_rollback(True)
                return response
            if key:
                _record(merchant=merchant, key=key, fingerprint=fingerprint, response=response)
            return response

    return wrapper


def _record(*, merchant, key: str, fingerprint: str, response: Response) -> None:
    """Store the answer in the request's transaction: it exists exactly when the work
    committed."""
    try:
        # No savepoint (a round trip each way): a failure here undoes everything.
        with transaction.atomic(savepoint=False):
            IdempotencyRecord.objects.create(
                merchant=merchant,
                key=key,
                fingerprint=fingerprint,
                response_status=response.status_code,
                response_body=response.data,
            )
    except IntegrityError:  # a twin committed first (just before our lock): undo ours
        transaction.set_rollback(True)
        raise IdempotencyKeyInUse(
            gettext("A request with this %(header)s was just answered: retry it.")
            % {"header": HEADER},
            field=HEADER,
        ) from None


def idempotency_records_purge(*, now=None) -> int:
    """Daily: forget keys older than `IDEMPOTENCY_KEEP_HOURS`."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.IDEMPOTENCY_KEEP_HOURS)
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
