"""Writes for referrals: codes, enrolling with a code, rewards, and undoing them.

How the pieces run, and under which locks:

* Enrolling with a code (counter, public link, API) goes through `members.services.
  member_enroll(extras={"referral_code": ...})`: `enroll_extra_check` refuses a bad code
  before the member is inserted (nobody is enrolled), and the referral row is written in
  the same transaction once the member exists.
* A purchase (`PURCHASE_RECORDED`) runs with the new member's points account
  locked. If it is their first qualifying purchase, the new member's reward is written
  there and then, and the referral is marked converted with the referrer's side *due*.
* The referrer's side is settled by `referrer_settle` (a task enqueued after commit by
  `referrer_settle_later`, subscribed to `REFERRAL_CONVERTED` and `REFERRAL_REVERSED`,
  and an hourly sweep as the safety net), which locks the *referrer's* account alone, then the
  referral row. Doing it inside the purchase would hold two members' account locks at
  once; referrer → referred edges do not follow any fixed lock order once merges re-point
  them (two records merged can even refer each other), so two purchases could deadlock.
  With one account lock per transaction, always taken before the referral row, no cycle
  can form. The cap ("rewarded referrals per referrer per month") is counted under that
  same referrer lock, so racing conversions cannot pass it.
* A refund (`REFUND_RECORDED`) that takes the qualifying purchase's net amount
  below the minimum takes back the new member's reward in its transaction, and marks the
  referrer's side to be taken back by the same task (or never paid, if still due).
"""

from apps.programs.referrals.services.linking import enroll_extra_check
from apps.programs.referrals.services.merging_and_expiry import referral_merge, referrals_sweep
from apps.programs.referrals.services.rewards import (
    referral_purchase_hook,
    referral_refund_hook,
    referral_reverse,
    referrer_settle,
    referrer_settle_later,
    referrer_settle_locked,
)
from apps.programs.referrals.services.settings_and_codes import (
    EXTRA_NAME,
    MAX_COUPON,
    MAX_POINTS,
    enroll_code_handler,
    referral_code_for,
    referral_settings,
    referral_settings_update,
    referrer_for_code,
)

__all__ = [
    "EXTRA_NAME",
    "MAX_COUPON",
    "MAX_POINTS",
    "enroll_code_handler",
    "enroll_extra_check",
    "referral_code_for",
    "referral_merge",
    "referral_purchase_hook",
    "referral_refund_hook",
    "referral_reverse",
    "referral_settings",
    "referral_settings_update",
    "referrals_sweep",
    "referrer_for_code",
    "referrer_settle",
    "referrer_settle_later",
    "referrer_settle_locked",
]
