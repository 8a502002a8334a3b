"""How long the files of member imports and exports are kept.

Both hold customers' personal data (an export is the whole member list), so their files
are deleted `MEMBER_FILES_KEEP_DAYS` days (7 by default) after the last activity on
them. The records stay, with their counts and reports, and say when the files went; an
import whose file is gone can no longer be started or resumed (upload it again).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from apps.members.models import ExportStatus, ImportStatus, MemberExport, MemberImport

# A queued or running import or export may still need its file: those are left alone.
_IMPORTS_AT_WORK = (ImportStatus.ANALYZING, ImportStatus.QUEUED, ImportStatus.RUNNING)
_EXPORTS_AT_WORK = (ExportStatus.QUEUED, ExportStatus.RUNNING)


def _delete(field_file) -> None:
    if field_file:
        field_file.storage.delete(field_file.name)


def transfer_files_purge(*, now: datetime | None = None, keep_days: int | None = None) -> int:
    """Delete the files of imports and exports untouched for `keep_days`. Returns how many
    records lost their files. Safe to run twice or concurrently: a record is marked with a
    conditional UPDATE first, so only one run deletes its files."""
    now = now or timezone.now()
    keep_days = settings.MEMBER_FILES_KEEP_DAYS if keep_days is None else keep_days
    cutoff = now - timedelta(days=keep_days)
    removed = 0
    old_imports = MemberImport.objects.filter(
        files_removed_at__isnull=True, updated_at__lt=cutoff
    ).exclude(status__in=_IMPORTS_AT_WORK)
    for member_import in old_imports.iterator():
        claimed = MemberImport.objects.filter(
            pk=member_import.pk, files_removed_at__isnull=True
        ).update(files_removed_at=now, file="", problems_file="")
        if claimed:
            _delete(member_import.file)
            _delete(member_import.problems_file)
            removed += 1
    old_exports = MemberExport.objects.filter(
        files_removed_at__isnull=True, updated_at__lt=cutoff
    ).exclude(status__in=_EXPORTS_AT_WORK)
    for export in old_exports.iterator():
        claimed = MemberExport.objects.filter(pk=export.pk, files_removed_at__isnull=True).update(
            files_removed_at=now, file=""
        )
        if claimed:
            _delete(export.file)
            removed += 1
    return removed
