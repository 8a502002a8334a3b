"""Sending one delivery, at most once.

Three short transactions, each committed before the next step, so a worker that dies
leaves the row in a state that says what happened:

1. claim: `queued → claimed` (a conditional UPDATE: of two workers, one wins);
2. the checks again, the rendering, then `claimed → sending` with the address and the
   Message-ID, committed before the provider is called;
3. the provider's answer: `sending → sent` (or failed, or queued again when nothing can
   have reached it, or unknown when it may have and no answer says so).

A worker killed in step 2 left a `claimed` row: nothing was handed over, and the sweeper
queues it again. One killed in step 3 left a `sending` row that may have gone: the
sweeper marks it `unknown` instead of sending it twice, and the provider's own report
(`services/tracking.py`) may settle it later.
"""

from __future__ import annotations

import logging
import smtplib
from zoneinfo import ZoneInfo

from anymail.exceptions import AnymailAPIError, AnymailError, AnymailRecipientsRefused
from django.db import connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from urllib3.exceptions import ConnectTimeoutError

from apps.core.extensions import message_source
from apps.members.models import Member
from apps.members.selectors import member_language
from apps.messaging.batch import current_batch, deliveries_batch, email_deliver
from apps.messaging.content import EmailContent, Envelope, email_build, new_message_id
from apps.messaging.links import absolute, unsubscribe_url
from apps.messaging.models import Channel, Delivery, Purpose, State
from apps.messaging.selectors import member_address, messaging_settings
from apps.messaging.services.verdict import Verdict, delivery_verdict
from apps.messaging.sms import SmsError, sms_send

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Refusals that will not change on a retry: the address or the message is refused (by
# the SMTP server, or by a provider's API: anymail's own refusal).
_PERMANENT = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, AnymailRecipientsRefused)
# Failures before anything was handed over: the next attempt may succeed.
_NOT_HANDED_OVER = (smtplib.SMTPConnectError, ConnectionRefusedError, smtplib.SMTPHeloError)
# A provider's API answering one of these took nothing: a refusal of the request (a bad
# key, a rate limit, ...) or "unavailable". Any other error may come after it took the
# message (a gateway's timeout, a crash): that send is unknown, never tried again.
_PROVIDER_TOOK_NOTHING = frozenset(range(400, 500)) | {503}


def _move(delivery_id: int, *, frm: str | tuple[str, ...], to: str, **fields) -> bool:
    """One conditional step of the state machine; False when another worker (or the
    sweeper) moved the row first."""
    states = (frm,) if isinstance(frm, str) else frm
    return bool(
        Delivery.objects.filter(pk=delivery_id, state__in=states).update(state=to, **fields)
    )


# A send slower than the sweeper's patience was marked unknown; its answer still counts.
_HANDED_OVER = (State.SENDING, State.UNKNOWN)


# The two steps every message takes, written as SQL: a campaign sends many messages a
# second, and the ORM spent more time building these two UPDATEs than PostgreSQL spent
# running them (1.8 of the 11 ms of CPU a send took). Names come from the models.
_DELIVERIES = Delivery._meta.db_table
_MEMBERS = Member._meta.db_table
_HAND_OVER_SQL = f"""
    UPDATE {_DELIVERIES} SET state = %s, address = %s, message_id = %s
    WHERE id = %s AND state = %s AND EXISTS (
        SELECT 1 FROM {_MEMBERS}
        WHERE {_MEMBERS}.id = {_DELIVERIES}.member_id AND {_MEMBERS}.erased_at IS NULL
    )
"""  # noqa: S608 (table names from the models, values as parameters)
_SENT_SQL = f"""
    UPDATE {_DELIVERIES} SET state = %s, sent_at = %s, provider_id = %s
    WHERE id = %s AND state IN (%s, %s)
"""  # noqa: S608


def _hand_over(delivery_id: int, *, address: str, message_id: str = "") -> bool:
    """`claimed → sending`, unless the member was erased since the claim (the erasure
    cleared the address this would write back): the row stays claimed, and the sweeper's
    next attempt finds the member inactive and skips it."""
    with connection.cursor() as cursor:
        cursor.execute(
            _HAND_OVER_SQL, [State.SENDING, address, message_id, delivery_id, State.CLAIMED]
        )
        return cursor.rowcount == 1


def _sent(delivery_id: int, *, provider_id: str) -> None:
    """`sending → sent` (or `unknown → sent`: a send slower than the sweeper's patience
    was marked unknown; its answer still counts)."""
    sent_at = Delivery._meta.get_field("sent_at").get_db_prep_value(timezone.now(), connection)
    with connection.cursor() as cursor:
        cursor.execute(_SENT_SQL, [State.SENT, sent_at, provider_id, delivery_id, *_HANDED_OVER])


def _claim(delivery_id: int) -> bool:
    return _move(
        delivery_id,
        frm=State.QUEUED,
        to=State.CLAIMED,
        claimed_at=timezone.now(),
        attempts=F("attempts") + 1,
    )


def delivery_send(*, delivery_id: int) -> str:
    """Send this delivery if it is still queued; returns the state it was left in. Alone,
    it is a batch of one: what its source reads for it (an automation's row, for the
    hold, the offer and the text) is read once."""
    if current_batch() is None:
        with deliveries_batch():
            return _delivery_send(delivery_id)
    return _delivery_send(delivery_id)


def _delivery_send(delivery_id: int) -> str:
    if not _claim(delivery_id):
        return Delivery.objects.filter(pk=delivery_id).values_list("state", flat=True).first()
    delivery = Delivery.objects.select_related("member__merchant").get(pk=delivery_id)
    member = delivery.member
    verdict = delivery_verdict(member=member, channel=delivery.channel, purpose=delivery.purpose)
    return delivery_send_claimed(delivery=delivery, verdict=verdict)


