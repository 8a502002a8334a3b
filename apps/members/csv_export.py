"""CSV export of members, written in the background to the default storage.

A manager asks for an export (`export_create`); a task (`export_run`) writes every active
member of the merchant to a CSV file, in chunks of `EXPORT_CHUNK` rows, recording its
progress; the page then offers the file for download. The columns use the names the
import recognises, so an exported file imports back (every row matching its member): the
headers and values (yes/no, the channel) are in English whatever the reader's language.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.csv import safe_cell
from apps.core.models import Merchant
from apps.core.replica import reads_may_lag
from apps.core.stored_text import stored_text
from apps.members.models import Channel, ExportStatus, Member, MemberExport

EXPORT_CHUNK = 2000
STALE_AFTER = timedelta(minutes=10)  # a running export silent this long has lost its worker


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _columns(zone: ZoneInfo) -> list[tuple[str, Callable[[Member], str]]]:
    def local(moment) -> str:
        return moment.astimezone(zone).isoformat(timespec="seconds") if moment else ""

    with translation.override("en"):
        channels = {channel.value: str(channel.label) for channel in Channel}

    return [
        ("First name", lambda m: m.first_name),
        ("Last name", lambda m: m.last_name),
        ("Email", lambda m: m.email or ""),
        ("Phone", lambda m: m.phone_display),
        ("Birthday", lambda m: m.birthday.isoformat() if m.birthday else ""),
        ("Language", lambda m: m.language),
        ("Email consent", lambda m: _yes_no(m.consent_email)),
        ("SMS consent", lambda m: _yes_no(m.consent_sms)),
        ("Tags", lambda m: ", ".join(sorted(tag.name for tag in m.tags.all()))),
        ("External ID", lambda m: m.external_id or ""),
        ("Enrolled at", lambda m: local(m.enrolled_at)),
        ("Card code", lambda m: m.card_code_display),
        ("Member ID", lambda m: m.public_id),
        ("Channel", lambda m: channels.get(m.channel, "")),
        ("Last activity", lambda m: local(m.last_activity_at)),
    ]


def export_members(*, merchant: Merchant) -> QuerySet[Member]:
    """What an export holds: the merchant's active members, oldest first."""
    return Member.objects.for_merchant(merchant).active().order_by("pk").prefetch_related("tags")


def export_list(*, merchant: Merchant) -> QuerySet[MemberExport]:
    return MemberExport.objects.for_merchant(merchant).select_related("requested_by")


def export_is_stale(export: MemberExport) -> bool:
    return (
        export.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
        and timezone.now() - export.updated_at > STALE_AFTER
    )


@transaction.atomic(savepoint=False)
def export_create(*, merchant: Merchant, actor: User | None) -> MemberExport:
    """Ask for a CSV of all members. While one is being written, that one is returned."""
    from apps.members.tasks import member_export_run

    pending = (
        MemberExport.objects.for_merchant(merchant)
        .filter(status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING])
        .filter(updated_at__gt=timezone.now() - STALE_AFTER)
        .first()
    )
    if pending is not None:
        return pending
    export = MemberExport.objects.create(
        merchant=merchant, requested_by=actor, status=ExportStatus.QUEUED
    )
    # Personal data leaving the system is worth a line in the activity log.
    audit_record(
        merchant=merchant,
        actor=actor,
        action="members.exported",
        summary=stored_text(gettext_noop("Exported the member list to a CSV file")),
        target=export,
    )
    language = translation.get_language() or ""  # for the failure message, if any
    transaction.on_commit(lambda: member_export_run.delay(export.pk, language))
    return export


def export_run(*, export_id: int) -> bool:
    """Write the file. Safe to run twice: a finished export is left alone, an interrupted
    one is written again from the start. False when there was nothing to do."""
    now = timezone.now()
    started = MemberExport.objects.filter(
        pk=export_id, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]
    ).update(status=ExportStatus.RUNNING, rows_done=0, failure="", updated_at=now)
    if not started:
        return False
    export = MemberExport.objects.select_related("merchant").get(pk=export_id)
    try:
        _write(export)
    except Exception as error:
        MemberExport.objects.filter(pk=export_id, status=ExportStatus.RUNNING).update(
            status=ExportStatus.FAILED,
            # Translators: %(error)s is the name of a Python exception (OperationalError).
            failure=gettext("The export stopped: %(error)s. Try again.")
            % {"error": error.__class__.__name__},
            updated_at=timezone.now(),
        )
        raise
    return True


def _write(export: MemberExport) -> None:
    merchant = export.merchant
    members = export_members(merchant=merchant)
    with reads_may_lag():  # a snapshot of its moment: the replica's few seconds are unseen
        total = members.count()
    MemberExport.objects.filter(pk=export.pk).update(rows_total=total)
    columns = _columns(ZoneInfo(merchant.timezone))
    with tempfile.TemporaryFile() as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow([title for title, _value in columns])
        done = 0
        for member in _read_on_the_replica(members.iterator(chunk_size=EXPORT_CHUNK)):
            writer.writerow([safe_cell(value(member)) for _title, value in columns])
            done += 1
            if done % EXPORT_CHUNK == 0:
                MemberExport.objects.filter(pk=export.pk).update(
                    rows_done=done, updated_at=timezone.now()
                )
        text.flush()
        raw.seek(0)
        export.file.save("members.csv", File(raw), save=False)
        text.detach()
    finished = MemberExport.objects.filter(pk=export.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.DONE,
        file=export.file.name,
        rows_total=done,
        rows_done=done,
        updated_at=timezone.now(),
        finished_at=timezone.now(),
    )
    if not finished:  # taken over meanwhile: this copy of the file is not the one kept
        export.file.storage.delete(export.file.name)


def _read_on_the_replica(rows: Iterator[Member]) -> Iterator[Member]:
    """The export's rows, fetched chunk by chunk on the replica, while the progress it
    writes between chunks goes to the primary (writes always do)."""
    while True:
        with reads_may_lag():
            member = next(rows, None)
        if member is None:
            return
        yield member


def export_download_name(export: MemberExport) -> str:
    moment = timezone.localtime(export.created_at, ZoneInfo(export.merchant.timezone))
    return f"members-{export.merchant.slug}-{moment:%Y-%m-%d-%H%M}.csv"
