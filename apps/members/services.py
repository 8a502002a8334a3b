"""Writes for members: enroll, update, consent, notes, tags, merge, erase.

The counter, the manager pages, the CSV import and (later) the API all call these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.core.errors import Conflict, DomainError
from apps.core.models import Location, Merchant, WebhookEvent
from apps.core.services import audit_record
from apps.core.stored_text import StoredText, stored_list, stored_text, summary_and_data
from apps.core.webhooks import webhook_emit

from .identifiers import (
    InvalidIdentifier,
    new_card_code,
    normalize_email,
    normalize_phone,
    search_text,
)
from .lock_objects import members_lock
from .models import Channel, EventKind, Member, MemberEvent, Tag


class DuplicateMember(Conflict):
    """The phone or email belongs to a member already; `member` is that member."""

    code = "duplicate_member"

    def __init__(self, message: str, *, member: Member, field: str):
        super().__init__(message, field=field)
        self.member = member

    @property
    def details(self) -> dict:
        return {"member": self.member.public_id}


@dataclass(frozen=True)
class EnrollResult:
    member: Member
    created: bool  # False when an external id named a member enrolled before (a retry)


def clean_phone(merchant: Merchant, raw: str) -> str | None:
    if not raw or not raw.strip():
        return None
    try:
        return normalize_phone(raw, merchant.country.code)
    except InvalidIdentifier as error:
        raise DomainError(str(error), field="phone") from error


def clean_email(raw: str) -> str | None:
    if not raw or not raw.strip():
        return None
    try:
        return normalize_email(raw)
    except InvalidIdentifier as error:
        raise DomainError(str(error), field="email") from error


def clean_name_part(value: str, field: str) -> str:
    value = " ".join((value or "").split())
    if len(value) > 80:
        raise DomainError(gettext("Keep names within 80 characters."), field=field)
    return value


def clean_language(value: str) -> str:
    """A language Fideliza speaks (settings.LANGUAGES), or "" for the merchant's."""
    value = (value or "").strip()
    if value and value not in dict(settings.LANGUAGES):
        codes = ", ".join(code for code, _name in settings.LANGUAGES)
        raise DomainError(
            # Translators: %(language)s is the code refused, %(codes)s the codes accepted
            # ("es, ro, en").
            gettext("“%(language)s” is not a language Fideliza speaks (%(codes)s).")
            % {"language": value, "codes": codes},
            field="language",
        )
    return value


def _refuse_duplicates(
    merchant: Merchant, *, phone: str | None, email: str | None, exclude_pk: int | None = None
) -> None:
    contact = Q(pk__in=[])
    if phone:
        contact |= Q(phone=phone)
    if email:
        contact |= Q(email=email)
    others = Member.objects.for_merchant(merchant).filter(contact)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    for existing in others[:2]:  # one query for both identifiers
        if phone and existing.phone == phone:
            raise DuplicateMember(
                _duplicate_message("phone", existing), member=existing, field="phone"
            )
        raise DuplicateMember(_duplicate_message("email", existing), member=existing, field="email")


def _duplicate_message(field: str, existing: Member) -> str:
    """Who already has this phone, email or external id."""
    name = {"name": existing.display_name}
    if field == "phone":
        # Translators: %(name)s is the member who has the number (or "Erased member").
        return gettext("%(name)s already has this phone number.") % name
    if field == "email":
        # Translators: %(name)s is the member who has the email (or "Erased member").
        return gettext("%(name)s already has this email.") % name
    # Translators: %(name)s is the member who has the id of the business's old system.
    return gettext("%(name)s already has this external id.") % name


def _set_search_names(member: Member) -> None:
    member.search_name = search_text(member.first_name, member.last_name)
    member.search_name_reversed = search_text(member.last_name, member.first_name)


def event_record(
    *,
    member: Member,
    kind: str,
    summary: str | StoredText,
    actor: User | None = None,
    source: str = "",
    data: dict | None = None,
    occurred_at: datetime | None = None,
) -> MemberEvent:
    """Append a line to the member's timeline (in the caller's transaction). `summary` is a
    `stored_text(...)`, shown to each reader in their language."""
    summary, data = summary_and_data(summary, data)
    return MemberEvent.objects.create(
        merchant_id=member.merchant_id,
        member=member,
        kind=kind,
        summary=summary[:255],
        actor=actor,
        source=source,
        data=data,
        occurred_at=occurred_at or timezone.now(),
    )


