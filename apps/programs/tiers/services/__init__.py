"""Writes for tiers: the rules, and members moving up and down.

Rules chosen (docs/architecture/programs.md, "VIP tiers"):

* Up at once: a purchase whose qualifying total (selectors.py) reaches a higher tier
  moves the member there in the purchase's transaction (`tiers_on_purchase`, a
  `PURCHASE_RECORDED` handler). That purchase earns at the rate of the tier the member had
  before it; the next one earns at the new rate.
* Down only at a review: a tier is reviewed at `review_at` (12 months after reaching or
  confirming it for a rolling window, the end of the calendar year otherwise), and acted
  on once `grace_days` more have passed. The member then keeps the tier that the better of
  two totals supports: the window ending at the review, or the window ending now (so what
  they bought during the grace period counts). The same or higher: confirmed (or moved
  up), with the next review after it; lower: moved down, possibly to no tier.
* Refunds lower the total but never move anyone down before their review.
* Rule changes re-place every member in the background (`reevaluation_start`): upgrades
  apply at once, members of a deactivated tier are placed where their total puts them
  (up or down), other downgrades wait for each member's review.

Every change is a `TierChange`, a timeline event "tier_changed" and the `TIER_CHANGED`
event, all in the transaction that made it.

The modules: moves.py (a member's move, and the purchase and merge handlers), reviews.py (the
nightly reviews), reevaluation.py (placing every member again) and rules.py (the manager's
tier edits and settings). Their public names are re-exported here.
"""

from apps.programs.tiers.services.moves import (
    member_tier_move,
    tier_earn_percent,
    tier_reward_check,
    tiers_merge,
    tiers_on_purchase,
)
from apps.programs.tiers.services.reevaluation import (
    OPEN,
    REEVALUATION_BATCH,
    TASK_SECONDS,
    reevaluation_run,
    reevaluation_start,
    reevaluations_stalled_restart,
)
from apps.programs.tiers.services.reviews import member_tier_review, tiers_review
from apps.programs.tiers.services.rules import (
    CHANGED_WORDS,
    MAX_THRESHOLD,
    reevaluation_resume,
    tier_create,
    tier_set_active,
    tier_settings_ensure,
    tier_settings_update,
    tier_update,
)

__all__ = [
    "CHANGED_WORDS",
    "MAX_THRESHOLD",
    "OPEN",
    "REEVALUATION_BATCH",
    "TASK_SECONDS",
    "member_tier_move",
    "member_tier_review",
    "reevaluation_resume",
    "reevaluation_run",
    "reevaluation_start",
    "reevaluations_stalled_restart",
    "tier_create",
    "tier_earn_percent",
    "tier_reward_check",
    "tier_set_active",
    "tier_settings_ensure",
    "tier_settings_update",
    "tier_update",
    "tiers_merge",
    "tiers_on_purchase",
    "tiers_review",
]
