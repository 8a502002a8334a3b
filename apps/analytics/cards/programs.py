"""The cards about the loyalty programs: points, tiers, cashback and coupons, referrals."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from apps.analytics import program_kpis
from apps.analytics.cards.base import (
    Card,
    Choice,
    Figure,
    Format,
    Table,
    day_iso,
    day_text,
    figures_of,
    run_kpi,
)


def points_card(choice: Choice, fmt: Format) -> Card:
    now, before = run_kpi(program_kpis.kpi_points, choice)
    issued = pgettext("points", "Issued")
    redeemed = pgettext("points", "Redeemed")
    expired = pgettext("points", "Expired")
    taken_back = pgettext("points", "Taken back")
    points = _("Points")
    return Card(
        figures=figures_of(
            fmt,
            now,
            before,
            (issued, _("Earned by purchases + bonuses + added by hand."), "number", "issued"),
            (
                redeemed,
                _("Spent on rewards, less what voided redemptions gave back."),
                "number",
                "redeemed",
            ),
            (expired, _("Points that reached their expiry unused."), "number", "expired"),
            (
                pgettext("points", "Outstanding"),
                _("Held by members at the end of the period (all locations)."),
                "number",
                "outstanding",
            ),
            (
                _("Liability"),
                _("Outstanding points × the value of a point (set in the analytics settings)."),
                "money",
                "liability",
            ),
            (_("Redemption rate"), _("Redeemed ÷ issued × 100."), "percent", "redemption_rate"),
            (
                _("Breakage"),
                _(
                    "Expired ÷ (expired + redeemed) × 100: the share of used-up points that "
                    "expired."
                ),
                "percent",
                "breakage",
            ),
        ),
        chart={
            "type": "bar",
            "data": {
                "labels": [issued, redeemed, expired, taken_back],
                "datasets": [
                    {
                        "label": points,
                        "data": [now.issued, now.redeemed, now.expired, now.taken_back],
                    }
                ],
            },
        },
        tables=[
            Table(
                _("Points in the period"),
                [_("Movement"), points],
                [
                    [issued, fmt.number(now.issued)],
                    [redeemed, fmt.number(now.redeemed)],
                    [expired, fmt.number(now.expired)],
                    [taken_back, fmt.number(now.taken_back)],
                ],
                [
                    [issued, now.issued],
                    [redeemed, now.redeemed],
                    [expired, now.expired],
                    [taken_back, now.taken_back],
                ],
            )
        ],
        # Translators: "value" is an amount of money, e.g. "7,50 €".
        note=_("1,000 points are valued at %(value)s.")
        % {"value": fmt.money(now.thousand_points_value)},
    )


def tiers_card(choice: Choice, fmt: Format) -> Card:
    result = program_kpis.kpi_members_per_tier(
        merchant=choice.merchant, period=choice.period, location=choice.location
    )
    tiers = result.tiers
    headers = [_("Month end")] + [tier["name"] for tier in tiers]
    history = [
        [row["day"]] + [row["members"].get(tier["id"], 0) for tier in tiers]
        for row in result.history
    ]
    return Card(
        figures=[
            Figure(
                tier["name"],
                # Translators: "tier" is the name of a loyalty tier, e.g. "Gold".
                _("Members in %(tier)s now.") % {"tier": tier["name"]},
                tier["members"],
                fmt.number(tier["members"]),
                exported=tier["members"],
            )
            for tier in tiers
        ],
        tables=[
            Table(
                _("Members per tier at each month's end"),
                headers,
                [[day_text(row[0])] + [fmt.number(n) for n in row[1:]] for row in history],
                [[day_iso(row[0])] + row[1:] for row in history],
            )
        ]
        if tiers
        else [],
        chart={
            "type": "bar",
            "stacked": True,
            "data": {
                "labels": [day_text(row[0]) for row in history],
                "datasets": [
                    {"label": tier["name"], "data": [row[1 + i] for row in history]}
                    for i, tier in enumerate(tiers)
                ],
            },
        }
        if tiers
        else None,
        note="" if tiers else _("No tiers are set up."),
    )


def cashback_card(choice: Choice, fmt: Format) -> Card:
    now, before = run_kpi(program_kpis.kpi_cashback_and_coupons, choice, with_location=False)
    return Card(
        figures=figures_of(
            fmt,
            now,
            before,
            (
                _("Cashback earned"),
                _("Accrued in wallets in the period."),
                "money",
                "cashback_earned",
            ),
            (
                _("Cashback taken back"),
                _("By refunds in the period."),
                "money",
                "cashback_reversed",
            ),
            (
                _("In wallets"),
                _("Not yet a coupon, at the end."),
                "money",
                "cashback_outstanding",
            ),
            (
                _("Coupons issued"),
                _("From cashback, rewards, referrals, by hand."),
                "number",
                "coupons_issued",
            ),
            (
                _("Value issued"),
                _(
                    "What the coupons issued are worth. Percent coupons add nothing: what they "
                    "take off depends on the basket."
                ),
                "money",
                "coupons_issued_value",
            ),
            (
                _("Coupons redeemed"),
                _("Used on a purchase in the period."),
                "number",
                "coupons_redeemed",
            ),
            (
                _("Value redeemed"),
                _("What they took off baskets."),
                "money",
                "coupons_redeemed_value",
            ),
            (
                _("Live coupons' value"),
                _(
                    "Coupons of a fixed value issued, not used, not expired, not void: now. "
                    "Live percent coupons are not in it: they are counted apart."
                ),
                "money",
                "coupons_outstanding_value",
            ),
            (
                _("Live percent coupons"),
                _(
                    "Coupons worth a percent of the basket, live now: they have no fixed "
                    "value until used, so they are counted, not added to the value above."
                ),
                "number",
                "coupons_outstanding_percent",
            ),
        ),
        note=_("For the whole business (coupons have no location)."),
    )


def referrals_card(choice: Choice, fmt: Format) -> Card:
    now, before = run_kpi(program_kpis.kpi_referral_funnel, choice, with_location=False)
    codes_used = _("Codes used")
    converted = pgettext("referrals", "Converted")
    steps = [
        (codes_used, now.codes_used),
        (converted, now.converted),
        (pgettext("referrals", "Rewarded"), now.rewarded),
    ]
    others = [
        (_("Reversed since"), now.reversed),
        (_("Still pending"), now.pending),
        (pgettext("referrals", "Expired"), now.expired),
        (pgettext("referrals", "Rejected"), now.rejected),
    ]
    return Card(
        figures=figures_of(
            fmt,
            now,
            before,
            (
                codes_used,
                _("New members who joined with a friend's code in the period."),
                "number",
                "codes_used",
            ),
            (converted, _("Of those, made a first qualifying purchase."), "number", "converted"),
            (
                _("Conversion rate"),
                _("Converted ÷ codes used × 100."),
                "percent",
                "conversion_rate",
            ),
        ),
        chart={
            "type": "bar",
            "horizontal": True,
            "data": {
                "labels": [label for label, _n in steps],
                "datasets": [{"label": _("Referrals"), "data": [n for _label, n in steps]}],
            },
        },
        tables=[
            Table(
                _("Referral funnel"),
                [_("Step"), _("Members")],
                [[label, fmt.number(n)] for label, n in steps + others],
                [[label, n] for label, n in steps + others],
            )
        ],
    )
