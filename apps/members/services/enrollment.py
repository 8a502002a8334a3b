"""Enrolling customers: one at a time (the counter, the storefront, the API) or in batches
(the CSV import), by the same rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from apps.accounts.models import User
from apps.core.errors import DomainError
from apps.core.events import MEMBER_ENROLLED, MemberEnrolled, publish
from apps.core.extensions import ENROLL_EXTRAS
from apps.core.models import Location, Merchant
from apps.members.identifiers import new_card_code
from apps.members.models import Channel, EventKind, Member, MemberEvent
from apps.members.services.checks import (
    DuplicateMember,
    clean_email,
    clean_language,
    clean_name_part,
    clean_phone,
    duplicate_message,
    refuse_duplicates,
    set_search_names,
    tag_name,
    tags_named,
)
from apps.members.services.timeline import consent_event, enrollment_summary, event_build


@dataclass(frozen=True)
class EnrollResult:
    member: Member
    created: bool  # False when an external id named a member enrolled before (a retry)


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
    phone_e164, email_clean = clean_phone(merchant=merchant, raw=phone), clean_email(raw=email)
    if not phone_e164 and not email_clean:
        raise DomainError(gettext("Give a phone number or an email."), field="phone")
    first_name = clean_name_part(value=first_name, field="first_name")
    last_name = clean_name_part(value=last_name, field="last_name")
    if not first_name:
        raise DomainError(gettext("Give the customer's first name."), field="first_name")
    if birthday and birthday > timezone.localdate():
        raise DomainError(gettext("A birthday cannot be in the future."), field="birthday")
    language = clean_language(value=language)
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
    set_search_names(member=member)
    return _Enrollment(member=member, tag_names=list(tags))


def _enrollment_events(member: Member) -> list[MemberEvent]:
    """The timeline lines of an enrollment: where and how, and any consent given.

    Timeline summaries are stored texts: kept in English, shown in the reader's language."""
    channel, at = member.channel, member.enrolled_at
    events = [
        event_build(
            member=member,
            kind=EventKind.ENROLLED,
            summary=enrollment_summary(channel=channel, location=member.location),
            actor=member.enrolled_by,
            source=channel,
            occurred_at=at,
            data={"location": member.location_id},
        )
    ]
    events += [
        consent_event(
            member=member,
            channel=channel_name,
            granted=True,
            source=channel,
            actor=member.enrolled_by,
            at=at,
        )
        for channel_name in ("email", "sms")
        if getattr(member, f"consent_{channel_name}")
    ]
    return events


@transaction.atomic(savepoint=False)
def member_enroll(*, merchant: Merchant, extras: dict | None = None, **fields) -> EnrollResult:
    """Enroll a customer. A phone or an email is needed; both must be new to this merchant.

    Takes the fields of `_prepare_enrollment`. With an `external_id` (storefronts,
    imports) a repeat returns the member enrolled the first time instead of failing, so
    retries are safe. `extras` carries data other apps act on (`extensions.ENROLL_EXTRAS`:
    a referral code); each is checked before the member is inserted, so a refused one
    enrolls nobody. The new member is published as `MEMBER_ENROLLED`.
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
    refuse_duplicates(merchant=merchant, phone=member.phone, email=member.email)
    try:
        _insert_with_card_code(member)
    except IntegrityError:
        # Another till enrolled the same person a moment ago: report that member.
        if external_id and (
            same := Member.objects.for_merchant(merchant).filter(external_id=external_id).first()
        ):
            return EnrollResult(member=same, created=False)
        refuse_duplicates(merchant=merchant, phone=member.phone, email=member.email)
        raise
    if enrollment.tag_names:
        member.tags.set(tags_named(merchant=merchant, names=enrollment.tag_names))
    MemberEvent.objects.bulk_create(_enrollment_events(member))
    for then in after_insert:
        then(member)
    publish(MEMBER_ENROLLED, MemberEnrolled(member, member.enrolled_by))
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
                duplicate_message(field="external_id", existing=result.member),
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
                    duplicate_message(field=field, existing=existing), member=existing, field=field
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
        tag_ids = {tag.name.lower(): tag.pk for tag in tags_named(merchant=merchant, names=names)}
        Member.tags.through.objects.bulk_create(
            [
                Member.tags.through(member_id=enrollment.member.pk, tag_id=tag_id)
                for enrollment in enrollments
                for tag_id in {
                    tag_ids[tag_name(raw=name).lower()]
                    for name in enrollment.tag_names
                    if tag_name(raw=name)
                }
            ]
        )
    MemberEvent.objects.bulk_create(
        [event for member in members for event in _enrollment_events(member)]
    )
