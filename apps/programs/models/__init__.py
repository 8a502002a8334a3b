"""The points program's models, by concern. Every model class is imported here, so
`from apps.programs.models import X` and Django's model discovery work as they did when
this was one module; the app label and tables are unchanged."""

from apps.programs.models.bonuses import BonusAction, BonusAward, BonusRule, CapPeriod
from apps.programs.models.earning import EarnMultiplier, MultiplierTarget, ProgramSettings, Promotion
from apps.programs.models.ledger import EntryKind, ExpiryNotice, LedgerEntry, Lot, PointsAccount
from apps.programs.models.purchases import Purchase, Refund
from apps.programs.models.rewards import Redemption, RedemptionStatus, Reward, RewardKind, new_reward_id

__all__ = [
    "BonusAction",
    "BonusAward",
    "BonusRule",
    "CapPeriod",
    "EarnMultiplier",
    "EntryKind",
    "ExpiryNotice",
    "LedgerEntry",
    "Lot",
    "MultiplierTarget",
    "PointsAccount",
    "ProgramSettings",
    "Promotion",
    "Purchase",
    "Redemption",
    "RedemptionStatus",
    "Refund",
    "Reward",
    "RewardKind",
    "new_reward_id",
]
