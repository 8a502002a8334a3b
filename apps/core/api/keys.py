"""API keys: issue, revoke, and recognise them on each request.

A key reads `fdz_<prefix>_<secret>`: the prefix (10 characters) finds the row and is
shown in the dashboard; the secret (32 characters of base 32, 160 random bits) is only
ever in the key the owner copied. The row keeps a SHA-256 of the whole key, compared in
constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, ngettext

from apps.accounts.models import User
from apps.core.api.models import ApiKey, ApiKeyScope
from apps.core.audit import audit_record
from apps.core.errors import DomainError
from apps.core.models import Merchant
from apps.core.stored_text import stored_text

KEY_START = "fdz_"
PREFIX_LENGTH = 10
# last_used_at is written at most once a minute per key: the dashboard needs the day,
# and a row updated on every request would serialise a busy storefront.
LAST_USED_EVERY_SECONDS = 60


def _random_base32(length: int) -> str:
    raw = secrets.token_bytes(length * 5 // 8 + 1)
    return base64.b32encode(raw).decode().lower().rstrip("=")[:length]


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    key: str  # shown once, never stored


@transaction.atomic(savepoint=False)
def api_key_create(*, merchant: Merchant, actor: User | None, name: str, scope: str) -> IssuedKey:
    name = (name or "").strip()
    if not name:
        raise DomainError(gettext("Name the key after what uses it (“Web shop”)."), field="name")
    if len(name) > 80:
        raise DomainError(
            ngettext(
                "Keep the name within %(max_length)d character.",
                "Keep the name within %(max_length)d characters.",
                80,
            )
            % {"max_length": 80},
            field="name",
        )
    if scope not in ApiKeyScope.values:
        raise DomainError(gettext("Choose read only or read and write."), field="scope")
    prefix = _random_base32(PREFIX_LENGTH)
    key = f"{KEY_START}{prefix}_{_random_base32(32)}"
    api_key = ApiKey.objects.create(
        merchant=merchant,
        name=name,
        prefix=prefix,
        secret_hash=_digest(key),
        scope=scope,
        created_by=actor,
    )
    # What a key may do, as the activity log names it (in a sentence: lower case).
    access = {
        ApiKeyScope.READ: gettext_noop("read only"),
        ApiKeyScope.WRITE: gettext_noop("read and write"),
    }[ApiKeyScope(scope)]
    audit_record(
        merchant=merchant,
        actor=actor,
        action="api_key.created",
        summary=stored_text(
            # Translators: %(prefix)s is the start of the key, %(access)s "read only" or similar.
            gettext_noop("Created the API key %(name)s (%(prefix)s…, %(access)s)"),
            name=name,
            prefix=prefix,
            access=stored_text(access),
        ),
        target=api_key,
    )
    return IssuedKey(api_key, key)


@transaction.atomic(savepoint=False)
def api_key_revoke(*, api_key: ApiKey, actor: User | None) -> bool:
    """Revoke at once: the next request with the key is refused. False if it already was."""
    revoked = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor
    )
    if revoked:
        audit_record(
            merchant=api_key.merchant,
            actor=actor,
            action="api_key.revoked",
            summary=stored_text(
                gettext_noop("Revoked the API key %(name)s (%(prefix)s…)"),
                name=api_key.name,
                prefix=api_key.prefix,
            ),
            target=api_key,
        )
    return bool(revoked)


def api_key_authenticate(key: str) -> ApiKey | None:
    """The active key this is, or None (unknown, malformed, wrong secret or revoked)."""
    if not key.startswith(KEY_START) or len(key) > 100:
        return None
    prefix, _sep, secret = key[len(KEY_START) :].partition("_")
    if len(prefix) != PREFIX_LENGTH or not secret:
        return None
    api_key = (
        ApiKey.objects.select_related("merchant")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .one_or_none()
    )
    if api_key is None or not hmac.compare_digest(api_key.secret_hash, _digest(key)):
        return None
    _note_use(api_key)
    return api_key


def _note_use(api_key: ApiKey) -> None:
    if cache.add(f"api-key-used:{api_key.pk}", 1, LAST_USED_EVERY_SECONDS):
        now = timezone.now()
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
