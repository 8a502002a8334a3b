"""Writes of segments. A segment keeps its rules, checked when saved; its members are
found whenever it is used (selectors.segment_members)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.campaigns.models import Segment
from apps.campaigns.rules import rules_check
from apps.core.audit import audit_record
from apps.core.errors import Conflict, DomainError
from apps.core.models import Merchant
from apps.core.stored_text import stored_text

NAME_LENGTH = 120


def _clean_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise DomainError(gettext("Give the segment a name."), field="name")
    if len(name) > NAME_LENGTH:
        raise DomainError(
            gettext("Keep the name within %(count)d characters.") % {"count": NAME_LENGTH},
            field="name",
        )
    return name


def _name_taken() -> Conflict:
    return Conflict(
        gettext("A segment with this name already exists."), field="name", code="name_taken"
    )


def _save(segment: Segment) -> None:
    if (
        Segment.objects.for_merchant(segment.merchant)
        .filter(name__iexact=segment.name)
        .exclude(pk=segment.pk)
        .exists()
    ):
        raise _name_taken()
    try:
        with transaction.atomic():  # a name taken at the same moment: a refusal, not a 500
            segment.save()
    except IntegrityError as error:
        raise _name_taken() from error


@transaction.atomic(savepoint=False)
def segment_create(*, merchant: Merchant, actor: User | None, name: str, rules) -> Segment:
    rules_check(rules=rules, merchant=merchant)
    segment = Segment(merchant=merchant, name=_clean_name(name), rules=rules, created_by=actor)
    _save(segment)
    audit_record(
        merchant=merchant,
        actor=actor,
        action="segment.created",
        summary=stored_text(gettext_noop("Created the segment %(name)s"), name=segment.name),
        target=segment,
        data={"rules": rules},
    )
    return segment


@transaction.atomic(savepoint=False)
def segment_update(*, segment: Segment, actor: User | None, name: str, rules) -> Segment:
    rules_check(rules=rules, merchant=segment.merchant)
    segment.name = _clean_name(name)
    segment.rules = rules
    _save(segment)
    audit_record(
        merchant=segment.merchant,
        actor=actor,
        action="segment.updated",
        summary=stored_text(gettext_noop("Changed the segment %(name)s"), name=segment.name),
        target=segment,
        data={"rules": rules},
    )
    return segment


@transaction.atomic(savepoint=False)
def segment_delete(*, segment: Segment, actor: User | None) -> None:
    audit_record(
        merchant=segment.merchant,
        actor=actor,
        action="segment.deleted",
        summary=stored_text(gettext_noop("Deleted the segment %(name)s"), name=segment.name),
        target=segment,
    )
    segment.delete()
