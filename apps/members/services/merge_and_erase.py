"""Merging the two records of one person, and erasing a member's personal data."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.errors import Conflict, DomainError
from apps.core.events import (
    MEMBER_ERASED,
    MEMBERS_MERGING,
    MemberErased,
    MembersMerging,
    publish,
)
from apps.core.extensions import merge_kept_models
from apps.core.stored_text import stored_text, summary_and_data
from apps.members.lock_objects import members_lock
from apps.members.models import EventKind, Member, MemberEvent
from apps.members.services.timeline import event_record


@transaction.atomic(savepoint=False)
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
    publish(MEMBERS_MERGING, MembersMerging(survivor, duplicate, actor))
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


def _move_member_rows(source: Member, target: Member) -> None:
    """Point every row that references `source` at `target`: the timeline, purchases and
    whatever later apps hang on a member, without this function knowing them (except the
    models `MEMBERS_MERGING` handlers move themselves: `extensions.MERGE_KEPT_MODELS`)."""
    kept = merge_kept_models()
    for relation in Member._meta.related_objects:
        if (
            relation.many_to_many
            or relation.related_model is Member
            or relation.related_model in kept
        ):
            continue
        relation.related_model._base_manager.filter(**{relation.field.name: source}).update(
            **{relation.field.name: target}
        )


@transaction.atomic(savepoint=False)
def member_erase(*, member: Member, actor: User | None, source: str = "dashboard") -> Member:
    """Erase a member's personal data on request (GDPR art. 17).

    Names, contact details, birthday, tags and notes go; the member row, its card code
    and everything counted against it (purchases, points) stay, anonymous, so totals and
    analytics remain right. `actor` None with `source="card"`: the member confirmed it
    themselves, from the link emailed to them.
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
        source=source,
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
    publish(MEMBER_ERASED, MemberErased(member, actor))
    return member
