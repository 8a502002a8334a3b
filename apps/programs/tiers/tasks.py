"""Background work for tiers. Each task takes ids and calls a service safe to run twice."""

from celery import shared_task

from apps.programs.tiers import services


@shared_task
def review_tiers() -> int:
    """Hourly (each merchant's night falls at another hour): act on the tier reviews
    due, moving members down where their window's total no longer holds their tier."""
    return services.tiers_review()


@shared_task(swept=True)  # tier_reevaluations_sweep
def tier_reevaluation_run(job_id: int) -> bool:
    """Place every member again after the tier rules changed, from the resume point."""
    return services.reevaluation_run(job_id=job_id)


@shared_task
def tier_reevaluations_sweep() -> int:
    """Every 5 minutes: start again the re-evaluations whose task was lost."""
    return services.reevaluations_stalled_restart()