def delivery_send_claimed(*, delivery: Delivery, verdict: Verdict) -> str:
    """Steps 2 and 3 for a row this worker claimed (alone, or with its batch: see
    `services/batch_sending.py`), its member and merchant read with it, and the checks'
    `verdict` on it."""
    member = delivery.member
    if verdict.state != State.QUEUED:
        _move(delivery.pk, frm=State.CLAIMED, to=verdict.state, reason=verdict.reason)
        return verdict.state
    source = message_source(delivery.source.partition(":")[0])
    if source is None:
        _move(delivery.pk, frm=State.CLAIMED, to=State.FAILED, reason="unknown_source")
        return State.FAILED
    if source.held is not None and source.held(delivery, timezone.now()):
        # Back in the queue, stamped now: the sweeper comes back to it (sweep.py).
        _move(delivery.pk, frm=State.CLAIMED, to=State.QUEUED)
        return State.QUEUED
    skipped = source.before_send(delivery) if source.before_send is not None else None
    if skipped:
        _move(delivery.pk, frm=State.CLAIMED, to=State.SKIPPED, reason=skipped)
        return State.SKIPPED
    content = _rendered(source, delivery, member)
    if delivery.channel == Channel.EMAIL:
        return _send_email(delivery, member, content)
    return _send_sms(delivery, member, content)


def _rendered(source, delivery: Delivery, member: Member):
    merchant = member.merchant
    with (
        translation.override(member_language(member=member)),
        timezone.override(ZoneInfo(merchant.timezone)),
    ):
        return source.render(delivery)


def _envelope(delivery: Delivery, member: Member) -> Envelope:
    settings = messaging_settings(merchant=member.merchant)
    marketing = delivery.purpose == Purpose.MARKETING
    return Envelope(
        merchant=member.merchant,
        to=member_address(member=member, channel=Channel.EMAIL),
        message_id=new_message_id(delivery_id=delivery.pk, domain=settings.message_id_domain),
        reply_to=settings.reply_to,
        unsubscribe_url=unsubscribe_url(member=member, channel=Channel.EMAIL) if marketing else "",
        unsubscribe_mailto=settings.reply_to if marketing else "",
    )


def _send_email(delivery: Delivery, member: Member, content: EmailContent) -> str:
    envelope = _envelope(delivery, member)
    message = email_build(content=content, envelope=envelope)
    if not _hand_over(delivery.pk, address=envelope.to, message_id=envelope.message_id):
        return State.QUEUED  # the sweeper took it back, or the member was erased
    try:
        email_deliver(message)
    except _PERMANENT as error:
        return _failed(delivery, str(error), permanent=True)
    except _NOT_HANDED_OVER as error:
        return _failed(delivery, str(error), permanent=False)
    except AnymailAPIError as error:
        if error.status_code in _PROVIDER_TOOK_NOTHING or _never_connected(error):
            return _failed(delivery, str(error), permanent=False)
        _move(delivery.pk, frm=State.SENDING, to=State.UNKNOWN, reason="no_answer")
        return State.UNKNOWN
    except AnymailError as error:  # refused before any request: an address, a feature
        return _failed(delivery, str(error), permanent=True)
    status = getattr(message, "anymail_status", None)
    provider_id = (status.message_id if status else None) or envelope.message_id
    _sent(delivery.pk, provider_id=str(provider_id)[:255])
    return State.SENT


def _sms_body(delivery: Delivery, member: Member, content) -> str:
    """A marketing text ends with the short link that stops them (the same preferences
    as email's one-click unsubscribe), in the member's language."""
    if delivery.purpose != Purpose.MARKETING:
        return content.body
    url = unsubscribe_url(member=member, channel=Channel.SMS)
    with translation.override(member_language(member=member)):
        # Translators: the last line of a marketing SMS; keep it short (it is paid for).
        return content.body + "\n" + gettext("Stop: %(url)s") % {"url": url}


def _never_connected(error: AnymailAPIError) -> bool:
    """The provider's API was never reached (refused, unresolved, timed out connecting)."""
    cause = error.__cause__  # requests' error, around urllib3's
    reason = getattr(cause.args[0], "reason", None) if cause and cause.args else None
    return isinstance(reason, ConnectTimeoutError)


def _send_sms(delivery: Delivery, member: Member, content) -> str:
    to = member_address(member=member, channel=Channel.SMS)
    if not _hand_over(delivery.pk, address=to):
        return State.QUEUED
    try:
        sent = sms_send(
            to=to, body=_sms_body(delivery, member, content), status_callback=_sms_callback_url()
        )
    except SmsError as error:
        if error.maybe_sent:  # the request left and no answer came: it may have gone
            _move(delivery.pk, frm=State.SENDING, to=State.UNKNOWN, reason="no_answer")
            return State.UNKNOWN
        return _failed(delivery, f"{error.code}: {error}", permanent=error.permanent)
    _sent(delivery.pk, provider_id=sent.provider_id)
    return State.SENT


def _sms_callback_url() -> str:
    return absolute(reverse("messaging:sms_status"))


def _failed(delivery: Delivery, error: str, *, permanent: bool) -> str:
    """A refusal is final; a failure before the hand-off goes back to the queue for the
    sweeper's next round, until the attempts run out."""
    logger.warning("delivery %s failed: %s", delivery.pk, error)
    retry = not permanent and delivery.attempts < MAX_ATTEMPTS
    state = State.QUEUED if retry else State.FAILED
    _move(
        delivery.pk,
        frm=_HANDED_OVER,
        to=state,
        error=error[:255],
        reason="" if retry else ("refused" if permanent else "attempts_exhausted"),
    )
    return state