def _insert_with_card_code(member: Member) -> None:
    """Insert, drawing another card code in the (one in a billion) case of a collision."""
    for _attempt in range(5):
        member.card_code = new_card_code()
        try:
            with transaction.atomic():
                member.save(force_insert=True)
            return
        except IntegrityError:
            clash = Member.objects.for_merchant(member.merchant_id).filter(
                card_code=member.card_code
            )
            if not clash.exists():
                raise  # a phone, email or external id taken meanwhile: the caller decides
    raise RuntimeError("could not draw a free card code")


@dataclass
class _Enrollment:
    """A checked, not yet saved enrollment: the member and what goes with it."""

    member: Member
    tag_names: list[str]


def _prepare_enrollment(
    *,
    merchant: Merchant,
    actor: User | None,
    channel: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    birthday: date | None = None,
    language: str = "",
    consent_email: bool = False,
    consent_sms: bool = False,
    location: Location | None = None,
    external_id: str | None = None,
    tags: Iterable[str] = (),
    enrolled_at: datetime | None = None,
) -> _Enrollment:
    """Every rule of enrollment but uniqueness, which needs the database: the one place
    both the counter's single enrollment and the import's batches check their input."""
    if channel not in Channel.values:
        raise DomainError(gettext("Unknown enrollment channel."), field="channel")
    if location is not None and location.merchant_id != merchant.pk:
        raise DomainError(gettext("That location belongs to another business."), field="location")
    phone_e164, email_clean = clean_phone(merchant, phone), clean_email(email)
    if not phone_e164 and not email_clean:
        raise DomainError(gettext("Give a phone number or an email."), field="phone")
    first_name = clean_name_part(first_name, "first_name")
    last_name = clean_name_part(last_name, "last_name")
    if not first_name:
        raise DomainError(gettext("Give the customer's first name."), field="first_name")
    if birthday and birthday > timezone.localdate():
        raise DomainError(gettext("A birthday cannot be in the future."), field="birthday")
    language = clean_language(language)
    now = enrolled_at or timezone.now()
    member = Member(
        merchant=merchant,
        first_name=first_name,
        last_name=last_name,
        email=email_clean,
        phone=phone_e164,
        birthday=birthday,
        language=language,
        external_id=(external_id or "").strip() or None,
        consent_email=consent_email,
        consent_sms=consent_sms,
        channel=channel,
        location=location,
        enrolled_by=actor,
        enrolled_at=now,
        last_activity_at=now,
    )
    _set_search_names(member)
    return _Enrollment(member=member, tag_names=list(tags))


# Where a change came from, as the timeline names it (in English, the source's value).
SOURCE_WORDS = {
    # Translators: where a member enrolled or a change came from: the shop's counter.
    Channel.COUNTER: gettext_noop("counter"),
    # Translators: where a member enrolled or a change came from: the website.
    Channel.ONLINE: gettext_noop("online"),
    # Translators: where a member enrolled or a change came from: the programming interface.
    Channel.API: gettext_noop("api"),
    # Translators: where a member enrolled or a change came from: a file of members imported.
    Channel.IMPORT: gettext_noop("import"),
    # Translators: where a change came from: the back-office pages.
    "dashboard": gettext_noop("dashboard"),
}

# A member's profile fields, as the timeline names them ("Changed first name, email").
FIELD_WORDS = {
    "first_name": gettext_noop("first name"),
    "last_name": gettext_noop("last name"),
    "email": gettext_noop("email"),
    "phone": gettext_noop("phone"),
    "birthday": gettext_noop("birthday"),
    "language": gettext_noop("language"),
}


def _source_word(source: str) -> str | StoredText:
    word = SOURCE_WORDS.get(source)
    return stored_text(word) if word else source


def _event(member: Member, *, summary: str | StoredText, data: dict | None = None, **fields):
    """An unsaved timeline line (for bulk_create), its summary kept as event_record does."""
    summary, data = summary_and_data(summary, data)
    return MemberEvent(
        merchant_id=member.merchant_id, member=member, summary=summary[:255], data=data, **fields
    )


def enrollment_summary(channel: str, location: Location | None) -> StoredText:
    """The timeline's line for an enrollment (also written by demo.py, in bulk)."""
    if location:
        return stored_text(
            # Translators: %(channel)s is where, e.g. "counter"; %(location)s a shop's name.
            gettext_noop("Enrolled (%(channel)s) at %(location)s"),
            channel=_source_word(channel),
            location=location.name,
        )
    return stored_text(
        # Translators: %(channel)s is where, e.g. "counter" or "online".
        gettext_noop("Enrolled (%(channel)s)"),
        channel=_source_word(channel),
    )


