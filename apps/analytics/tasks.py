from celery import shared_task

from apps.analytics.refresh import analytics_refresh


@shared_task(swept=True)  # the beat, every minute
def refresh_analytics() -> dict:
    """Every minute: add what was written since the last run to the rollups. Safe twice
    and concurrently: a run that finds another at work does nothing."""
    result = analytics_refresh()
    if result is None:
        return {"skipped": "another refresh or a rebuild is running"}
    return {
        "rows": result.rows,
        "members": result.members,
        "open_gaps": result.open_gaps,
        "complete": result.complete,
    }
