"""API keys: issue, revoke, and recognise them on each request.

A key reads `fdz_<prefix>_<secret>`: the prefix (10 characters) finds the row and is
shown in the dashboard; the secret (32 characters of base 32, 160 random bits) is only
ever in the key the owner copied. The row keeps a SHA-256 of the whole key, compared in
constant time.

Each process remembers the keys it recognised for `API_KEY_CACHE_SECONDS` (5), with their
merchant row: a storefront's requests then read neither. A revocation, or a change to the
merchant's row, is forgotten at once in the process that makes it and within those seconds
in every other one; so is a change to the merchant's configuration (`merchant_config`
reads it under the remembered row's version until then).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, ngettext

from apps.accounts.models import User
from apps.core.api.models import ApiKey, ApiKeyScope
from apps.core.audit import audit_record
from apps.core.errors import DomainError
from apps.core.merchant_config import merchant_config_also_forget
from apps.core.models import Merchant
from apps.core.stored_text import stored_text

KEY_START = "fdz_"
PREFIX_LENGTH = 10
# last_used_at is written at most once a minute per key: the dashboard needs the day,
# and a row updated on every request would serialise a busy storefront.
LAST_USED_EVERY_SECONDS = 60

# prefix -> (when this process stops trusting it, time.monotonic(); the key, its merchant)
_recognised: dict[str, tuple[float, ApiKey]] = {}


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
        _forget(lambda known: known.pk == api_key.pk)
        transaction.on_commit(lambda: _forget(lambda known: known.pk == api_key.pk))
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
    api_key = _recently_recognised(prefix) or _read(prefix)
    if api_key is None or not hmac.compare_digest(api_key.secret_hash, _digest(key)):
        return None
    return api_key


def _recently_recognised(prefix: str) -> ApiKey | None:
    known = _recognised.get(prefix)
    if known is None or known[0] < time.monotonic():
        return None
    return known[1]


def _read(prefix: str) -> ApiKey | None:
    api_key = (
        ApiKey.objects.select_related("merchant")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .one_or_none()
    )
    if api_key is None:
        return None
    _note_use(api_key)
    if settings.API_KEY_CACHE_SECONDS > 0:
        _recognised[prefix] = (time.monotonic() + settings.API_KEY_CACHE_SECONDS, api_key)
    return api_key


def _note_use(api_key: ApiKey) -> None:
    """Written when the row says the last use is older than a minute: read again every few
    seconds per process, so every process sees the others' writes."""
    now = timezone.now()
    last = api_key.last_used_at
    if last is None or (now - last).total_seconds() >= LAST_USED_EVERY_SECONDS:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now


def _forget(which) -> None:
    for prefix, (_until, known) in list(_recognised.items()):
        if which(known):
            _recognised.pop(prefix, None)


def api_keys_forget_all() -> None:
    """Tests start each with no key remembered (a rolled back key's prefix is random, but
    its merchant's row may be reused under the same id)."""
    _recognised.clear()


def _forget_merchant(merchant_id: int) -> None:
    _forget(lambda known: known.merchant_id == merchant_id)


post_save.connect(
    lambda sender, instance, **kwargs: _forget_merchant(instance.pk), sender=Merchant, weak=False
)
merchant_config_also_forget(_forget_merchant)
