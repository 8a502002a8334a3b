from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "apps.programs"
    label = "programs"
    verbose_name = _("Programs")

    def ready(self):
        from apps.members import services as member_services
        from apps.programs.points.bonuses import join_bonus, profile_bonus
        from apps.programs.points.models import ExpiryNotice, LedgerEntry, PointsAccount
        from apps.programs.points.services import points_merge

        # The ledger is append-only and an account is one per member: a merge moves points
        # with new entries instead of re-pointing these rows.
        member_services.MERGE_HANDLERS.append(points_merge)
        member_services.MERGE_KEEPS.update({LedgerEntry, PointsAccount})
        # Expiry notices stay with the record they were sent for: moved, two notices of one
        # date would clash, and the survivor's lots are announced on their own.
        member_services.MERGE_KEEPS.add(ExpiryNotice)
        member_services.ENROLL_HANDLERS.append(join_bonus)
        member_services.PROFILE_HANDLERS.append(profile_bonus)

        # Accounts before member rows, everywhere (members/lock_objects.py says why).
        from apps.members.lock_objects import LOCK_BEFORE_MEMBERS
        from apps.programs.points.lock_objects import points_accounts_lock

        LOCK_BEFORE_MEMBERS.append(lambda members: points_accounts_lock(*members))

        from apps.members.api_fields import MEMBER_API_EXTENSIONS
        from apps.programs.api_fields import POINTS

        MEMBER_API_EXTENSIONS.append(POINTS)
