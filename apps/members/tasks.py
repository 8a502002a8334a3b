"""Background work for members: the CSV import's dry run and import, the CSV export.

Each task takes an id and calls a service that is safe to run twice (tasks are
acknowledged late and re-queued if their worker dies). The import and export tasks also
take the language of the person who asked (`translation.get_language()` when queued), so
the reports and messages they store read in it; without one, the worker's default.
"""

from contextlib import nullcontext

from celery import shared_task
from django.utils import translation

from apps.members import csv_export, csv_import, retention


def _in_language(language: str):
    return translation.override(language) if language else nullcontext()


@shared_task
def member_import_analyze(import_id: int, language: str = "") -> bool:
    """The dry run of an import: classify every row, write nothing."""
    with _in_language(language):
        return csv_import.import_analyze(import_id=import_id)


@shared_task
def member_import_run(import_id: int, language: str = "") -> bool:
    """Import the rows of a confirmed import, carrying on from where it stopped."""
    with _in_language(language):
        return csv_import.import_run(import_id=import_id)


@shared_task
def member_export_run(export_id: int, language: str = "") -> bool:
    """Write the CSV file of an export (its columns stay in English: see csv_export)."""
    with _in_language(language):
        return csv_export.export_run(export_id=export_id)


@shared_task
def member_files_purge() -> int:
    """Daily: delete import and export files past their keeping time (retention.py)."""
    return retention.transfer_files_purge()
