from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "apps.programs"
    label = "programs"
    verbose_name = _("Programs")

    def ready(self):
        from apps.core import events, extensions
        from apps.core.events import subscribe
        from apps.programs.api_fields import POINTS
        from apps.programs.points.bonuses import join_bonus, profile_bonus
        from apps.programs.points.day_totals import day_totals_merge
        from apps.programs.points.lock_objects import points_accounts_lock
        from apps.programs.points.models import (
            ExpiryNotice,
            LedgerEntry,
            PointsAccount,
        )
        from apps.programs.points.reminders import points_expiring_webhook
        from apps.programs.points.services import points_merge
        from apps.programs.rewards.services import reward_redeemed_webhook
        from apps.programs.selectors import points_personal_data, purchases_personal_data

        subscribe(events.MEMBER_ENROLLED, join_bonus, order=10)
        subscribe(events.MEMBER_PROFILE_CHANGED, profile_bonus, order=10)
        # The ledger is append-only and an account is one per member: a merge moves points
        # with new entries instead of re-pointing these rows. Expiry notices stay with the
        # record they were sent for: moved, two notices of one date would clash, and the
        # survivor's lots are announced on their own.
        subscribe(events.MEMBERS_MERGING, points_merge, order=10)
        # The day totals follow the purchases to the survivor (made again for both).
        subscribe(events.MEMBERS_MERGING, day_totals_merge, order=11)
        for model in (LedgerEntry, PointsAccount, ExpiryNotice):
            extensions.MERGE_KEPT_MODELS.register(model)
        subscribe(events.REWARD_REDEEMED, reward_redeemed_webhook, order=90)
        subscribe(events.POINTS_EXPIRING, points_expiring_webhook, order=90)

        # Accounts before member rows, everywhere (members/lock_objects.py says why).
        extensions.MEMBER_LOCKS.register(lambda members: points_accounts_lock(*members), order=10)
        extensions.MEMBER_API_FIELDS.register(POINTS, order=10)
        extensions.PERSONAL_DATA_PARTS.register(
            extensions.PersonalDataPart("purchases", purchases_personal_data), order=10
        )
        extensions.PERSONAL_DATA_PARTS.register(
            extensions.PersonalDataPart("points", points_personal_data), order=11
        )
