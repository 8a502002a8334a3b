"""The only place member rows are locked for update, always in primary-key order."""

from .models import Member


def members_lock(*pks: int) -> list[Member]:
    """Lock these members (in pk order, so two transactions never deadlock) and return them
    in the order asked."""
    locked = {m.pk: m for m in Member.objects.select_for_update().filter(pk__in=pks).order_by("pk")}
    return [locked[pk] for pk in pks]
