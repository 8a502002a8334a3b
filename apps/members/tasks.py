"""Background work for members: the CSV import's dry run and import, the CSV export.

Each task takes an id and calls a service that is safe to run twice (tasks are
acknowledged late and re-queued if their worker dies).
"""

from celery import shared_task

from . import csv_export, csv_import, retention


@shared_task
def member_import_analyze(import_id: int) -> bool:
    """The dry run of an import: classify every row, write nothing."""
    return csv_import.import_analyze(import_id=import_id)


@shared_task
def member_import_run(import_id: int) -> bool:
    """Import the rows of a confirmed import, carrying on from where it stopped."""
    return csv_import.import_run(import_id=import_id)


@shared_task
def member_export_run(export_id: int) -> bool:
    """Write the CSV file of an export."""
    return csv_export.export_run(export_id=export_id)


@shared_task
def member_files_purge() -> int:
    """Daily: delete import and export files past their keeping time (retention.py)."""
    return retention.transfer_files_purge()