def _enrollment_events(member: Member) -> list[MemberEvent]:
    """The timeline lines of an enrollment: where and how, and any consent given.

    Timeline summaries are stored texts: kept in English, shown in the reader's language."""
    channel, at = member.channel, member.enrolled_at
    events = [
        _event(
            member,
            kind=EventKind.ENROLLED,
            summary=enrollment_summary(channel, member.location),
            actor=member.enrolled_by,
            source=channel,
            occurred_at=at,
            data={"location": member.location_id},
        )
    ]
    events += [
        _consent_event(member, channel_name, True, source=channel, actor=member.enrolled_by, at=at)
        for channel_name in ("email", "sms")
        if getattr(member, f"consent_{channel_name}")
    ]
    return events


@transaction.atomic
def member_enroll(*, merchant: Merchant, extras: dict | None = None, **fields) -> EnrollResult:
    """Enroll a customer. A phone or an email is needed; both must be new to this merchant.

    Takes the fields of `_prepare_enrollment`. With an `external_id` (storefronts,
    imports) a repeat returns the member enrolled the first time instead of failing, so
    retries are safe. `extras` carries data other apps act on (`ENROLL_EXTRAS`: a
    referral code); each is checked before the member is inserted, so a refused one
    enrolls nobody.
    """
    external_id = (fields.get("external_id") or "").strip() or None
    if external_id and (
        existing := Member.objects.for_merchant(merchant).filter(external_id=external_id).first()
    ):
        return EnrollResult(member=existing, created=False)
    enrollment = _prepare_enrollment(merchant=merchant, **fields)
    member = enrollment.member
    extras = {key: value for key, value in (extras or {}).items() if value not in (None, "")}
    unknown = set(extras) - {extra.name for extra in ENROLL_EXTRAS}
    if unknown:
        raise DomainError(
            # Translators: %(names)s lists the names of the data sent, e.g. "coupon_code".
            gettext("Unknown enrollment data: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    after_insert = [
        extra.check(member, extras[extra.name]) for extra in ENROLL_EXTRAS if extra.name in extras
    ]
    _refuse_duplicates(merchant, phone=member.phone, email=member.email)
    try:
        _insert_with_card_code(member)
    except IntegrityError:
        # Another till enrolled the same person a moment ago: report that member.
        if external_id and (
            same := Member.objects.for_merchant(merchant).filter(external_id=external_id).first()
        ):
            return EnrollResult(member=same, created=False)
        _refuse_duplicates(merchant, phone=member.phone, email=member.email)
        raise
    if enrollment.tag_names:
        member.tags.set(_tags_named(merchant, enrollment.tag_names))
    MemberEvent.objects.bulk_create(_enrollment_events(member))
    for then in after_insert:
        then(member)
    for handler in ENROLL_HANDLERS:
        handler(member, member.enrolled_by)
    return EnrollResult(member=member, created=True)


@dataclass(frozen=True)
class BulkOutcome:
    """What became of one row of `members_enroll_many`: a member, or why not."""

    member: Member | None = None
    error: DomainError | None = None


def members_enroll_many(*, merchant: Merchant, rows: list[dict]) -> list[BulkOutcome]:
    """Enroll many customers at once (the CSV import), by the same rules as `member_enroll`
    and in a handful of queries instead of several per member.

    Each row holds `member_enroll`'s fields. A row whose phone, email or external id is
    taken (already, or earlier in `rows`) gets a `DuplicateMember` outcome. If the batch
    insert meets a conflict the check could not see (a till enrolled the same person a
    moment ago, a card code drawn twice), the rows are enrolled one by one instead.
    Runs in the caller's transaction.
    """
    outcomes: list[BulkOutcome | None] = [None] * len(rows)
    prepared: list[tuple[int, _Enrollment]] = []
    for index, fields in enumerate(rows):
        try:
            prepared.append((index, _prepare_enrollment(merchant=merchant, **fields)))
        except DomainError as error:
            outcomes[index] = BulkOutcome(error=error)
    fresh = _without_duplicates(merchant, prepared, outcomes)
    try:
        with transaction.atomic():
            _bulk_insert(merchant, [enrollment for _index, enrollment in fresh])
    except IntegrityError:
        for index, _enrollment in fresh:
            outcomes[index] = _enroll_one(merchant, rows[index])
    else:
        for index, enrollment in fresh:
            outcomes[index] = BulkOutcome(member=enrollment.member)
    return outcomes


def _enroll_one(merchant: Merchant, fields: dict) -> BulkOutcome:
    try:
        with transaction.atomic():
            result = member_enroll(merchant=merchant, **fields)
    except DomainError as error:
        return BulkOutcome(error=error)
    if not result.created:
        return BulkOutcome(
            error=DuplicateMember(
                _duplicate_message("external_id", result.member),
                member=result.member,
                field="external_id",
            )
        )
    return BulkOutcome(member=result.member)


def _without_duplicates(merchant, prepared, outcomes) -> list[tuple[int, _Enrollment]]:
    """Drop rows whose phone, email or external id is taken, in the database or earlier in
    the batch, recording a `DuplicateMember` outcome for each (one query in all)."""
    identifiers = {
        field: {getattr(e.member, field) for _i, e in prepared} - {None}
        for field in ("phone", "email", "external_id")
    }
    taken: dict[tuple[str, str], Member] = {}
    clash = Q(pk__in=[])
    for field, values in identifiers.items():
        if values:
            clash |= Q(**{f"{field}__in": values})
    for existing in Member.objects.for_merchant(merchant).filter(clash):
        for field in identifiers:
            if value := getattr(existing, field):
                taken[(field, value)] = existing
    fresh = []
    for index, enrollment in prepared:
        member = enrollment.member
        holder = next(
            (
                (field, taken[(field, getattr(member, field))])
                for field in ("phone", "email", "external_id")
                if getattr(member, field) and (field, getattr(member, field)) in taken
            ),
            None,
        )
        if holder is not None:
            field, existing = holder
            outcomes[index] = BulkOutcome(
                error=DuplicateMember(
                    _duplicate_message(field, existing), member=existing, field=field
                )
            )
            continue
        for field in ("phone", "email", "external_id"):
            if value := getattr(member, field):
                taken[(field, value)] = member
        fresh.append((index, enrollment))
    return fresh


def _bulk_insert(merchant: Merchant, enrollments: list[_Enrollment]) -> None:
    members = [enrollment.member for enrollment in enrollments]
    codes: set[str] = set()
    for member in members:
        while (code := new_card_code()) in codes:
            pass
        codes.add(code)
        member.card_code = code
    Member.objects.bulk_create(members)
    # In order of appearance, so a new tag keeps the spelling it was first written with.
    names = list(dict.fromkeys(name for enrollment in enrollments for name in enrollment.tag_names))
    if names:
        tag_ids = {tag.name.lower(): tag.pk for tag in _tags_named(merchant, names)}
        Member.tags.through.objects.bulk_create(
            [
                Member.tags.through(member_id=enrollment.member.pk, tag_id=tag_id)
                for enrollment in enrollments
                for tag_id in {
                    tag_ids[_tag_name(name).lower()]
                    for name in enrollment.tag_names
                    if _tag_name(name)
                }
            ]
        )
    MemberEvent.objects.bulk_create(
        [event for member in members for event in _enrollment_events(member)]
    )


def _tag_name(raw: str) -> str:
    return " ".join(raw.split())[:40]


def _tags_named(merchant: Merchant, names: Iterable[str]) -> list[Tag]:
    tags = []
    for raw in names:
        name = _tag_name(raw)
        if not name:
            continue
        tag = Tag.objects.for_merchant(merchant).filter(name__iexact=name).first()
        if tag is None:
            try:
                with transaction.atomic():
                    tag = Tag.objects.create(merchant=merchant, name=name)
            except IntegrityError:  # created by a concurrent request
                tag = Tag.objects.for_merchant(merchant).get(name__iexact=name)
        tags.append(tag)
    return tags


def _consent_event(member, channel: str, granted: bool, *, source: str, actor, at=None):
    """An unsaved timeline line for a consent given or withdrawn, with its source."""
    label = stored_text(gettext_noop("email") if channel == "email" else gettext_noop("SMS"))
    if granted:
        # Translators: %(channel)s is "email" or "SMS"; %(source)s where, e.g. "counter".
        summary = gettext_noop("Agreed to marketing by %(channel)s (%(source)s)")
    else:
        # Translators: %(channel)s is "email" or "SMS"; %(source)s where, e.g. "counter".
        summary = gettext_noop("Declined marketing by %(channel)s (%(source)s)")
    return _event(
        member,
        kind=EventKind.CONSENT,
        summary=stored_text(summary, channel=label, source=_source_word(source)),
        actor=actor,
        source=source,
        data={"channel": channel, "granted": granted},
        occurred_at=at or timezone.now(),
    )


_PROFILE_FIELDS = ("first_name", "last_name", "email", "phone", "birthday", "language")


@transaction.atomic
def member_update(
    *,
    member: Member,
    actor: User | None,
    source: str,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    birthday: date | None,
    language: str,
    consent_email: bool,
    consent_sms: bool,
    tags: Iterable[str] | None = None,
) -> Member:
    """Change a member's profile and consent. Each consent change is recorded with its source."""
    [member] = members_lock(member.pk)
    if not member.is_active:
        raise Conflict(gettext("This member was erased or merged."), code="member_inactive")
    merchant = member.merchant
    new = {
        "first_name": clean_name_part(first_name, "first_name"),
        "last_name": clean_name_part(last_name, "last_name"),
        "email": clean_email(email),
        "phone": clean_phone(merchant, phone),
        "birthday": birthday,
        # A language Fideliza no longer speaks may stay; it cannot be chosen anew.
        "language": (language or "") if language == member.language else clean_language(language),
    }
    if not new["phone"] and not new["email"]:
        raise DomainError(gettext("Keep a phone number or an email."), field="phone")
    if not new["first_name"]:
        raise DomainError(gettext("Give the customer's first name."), field="first_name")
    _refuse_duplicates(merchant, phone=new["phone"], email=new["email"], exclude_pk=member.pk)
    changed = [field for field in _PROFILE_FIELDS if getattr(member, field) != new[field]]
    for field, value in new.items():
        setattr(member, field, value)
    _set_search_names(member)
    consent_changes = [
        (channel, granted)
        for channel, granted in (("email", consent_email), ("sms", consent_sms))
        if getattr(member, f"consent_{channel}") != granted
    ]
    member.consent_email, member.consent_sms = consent_email, consent_sms
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        _refuse_duplicates(merchant, phone=new["phone"], email=new["email"], exclude_pk=member.pk)
        raise
    if changed:
        # Field names only: the timeline must not keep old personal data after an erasure.
        labels = stored_list([stored_text(FIELD_WORDS[field]) for field in changed])
        event_record(
            member=member,
            kind=EventKind.UPDATED,
            # Translators: %(fields)s lists what changed, e.g. "first name, email".
            summary=stored_text(gettext_noop("Changed %(fields)s"), fields=labels),
            actor=actor,
            source=source,
            data={"fields": changed},
        )
    MemberEvent.objects.bulk_create(
        [
            _consent_event(member, channel, granted, source=source, actor=actor)
            for channel, granted in consent_changes
        ]
    )
    if tags is not None:
        member.tags.set(_tags_named(merchant, tags))
    for handler in PROFILE_HANDLERS:
        handler(member, actor)
    return member


@transaction.atomic
def member_add_note(*, member: Member, actor: User, text: str) -> MemberEvent:
    text = text.strip()
    if not text:
        raise DomainError(gettext("Write something."), field="text")
    if len(text) > 255:
        raise DomainError(gettext("Keep a note within 255 characters."), field="text")
    return event_record(member=member, kind=EventKind.NOTE, summary=text, actor=actor)


@transaction.atomic
def member_merge(*, survivor: Member, duplicate: Member, actor: User) -> Member:
    """Fold `duplicate` (the same person enrolled twice) into `survivor`.

    The survivor keeps its own details and takes the duplicate's phone or email where it
    has none; everything recorded against the duplicate (timeline, and whatever later
    apps attach to a member) moves to the survivor. The duplicate stays, marked as merged,
    so that links to it can point to the survivor.
    """
    if survivor.pk == duplicate.pk:
        raise DomainError(gettext("Choose two different members."), field="duplicate")
    if survivor.merchant_id != duplicate.merchant_id:
        raise DomainError(
            gettext("Both members must belong to the same business."), field="duplicate"
        )
    survivor, duplicate = members_lock(survivor.pk, duplicate.pk)
    if not (survivor.is_active and duplicate.is_active):
        raise Conflict(gettext("Only active members can be merged."), code="member_inactive")

    taken = {field: getattr(duplicate, field) for field in ("phone", "email")}
    duplicate.phone = duplicate.email = duplicate.external_id = None
    duplicate.merged_into = survivor
    duplicate.save(update_fields=["phone", "email", "external_id", "merged_into"])
    for field, value in taken.items():
        if value and not getattr(survivor, field):
            setattr(survivor, field, value)
    survivor.enrolled_at = min(survivor.enrolled_at, duplicate.enrolled_at)
    survivor.last_activity_at = max(survivor.last_activity_at, duplicate.last_activity_at)
    survivor.save()
    survivor.tags.add(*duplicate.tags.all())
    for handler in MERGE_HANDLERS:
        handler(survivor, duplicate, actor)
    _move_member_rows(duplicate, survivor)
    event_record(
        member=survivor,
        kind=EventKind.MERGED,
        summary=stored_text(
            # Translators: %(card)s is a membership card code.
            gettext_noop("Merged with the duplicate record %(card)s"),
            card=duplicate.card_code_display,
        ),
        actor=actor,
        data={"duplicate": duplicate.public_id},
    )
    audit_record(
        merchant=survivor.merchant,
        actor=actor,
        action="member.merged",
        summary=stored_text(
            gettext_noop("Merged member %(duplicate)s into %(survivor)s"),
            duplicate=duplicate.public_id,
            survivor=survivor.public_id,
        ),
        target=survivor,
    )
    return survivor


def member_webhook_data(member: Member) -> dict:
    """A member as webhooks describe it (ids are the opaque public ones)."""
    return {
        "id": member.public_id,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email,
        "phone": member.phone,
        "card_code": member.card_code,
        "channel": member.channel,
        "location": member.location.name if member.location_id else None,
        "enrolled_at": member.enrolled_at,
    }


def member_enrolled_webhook(member: Member, actor: User | None) -> None:
    webhook_emit(
        merchant=member.merchant,
        event=WebhookEvent.MEMBER_ENROLLED,
        data={"member": member_webhook_data(member)},
    )


# Apps that act when a customer enrolls at the counter, storefront or API (not by import),
# or completes their profile, register a handler(member, actor) here (programs/apps.py
# does: the join and profile bonuses). They run in the service's transaction.
ENROLL_HANDLERS: list = []
PROFILE_HANDLERS: list = []


@dataclass(frozen=True)
class EnrollExtra:
    """Data an enrollment may carry for another app (referrals: `referral_code`).

    `check(member, value)` gets the checked, not yet inserted member and the value; it
    refuses with a `DomainError` naming the field (nobody is enrolled) or returns a
    function that `member_enroll` calls with the inserted member, in its transaction.
    """

    name: str
    check: Callable[[Member, Any], Callable[[Member], None]]


ENROLL_EXTRAS: list[EnrollExtra] = []

# Apps whose rows about a member cannot simply be re-pointed at the survivor (an
# append-only ledger, one account per member) register a handler, called first, and name
# those models in MERGE_KEEPS (programs/apps.py does).
MERGE_HANDLERS: list = []
MERGE_KEEPS: set = set()


def _move_member_rows(source: Member, target: Member) -> None:
    """Point every row that references `source` at `target`: the timeline, purchases and
    whatever later apps hang on a member, without this function knowing them."""
    for relation in Member._meta.related_objects:
        if (
            relation.many_to_many
            or relation.related_model is Member
            or relation.related_model in MERGE_KEEPS
        ):
            continue
        relation.related_model._base_manager.filter(**{relation.field.name: source}).update(
            **{relation.field.name: target}
        )


@transaction.atomic
def member_erase(*, member: Member, actor: User) -> Member:
    """Erase a member's personal data on request (GDPR art. 17).

    Names, contact details, birthday, tags and notes go; the member row, its card code
    and everything counted against it (purchases, points) stay, anonymous, so totals and
    analytics remain right.
    """
    [member] = members_lock(member.pk)
    if member.erased_at:
        return member
    member.first_name = member.last_name = member.language = ""
    member.email = member.phone = member.external_id = member.birthday = None
    member.consent_email = member.consent_sms = False
    member.search_name = member.search_name_reversed = ""
    member.erased_at = timezone.now()
    member.save()
    member.tags.clear()
    removed, data = summary_and_data(stored_text(gettext_noop("(note removed at erasure)")), {})
    MemberEvent.objects.filter(member=member, kind=EventKind.NOTE).update(
        summary=removed, data=data
    )
    event_record(
        member=member,
        kind=EventKind.ERASED,
        summary=stored_text(gettext_noop("Personal data erased")),
        actor=actor,
    )
    audit_record(
        merchant=member.merchant,
        actor=actor,
        action="member.erased",
        summary=stored_text(
            gettext_noop("Erased the personal data of member %(member)s"), member=member.public_id
        ),
        target=member,
    )
    return member
