"""The points program's models: settings and earn rules, bonuses, the ledger and its lots."""

from apps.programs.points.models.bonuses import BonusAction, BonusAward, BonusRule, CapPeriod
from apps.programs.points.models.day_totals import MemberDayTotal
from apps.programs.points.models.earning import (
    EarnMultiplier,
    MultiplierTarget,
    ProgramSettings,
    Promotion,
)
from apps.programs.points.models.ledger import (
    EntryKind,
    ExpiryNotice,
    LedgerEntry,
    Lot,
    PointsAccount,
)

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
    "MemberDayTotal",
    "MultiplierTarget",
    "PointsAccount",
    "ProgramSettings",
    "Promotion",
]
