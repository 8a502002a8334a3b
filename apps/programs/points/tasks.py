from celery import shared_task

from apps.programs.points.bonuses import birthday_bonuses
from apps.programs.points.services import lots_expire


@shared_task
def expire_points() -> int:
    """Nightly: expire lots past their date. Safe to run twice."""
    return lots_expire()


@shared_task
def give_birthday_bonuses() -> int:
    """Several times a day (time zones differ): today's birthday bonuses, once each."""
    return birthday_bonuses()


@shared_task
def announce_points_expiring() -> int:
    """Hourly: points about to expire, announced once per member, expiry and stage (the
    `points_expiring` event: its webhook, the campaigns' message)."""
    from apps.programs.points.reminders import points_expiring_announce

    return points_expiring_announce()
