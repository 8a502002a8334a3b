"""Signed links to a member's own pages: no login, the signature is the authority.

A token names the member's public id and, for the card, the member's `link_version`:
`member_links_revoke` raises the version, so every older card link stops working (and
says so: `LinkRevoked`), while a tampered, expired or foreign token is `None` and shows
nothing. Unsubscribe links carry no version: a member who revoked a leaked card link must
still be able to stop the messages already in their inbox.

Each purpose has its own salt, so a card token is no unsubscribe token and the reverse.

The SMS unsubscribe token is short, because every character of a text is paid for: the
member's public id and 16 characters of an HMAC, with no timestamp (an unsubscribe link
must work for as long as the message is on the phone).
"""

from __future__ import annotations

import base64
import hmac

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import salted_hmac

from apps.members.models import Member

_SALT = "fideliza.member-link."
CARD = "card"
UNSUBSCRIBE_EMAIL = "unsubscribe-email"
UNSUBSCRIBE_SMS = "unsubscribe-sms"
ERASE = "erase"
DATA = "data"
_VERSIONED = {CARD, ERASE, DATA}


class LinkRevoked(Exception):
    """A genuine token from before the member's last revocation."""

    def __init__(self, member: Member):
        super().__init__("revoked")
        self.member = member


def _signer(purpose: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_SALT + purpose, algorithm="sha256")


def _max_age(purpose: str) -> int:
    days = settings.MEMBER_LINK_MAX_AGE_DAYS.get(purpose, 30)
    return days * 24 * 3600


def _short_mac(public_id: str, secret: str | None = None) -> str:
    digest = salted_hmac(
        _SALT + UNSUBSCRIBE_SMS, public_id, secret=secret, algorithm="sha256"
    ).digest()
    return base64.b32encode(digest[:10]).decode().lower()  # 16 characters


def _short_member(token: str) -> Member | None:
    """Checked against the current key and the fallbacks, as Django's signing is: links
    in texts already sent keep working while the key is rotated."""
    public_id, mac = f"mbr_{token[:-16]}", token[-16:].encode()
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    if len(token) <= 16 or not any(
        hmac.compare_digest(mac, _short_mac(public_id, secret).encode()) for secret in secrets
    ):
        return None
    return _active_member(public_id)


def _active_member(public_id: str) -> Member | None:
    return (
        Member.objects.active()
        .select_related("merchant")
        .filter(public_id=public_id)
        .order_by()
        .first()
    )


def member_token(*, member: Member, purpose: str) -> str:
    """`mbr_….2:timestamp:signature`: the public id, the version, when it was made."""
    if purpose == UNSUBSCRIBE_SMS:
        return member.public_id.removeprefix("mbr_") + _short_mac(member.public_id)
    version = member.link_version if purpose in _VERSIONED else 0
    return _signer(purpose).sign(f"{member.public_id}.{version}")


def member_for_token(*, token: str, purpose: str) -> Member | None:
    """The active member a genuine, unexpired token names; None for anything else.
    Raises `LinkRevoked` for a genuine token of an older version."""
    if purpose == UNSUBSCRIBE_SMS:
        return _short_member(token)
    try:
        value = _signer(purpose).unsign(token, max_age=_max_age(purpose))
    except signing.BadSignature:  # tampered, foreign, or expired (SignatureExpired)
        return None
    public_id, _dot, version = value.rpartition(".")
    member = _active_member(public_id)
    if member is None:
        return None
    if purpose in _VERSIONED and str(member.link_version) != version:
        raise LinkRevoked(member)
    return member


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def unsubscribe_url(*, member: Member, channel: str) -> str:
    purpose = UNSUBSCRIBE_EMAIL if channel == "email" else UNSUBSCRIBE_SMS
    token = member_token(member=member, purpose=purpose)
    return absolute(reverse("messaging:unsubscribe", args=[token]))
