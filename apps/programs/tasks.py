from celery import shared_task

from .services import lots_expire


@shared_task
def expire_points() -> int:
    """Nightly: expire lots past their date. Safe to run twice."""
    return lots_expire()
