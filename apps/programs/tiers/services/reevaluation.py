"""Placing every member again when the rules change, in the background, batch by batch
from a resume point."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from time import monotonic

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from apps.accounts.models import User
from apps.core.models import Merchant
from apps.core.stored_text import StoredText, english, is_stored_text, stored_text
from apps.members.models import Member
from apps.programs.tiers.lock_objects import member_tier_lock, tier_reevaluation_lock
from apps.programs.tiers.models import (
    ChangeCause,
    JobStatus,
    MemberTier,
    TierChange,
    TierReevaluation,
)
from apps.programs.tiers.selectors import (
    qualifying_total,
    qualifying_totals,
    ranks_above,
    tier_for_total,
    tier_settings,
    tiers_active,
)
from apps.programs.tiers.services.moves import member_tier_move

# The package's name, as when this was one module (services.py).
logger = logging.getLogger(__package__)

REEVALUATION_BATCH = 500
TASK_SECONDS = 60
OPEN = [JobStatus.QUEUED, JobStatus.RUNNING]
# A run moves its job at least every batch and hands over after TASK_SECONDS: an open job
# untouched this long lost its task (never queued while the broker was down, or its worker
# died), and the sweep starts it again from its resume point.
STALLED_AFTER_SECONDS = 5 * TASK_SECONDS


# Placing members again when the rules change ------------------------------------------


def _place(
    member: Member,
    *,
    at: datetime,
    actor: User | None,
    settings,
    tiers,
    reason: str | StoredText,
) -> TierChange | None:
    """Up to the tier the total supports, or out of a deactivated tier (under the lock)."""
    status = member_tier_lock(member)
    total = qualifying_total(member=member, end=at, settings=settings)
    target = tier_for_total(tiers=tiers, total=total)
    current = status.tier
    stale = current is not None and not current.is_active
    if not stale and not ranks_above(candidate=target, current=current):
        return None
    return member_tier_move(
        member=member,
        status=status,
        to_tier=target,
        cause=ChangeCause.RULES,
        reason=reason,
        total=total,
        at=at,
        settings=settings,
        actor=actor,
    )


def _reevaluate_batch(job: TierReevaluation, member_ids: list[int], at: datetime) -> int:
    merchant = job.merchant
    settings = tier_settings(merchant=merchant)
    tiers = tiers_active(merchant=merchant)
    totals = qualifying_totals(merchant=merchant, member_ids=member_ids, end=at, settings=settings)
    statuses = {
        status.member_id: status
        for status in MemberTier.objects.filter(member_id__in=member_ids).select_related("tier")
    }
    changes = 0
    for member_id in member_ids:
        status = statuses.get(member_id)
        current = status.tier if status else None
        target = tier_for_total(tiers=tiers, total=totals.get(member_id, 0))
        stale = current is not None and not current.is_active
        if stale or ranks_above(candidate=target, current=current):
            member = Member.objects.select_related("merchant").get(pk=member_id)
            if _place(
                member,
                at=at,
                actor=job.started_by,
                settings=settings,
                tiers=tiers,
                reason=job.reason_text or job.reason,
            ):
                changes += 1
    return changes


def reevaluation_start(
    *, merchant: Merchant, actor: User | None, reason: str | StoredText
) -> TierReevaluation:
    """Start placing every member again (in the caller's transaction, which must hold the
    tier settings lock). A run still going is superseded: it stops at its next batch and
    the new one starts from the first member."""
    from apps.programs.tiers.tasks import tier_reevaluation_run

    now = timezone.now()
    TierReevaluation.objects.for_merchant(merchant).filter(status__in=OPEN).update(
        status=JobStatus.SUPERSEDED, finished_at=now, updated_at=now
    )
    job = TierReevaluation.objects.create(
        merchant=merchant,
        reason=(english(reason) if is_stored_text(reason) else reason)[:255],
        reason_text=reason if is_stored_text(reason) else {},
        started_by=actor,
        members_total=Member.objects.for_merchant(merchant).active().count(),
    )
    transaction.on_commit(lambda: tier_reevaluation_run.delay(job.pk))
    return job


def reevaluation_run(*, job_id: int, now: datetime | None = None) -> bool:
    """Place the members of a re-evaluation, batch by batch from its resume point. Safe to
    run twice, even at once: each batch locks the job row and moves the resume point in
    the same transaction, and placing a member again changes nothing. After
    `TASK_SECONDS` a run hands over to a new task. False when there was nothing to do."""
    from apps.programs.tiers.tasks import tier_reevaluation_run

    started = TierReevaluation.objects.filter(pk=job_id, status__in=OPEN).update(
        status=JobStatus.RUNNING, failure="", failure_text={}, updated_at=timezone.now()
    )
    if not started:
        return False
    deadline = monotonic() + TASK_SECONDS
    try:
        while True:
            with transaction.atomic():
                job = tier_reevaluation_lock(job_id=job_id)
                if job.status != JobStatus.RUNNING:
                    return False  # superseded by a newer run, or finished by another worker
                member_ids = list(
                    Member.objects.for_merchant(job.merchant)
                    .active()
                    .filter(pk__gt=job.last_member_id)
                    .order_by("pk")
                    .values_list("pk", flat=True)[:REEVALUATION_BATCH]
                )
                if not member_ids:
                    job.status = JobStatus.DONE
                    job.finished_at = timezone.now()
                    job.members_total = max(job.members_total, job.members_done)
                    job.save()
                    return True
                job.changes_count += _reevaluate_batch(job, member_ids, now or timezone.now())
                job.last_member_id = member_ids[-1]
                job.members_done += len(member_ids)
                job.save()
            if monotonic() > deadline:
                transaction.on_commit(lambda: tier_reevaluation_run.delay(job_id))
                return True
    except Exception as error:
        logger.exception("tier re-evaluation %s failed", job_id)
        failure = stored_text(
            # Translators: %(error)s is the technical name of the error.
            gettext_noop("Stopped by an error (%(error)s); resume to carry on."),
            error=type(error).__name__,
        )
        TierReevaluation.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED,
            failure=english(failure)[:255],
            failure_text=failure,
            updated_at=timezone.now(),
        )
        raise


def reevaluations_stalled_restart(*, now: datetime | None = None) -> int:
    """The beat's sweep: queue a run again for each open job that stalled. A run is safe
    twice, so a slow one met by a second only shares its batches."""
    from apps.programs.tiers.tasks import tier_reevaluation_run

    cutoff = (now or timezone.now()) - timedelta(seconds=STALLED_AFTER_SECONDS)
    stalled = list(
        TierReevaluation.objects.filter(status__in=OPEN, updated_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    for job_id in stalled:
        tier_reevaluation_run.delay(job_id)
    return len(stalled)
