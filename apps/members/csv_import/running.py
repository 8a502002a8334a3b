"""Running an import: upload, mapping, the dry run, confirmation and the import itself, in
batches that can be resumed, and the states an import is in."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import PurePath
from time import monotonic

from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.csv import safe_cell
from apps.core.errors import Conflict, DomainError
from apps.core.events import MEMBERS_IMPORTED, MembersImported, publish
from apps.core.formatting import format_number
from apps.core.models import Merchant
from apps.core.stored_text import stored_plural, stored_text
from apps.members.csv_import.cells import Kind, ParsedRow, RowReader
from apps.members.csv_import.mapping import (
    DATE_ORDERS,
    default_date_order,
    guess_mapping,
    mapping_check,
)
from apps.members.csv_import.matching import match_existing, skip_repeats
from apps.members.csv_import.parsing import ParsedFile, decode, read_import, sniff_delimiter
from apps.members.models import Channel, ImportStatus, MemberImport

# The import enrolls by the same rules as `member_enroll`, in batches.
from apps.members.services import DuplicateMember, members_enroll_many

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_ROWS = 500_000
ANALYSIS_CHUNK = 2000  # rows per existing-member lookup in the dry run
IMPORT_BATCH = 500  # rows per transaction in the import
DETAIL_LIMIT = 500  # problem rows kept per kind in a report; the problems file has them all
SAMPLE_ROWS = 3
STALE_AFTER = timedelta(minutes=10)  # a running import silent this long has lost its worker
TASK_SECONDS = 240  # one task imports for about this long, then a new task carries on


def _chunks(rows: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass
class Tally:
    """Counts per kind, and the first `DETAIL_LIMIT` problem rows of each kind."""

    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            (Kind.CREATE, Kind.MATCHED, Kind.DUPLICATE, Kind.ERROR), 0
        )
    )
    details: dict[str, list] = field(
        default_factory=lambda: {Kind.ERROR: [], Kind.DUPLICATE: [], Kind.MATCHED: []}
    )

    def add(self, row: ParsedRow) -> None:
        self.counts[row.kind] += 1
        shown = self.details.get(row.kind)
        if shown is not None and len(shown) < DETAIL_LIMIT:
            shown.append({"row": row.number, "messages": row.messages})

    def merge_into(self, details: dict) -> dict:
        merged = {kind: list(details.get(kind, [])) for kind in self.details}
        for kind, rows in self.details.items():
            merged[kind].extend(rows[: max(DETAIL_LIMIT - len(merged[kind]), 0)])
        return merged


# Selectors ----------------------------------------------------------------------------


def import_list(*, merchant: Merchant) -> QuerySet[MemberImport]:
    return MemberImport.objects.for_merchant(merchant).select_related("uploaded_by")


def import_is_stale(member_import: MemberImport) -> bool:
    return (
        member_import.status in (ImportStatus.ANALYZING, ImportStatus.QUEUED, ImportStatus.RUNNING)
        and timezone.now() - member_import.updated_at > STALE_AFTER
    )


def import_can_resume(member_import: MemberImport) -> bool:
    """Confirmed, and stopped by an error or by a worker that went away."""
    return (
        member_import.confirmed_at is not None
        and member_import.files_removed_at is None
        and (member_import.status == ImportStatus.FAILED or import_is_stale(member_import))
    )


def import_can_remap(member_import: MemberImport) -> bool:
    return (
        member_import.confirmed_at is None
        and member_import.files_removed_at is None
        and (
            member_import.status in (ImportStatus.MAPPING, ImportStatus.READY, ImportStatus.FAILED)
            or import_is_stale(member_import)
        )
    )


# Services -----------------------------------------------------------------------------


def check_size(size: int) -> None:
    if size > MAX_UPLOAD_BYTES:
        raise DomainError(
            gettext(
                # Translators: %(size)s and %(limit)s are sizes in megabytes ("20.5", "20").
                "This file is %(size)s MB; the most one import takes is %(limit)s MB. Split it "
                "into smaller files."
            )
            % {
                "size": format_number(round(size / 1024 / 1024, 1)),
                "limit": format_number(MAX_UPLOAD_BYTES // 1024 // 1024),
            },
            field="file",
            code="too_large",
        )


def import_create(
    *, merchant: Merchant, actor: User | None, file: File, encoding: str = "auto"
) -> MemberImport:
    """Keep an uploaded file for mapping. Nothing is imported yet.

    Refuses, with a message that says what to do, a file too large, not text in the
    chosen encoding, not CSV, or without rows.
    """
    check_size(file.size)
    file.seek(0)
    data = file.read()
    check_size(len(data))
    name = PurePath(file.name or "members.csv").name
    if not data.strip():
        raise DomainError(gettext("This file is empty."), field="file", code="empty")
    text = decode(data, encoding)
    parsed = ParsedFile(text, sniff_delimiter(text))
    if not parsed.header:
        raise DomainError(gettext("This file has no rows."), field="file", code="empty")
    total, sample = 0, []
    for _number, cells in parsed.rows():
        total += 1
        if len(sample) < SAMPLE_ROWS:
            sample.append([cell.strip()[:60] for cell in cells[: len(parsed.header)]])
    if total == 0:
        raise DomainError(
            gettext("This file has a header row but no members under it."),
            field="file",
            code="empty",
        )
    if total > MAX_ROWS:
        raise DomainError(
            gettext(
                # Translators: %(rows)s and %(limit)s are numbers of rows ("600,000").
                "This file has %(rows)s rows; the most one import takes is %(limit)s. Split it "
                "into smaller files."
            )
            % {"rows": format_number(total), "limit": format_number(MAX_ROWS)},
            field="file",
            code="too_many_rows",
        )
    member_import = MemberImport(
        merchant=merchant,
        original_name=name[:255],
        size=len(data),
        encoding=encoding,
        delimiter=parsed.delimiter,
        header=parsed.header,
        sample=sample,
        rows_total=total,
        mapping=guess_mapping(parsed.header),
        date_order=default_date_order(merchant),
        status=ImportStatus.MAPPING,
        uploaded_by=actor,
    )
    member_import.file.save("upload.csv", ContentFile(data), save=False)
    try:
        member_import.save()
    except Exception:
        member_import.file.delete(save=False)
        raise
    return member_import


@transaction.atomic(savepoint=False)
def import_set_mapping(
    *, member_import: MemberImport, actor: User | None, mapping: dict[str, int], date_order: str
) -> MemberImport:
    """Say which column holds what; the dry run then checks every row in the background."""
    from apps.members.tasks import member_import_analyze

    mapping = mapping_check(mapping, columns=len(member_import.header))
    if date_order not in dict(DATE_ORDERS):
        raise DomainError(gettext("Choose how dates are written."), field="date_order")
    if not import_can_remap(member_import):
        raise Conflict(
            gettext("This import has started: its columns cannot change any more."),
            code="not_mappable",
        )
    changes = {
        "mapping": mapping,
        "date_order": date_order,
        "status": ImportStatus.ANALYZING,
        "analysis": {},
        "analyzed_rows": 0,
        "failure": "",
        "updated_at": timezone.now(),
    }
    # Conditional, so that a confirmation (or another mapping) a moment ago is not undone.
    changed = MemberImport.objects.filter(
        pk=member_import.pk, status=member_import.status, updated_at=member_import.updated_at
    ).update(**changes)
    if not changed:
        raise Conflict(
            gettext("This import changed a moment ago: look at it again."), code="changed"
        )
    for name, value in changes.items():
        setattr(member_import, name, value)
    # The report reads in the language of whoever asked for it.
    language = translation.get_language() or ""
    transaction.on_commit(lambda: member_import_analyze.delay(member_import.pk, language))
    return member_import


def _row_reader(member_import: MemberImport, merchant: Merchant) -> RowReader:
    return RowReader(
        merchant=merchant,
        mapping={name: int(index) for name, index in member_import.mapping.items()},
        date_order=member_import.date_order,
        columns=len(member_import.header),
    )


def import_analyze(*, import_id: int) -> bool:
    """The dry run: classify every row (to create, matching a member, repeated in the file,
    wrong) without writing a member. Safe to run twice. False when there was nothing to do."""
    member_import = (
        MemberImport.objects.select_related("merchant")
        .filter(pk=import_id, status=ImportStatus.ANALYZING)
        .first()
    )
    if member_import is None:
        return False
    try:
        _analyze(member_import)
    except Exception as error:
        MemberImport.objects.filter(pk=import_id, status=ImportStatus.ANALYZING).update(
            status=ImportStatus.FAILED,
            failure=_failure_text(error, importing=False),
            updated_at=timezone.now(),
        )
        raise
    return True


def _failure_text(error: Exception, *, importing: bool) -> str:
    if isinstance(error, DomainError):
        return error.message
    name = {"error": error.__class__.__name__}
    if importing:
        # Translators: %(error)s is the name of a Python exception (OperationalError).
        return gettext("Something went wrong while importing (%(error)s).") % name
    # Translators: %(error)s is the name of a Python exception (OperationalError).
    return gettext("Something went wrong while checking the file (%(error)s).") % name


def _analyze(member_import: MemberImport) -> None:
    merchant = member_import.merchant
    parsed = read_import(member_import)
    reader = _row_reader(member_import, merchant)
    tally, seen, done = Tally(), {}, 0
    with tempfile.TemporaryFile() as raw:
        problems = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        writer = csv.writer(problems)
        writer.writerow(["Row", "Outcome", "Why", *parsed.header])
        for chunk in _chunks(parsed.rows(), ANALYSIS_CHUNK):
            rows = [reader.parse(number, cells) for number, cells in chunk]
            skip_repeats(rows, seen)
            match_existing(merchant, rows)
            for row in rows:
                tally.add(row)
                if row.kind != Kind.CREATE:
                    writer.writerow(
                        [row.number, row.kind, " ".join(row.messages)]
                        + [safe_cell(cell) for cell in row.cells]
                    )
            done += len(rows)
            MemberImport.objects.filter(pk=member_import.pk).update(
                analyzed_rows=done, updated_at=timezone.now()
            )
        problems.flush()
        raw.seek(0)
        old_problems = member_import.problems_file.name
        member_import.problems_file.save("problems.csv", File(raw), save=False)
        problems.detach()
    report = {"rows": done, "counts": tally.counts, "details": tally.details}
    saved = MemberImport.objects.filter(pk=member_import.pk, status=ImportStatus.ANALYZING).update(
        status=ImportStatus.READY,
        analysis=report,
        analyzed_rows=done,
        problems_file=member_import.problems_file.name,
        updated_at=timezone.now(),
    )
    storage = member_import.problems_file.storage
    if old_problems:
        storage.delete(old_problems)
    if not saved:  # re-mapped meanwhile: this report is not the one kept
        storage.delete(member_import.problems_file.name)


@transaction.atomic(savepoint=False)
def import_confirm(
    *, member_import: MemberImport, actor: User | None, send_welcome: bool = False
) -> MemberImport:
    """Start the import after the dry run, or resume one that stopped (a resumed import
    keeps the choice it was started with about welcomes)."""
    from apps.members.tasks import member_import_run

    if member_import.files_removed_at:
        raise Conflict(
            gettext("The file of this import was deleted after its keeping time: upload it again."),
            code="file_deleted",
        )
    resuming = import_can_resume(member_import)
    if not resuming and member_import.status != ImportStatus.READY:
        raise Conflict(
            gettext(
                "This import cannot start now: check the file first, or wait for it to finish."
            ),
            code="not_ready",
        )
    now = timezone.now()
    changes = {"status": ImportStatus.QUEUED, "failure": "", "updated_at": now}
    if not resuming:
        changes |= {"confirmed_by": actor, "confirmed_at": now, "send_welcome": send_welcome}
    # Conditional, so that two clicks (or two managers) start it once.
    started = MemberImport.objects.filter(
        pk=member_import.pk,
        status=member_import.status,
        updated_at=member_import.updated_at,
    ).update(**changes)
    if not started:
        raise Conflict(gettext("This import was started a moment ago."), code="already_started")
    audit_record(
        merchant=member_import.merchant,
        actor=actor,
        action="members.import_resumed" if resuming else "members.import_started",
        summary=stored_text(
            # Translators: %(file)s is the name of the uploaded file.
            gettext_noop("Resumed the import of %(file)s")
            if resuming
            else gettext_noop("Started the import of %(file)s"),
            file=member_import.original_name,
        ),
        target=member_import,
    )
    # The report reads in the language of whoever started it.
    language = translation.get_language() or ""
    transaction.on_commit(lambda: member_import_run.delay(member_import.pk, language))
    member_import.refresh_from_db()
    return member_import


def import_run(*, import_id: int) -> bool:
    """Import the confirmed rows, batch by batch, from where the last run stopped.

    Safe to run twice, even at once: each batch is claimed by moving `rows_done` on with a
    conditional update, so only one run imports it; rows matching members are skipped.
    After `TASK_SECONDS` a run enqueues the next and returns, so that no task outlives the
    broker's patience (a Redis visibility timeout) or a deploy by much.
    False when there was nothing (left) to do.
    """
    now = timezone.now()
    started = MemberImport.objects.filter(
        pk=import_id, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
    ).update(status=ImportStatus.RUNNING, failure="", updated_at=now)
    if not started:
        return False
    member_import = MemberImport.objects.select_related("merchant", "confirmed_by").get(
        pk=import_id
    )
    try:
        return _import(member_import)
    except Exception as error:
        MemberImport.objects.filter(pk=import_id, status=ImportStatus.RUNNING).update(
            status=ImportStatus.FAILED,
            failure=_failure_text(error, importing=True)
            + " "
            + gettext("Every batch before it is imported; resume to carry on."),
            updated_at=timezone.now(),
        )
        raise


def _import(member_import: MemberImport) -> bool:
    from apps.members.tasks import member_import_run

    deadline = monotonic() + TASK_SECONDS
    merchant = member_import.merchant
    resume_at = member_import.rows_done
    if resume_at < member_import.rows_total:
        reader = _row_reader(member_import, merchant)
        seen: dict[tuple[str, str], int] = {}
        offset = 0
        for chunk in _chunks(read_import(member_import).rows(), IMPORT_BATCH):
            rows = [reader.parse(number, cells) for number, cells in chunk]
            skip_repeats(rows, seen)  # earlier rows too: repeats refer to them
            start, end = offset, offset + len(rows)
            offset = end
            if end <= resume_at:
                continue
            todo = rows[max(resume_at - start, 0) :]
            if not _import_batch(member_import, start=max(start, resume_at), end=end, rows=todo):
                return False  # another run is ahead of this one: it carries on
            if end < member_import.rows_total and monotonic() > deadline:
                # Hand over to a new task: no task runs longer than a broker waits for it.
                transaction.on_commit(
                    partial(
                        member_import_run.delay, member_import.pk, translation.get_language() or ""
                    )
                )
                return True
    return _finish(member_import)


def _import_batch(member_import: MemberImport, *, start: int, end: int, rows: list) -> bool:
    merchant = member_import.merchant
    with transaction.atomic():
        claimed = MemberImport.objects.filter(
            pk=member_import.pk, status=ImportStatus.RUNNING, rows_done=start
        ).update(rows_done=end, updated_at=timezone.now())
        if not claimed:
            return False
        match_existing(merchant, rows)
        _enroll(member_import, [row for row in rows if row.kind == Kind.CREATE])
        tally = Tally()
        for row in rows:
            tally.add(row)
        current = MemberImport.objects.get(pk=member_import.pk)  # locked by the claim above
        current.created_count += tally.counts[Kind.CREATE]
        current.matched_count += tally.counts[Kind.MATCHED]
        current.duplicate_count += tally.counts[Kind.DUPLICATE]
        current.error_count += tally.counts[Kind.ERROR]
        current.result = {"details": tally.merge_into(current.result.get("details", {}))}
        current.save(
            update_fields=[
                "created_count",
                "matched_count",
                "duplicate_count",
                "error_count",
                "result",
            ]
        )
    return True


def _enroll(member_import: MemberImport, rows: list[ParsedRow]) -> None:
    """Enroll the batch's new customers in one go, by `member_enroll`'s rules, and say so
    (`MEMBERS_IMPORTED`: the welcomes, when the import was started with them)."""
    merchant, actor = member_import.merchant, member_import.confirmed_by
    outcomes = members_enroll_many(
        merchant=merchant,
        rows=[{"actor": actor, "channel": Channel.IMPORT, **row.values} for row in rows],
    )
    enrolled = tuple(outcome.member.pk for outcome in outcomes if outcome.member is not None)
    if enrolled:
        publish(
            MEMBERS_IMPORTED,
            MembersImported(merchant, enrolled, send_welcome=member_import.send_welcome),
        )
    for row, outcome in zip(rows, outcomes, strict=True):
        if isinstance(outcome.error, DuplicateMember):  # enrolled since the batch looked
            who = outcome.error.member.display_name
            # Translators: %(name)s is the member's name.
            row.decide(Kind.MATCHED, gettext("Already a member: %(name)s.") % {"name": who})
        elif outcome.error is not None:
            row.decide(Kind.ERROR, outcome.error.message)


def _finish(member_import: MemberImport) -> bool:
    with transaction.atomic():
        finished = MemberImport.objects.filter(
            pk=member_import.pk,
            status=ImportStatus.RUNNING,
            rows_done__gte=member_import.rows_total,
        ).update(status=ImportStatus.DONE, updated_at=timezone.now(), finished_at=timezone.now())
        if not finished:
            return False
        done = MemberImport.objects.get(pk=member_import.pk)
        audit_record(
            merchant=member_import.merchant,
            actor=member_import.confirmed_by,
            action="members.imported",
            summary=stored_plural(
                # Translators: %(file)s is the file's name; %(matched)s is e.g. "5 already
                # members", %(errors)s e.g. "2 rows with errors".
                "Imported %(count)s member from %(file)s (%(matched)s, %(errors)s)",
                "Imported %(count)s members from %(file)s (%(matched)s, %(errors)s)",
                done.created_count,
                file=done.original_name,
                matched=stored_plural(
                    # Translators: rows of an imported file that matched existing members.
                    "%(count)s already a member",
                    "%(count)s already members",
                    done.matched_count,
                ),
                errors=stored_plural(
                    "%(count)s row with errors",
                    "%(count)s rows with errors",
                    done.error_count,
                ),
            ),
            target=done,
            data={
                "created": done.created_count,
                "matched": done.matched_count,
                "duplicates": done.duplicate_count,
                "errors": done.error_count,
            },
        )
    return True
