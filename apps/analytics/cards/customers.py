"""The cards about customers: retention, repeat purchases, purchase frequency, the members
by status, cohort retention, acquisition cost and enrollments."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from apps.analytics import kpis
from apps.analytics.cards.base import (
    Card,
    Choice,
    Figure,
    Format,
    Table,
    day_text,
    figures_of,
    members_link,
    month_iso,
    month_text,
    run_kpi,
)
from apps.analytics.selectors import Status


def retention_card(choice: Choice, fmt: Format) -> Card:
    now, before = run_kpi(kpis.kpi_retention_rate, choice)
    return Card(
        figures=figures_of(
            fmt,
            now,
            before,
            (
                _("Retention rate"),
                _(
                    "(Active members at the end − new members in the period) ÷ active members "
                    "at the start × 100."
                ),
                "percent",
                "rate",
            ),
            (
                _("Active at the start"),
                _(
                    "Members who bought (or joined) within the at-risk threshold before the "
                    "first day."
                ),
                "number",
                "members_at_start",
            ),
            (
                _("Active at the end"),
                _(
                    "Members who bought (or joined) within the at-risk threshold before the "
                    "last day."
                ),
                "number",
                "members_at_end",
            ),
            (
                _("New and active"),
                _("Of those active at the end, the ones who joined during the period."),
                "number",
                "new_members",
            ),
        ),
    )


def repeat_card(choice: Choice, fmt: Format) -> Card:
    now, before = run_kpi(kpis.kpi_repeat_purchase_rate, choice)
    return Card(
        figures=figures_of(
            fmt,
            now,
            before,
            (
                _("Repeat purchase rate"),
                _(
                    "Members who came back (a second visit: another day or shop) ÷ members "
                    "who bought × 100."
                ),
                "percent",
                "rate",
            ),
            (
                # Translators: members who came back to buy again.
                _("Came back"),
                _("Members with two visits or more in the period."),
                "number",
                "repeat_buyers",
            ),
            (
                # Translators: members who bought in the period.
                _("Bought"),
                _("Members with at least one purchase in the period."),
                "number",
                "buyers",
            ),
        ),
    )


def frequency_card(choice: Choice, fmt: Format) -> Card:
    now, before = run_kpi(kpis.kpi_purchase_frequency, choice)
    return Card(
        figures=figures_of(
            fmt,
            now,
            before,
            (
                _("Purchases per buyer"),
                _("Purchases in the period ÷ members who bought in it."),
                "number",
                "per_buyer",
            ),
            (_("Purchases"), _("Members' purchases in the period."), "number", "purchases"),
        ),
    )


def statuses_card(choice: Choice, fmt: Format) -> Card:
    now, before = run_kpi(kpis.kpi_member_statuses, choice)
    risk, lapsed = now.at_risk_days, now.lapsed_days
    active = pgettext("member status", "Active")
    at_risk = pgettext("member status", "At risk")
    lapsed_label = pgettext("member status", "Lapsed")
    members = _("Members")
    as_of = day_text(now.as_of)
    return Card(
        figures=figures_of(
            fmt,
            now,
            before,
            (
                active,
                ngettext(
                    "Bought (or joined) in the last %(days)d day.",
                    "Bought (or joined) in the last %(days)d days.",
                    risk,
                )
                % {"days": risk},
                "number",
                "active",
                members_link(Status.ACTIVE, choice),
            ),
            (
                pgettext("member status", "New"),
                _("Joined in the period."),
                "number",
                "new",
                members_link("new", choice),
            ),
            (
                at_risk,
                # Translators: "at_risk" and "lapsed" are the two thresholds, in days.
                ngettext(
                    "No purchase for more than %(at_risk)d day, up to %(lapsed)d.",
                    "No purchase for more than %(at_risk)d days, up to %(lapsed)d.",
                    risk,
                )
                % {"at_risk": risk, "lapsed": lapsed},
                "number",
                "at_risk",
                members_link(Status.AT_RISK, choice),
            ),
            (
                lapsed_label,
                ngettext(
                    "No purchase for more than %(days)d day.",
                    "No purchase for more than %(days)d days.",
                    lapsed,
                )
                % {"days": lapsed},
                "number",
                "lapsed",
                members_link(Status.LAPSED, choice),
            ),
        ),
        chart={
            "type": "doughnut",
            "data": {
                "labels": [active, at_risk, lapsed_label],
                "datasets": [{"label": members, "data": [now.active, now.at_risk, now.lapsed]}],
            },
        },
        tables=[
            Table(
                # Translators: the caption of a table of members by status; "day" is a date.
                _("Members on %(day)s") % {"day": as_of},
                [_("Status"), members],
                [
                    [active, fmt.number(now.active)],
                    [at_risk, fmt.number(now.at_risk)],
                    [lapsed_label, fmt.number(now.lapsed)],
                ],
                [[active, now.active], [at_risk, now.at_risk], [lapsed_label, now.lapsed]],
            )
        ],
        note=_("Counted at the end of the period (%(day)s); the lists are of today.")
        % {"day": as_of},
    )


def _heat(share: Decimal | None) -> str:
    """One of eleven shades, as classes: the style policy allows no inline colours."""
    return "heat-none" if share is None else f"heat-{int(share // 10)}"


def cohorts_card(choice: Choice, fmt: Format) -> Card:
    result = kpis.kpi_cohort_retention(
        merchant=choice.merchant, period=choice.period, location=choice.location
    )
    width = max((len(row.active) for row in result.rows), default=0)
    # Translators: a column of the cohort table: months since the members joined (0, 1, 2…).
    headers = [_("Joined"), _("Members")] + [
        _("Month %(number)d") % {"number": k} for k in range(width)
    ]
    rows, values, classes = [], [], []
    for row in result.rows:
        padding = width - len(row.active)
        rows.append(
            [month_text(row.cohort), fmt.number(row.members)]
            + [fmt.percent(share) for share in row.shares]
            + [""] * padding
        )
        values.append([month_iso(row.cohort), row.members] + list(row.shares) + [None] * padding)
        classes.append(["", ""] + [_heat(share) for share in row.shares] + [""] * padding)
    return Card(
        tables=[
            Table(
                _("Share of each month's new members who bought in each month after joining"),
                headers,
                rows,
                values,
                classes,
            )
        ],
        note=_("Month 0 is the month they joined. One row per month of the period."),
    )


def acquisition_card(choice: Choice, fmt: Format) -> Card:
    now, before = run_kpi(kpis.kpi_acquisition_cost, choice, with_location=False)
    months = {"first": month_text(now.first_month), "last": month_text(now.last_month)}
    return Card(
        figures=figures_of(
            fmt,
            now,
            before,
            (
                _("Cost per new member"),
                _("Marketing spend ÷ new members, over the whole months the period touches."),
                "money",
                "cost_per_member",
            ),
            (
                _("Marketing spend"),
                _("Entered per month in the analytics settings."),
                "money",
                "spend",
            ),
            (_("New members"), _("Joined in those months."), "number", "new_members"),
        ),
        # Translators: "first" and "last" are months, e.g. "Jan 2026".
        note=_("Months %(first)s to %(last)s.") % months
        if now.spend is not None
        else _("Months %(first)s to %(last)s. No spend entered for them yet.") % months,
    )


def enrollments_card(choice: Choice, fmt: Format) -> Card:
    result = kpis.kpi_enrollments(
        merchant=choice.merchant, period=choice.period, location=choice.location
    )
    members = _("Members")
    # Translators: in the enrollments' tables, a row with no channel or no location.
    nothing = pgettext("no channel or location", "None")

    def table(caption, header, rows, name):
        named = [(str(row[name] or nothing), row["members"]) for row in rows]
        return Table(
            caption,
            [header, members],
            [[label, fmt.number(n)] for label, n in named],
            [[label, n] for label, n in named],
        )

    staff = [
        row | {"name": row["name"] or _("Nobody (online, API, import)")} for row in result.by_staff
    ]
    new_members = _("New members")
    return Card(
        figures=[
            Figure(
                new_members,
                _("Joined in the period."),
                result.total,
                fmt.number(result.total),
                exported=result.total,
            )
        ],
        chart={
            "type": "bar",
            "data": {
                "labels": [str(row["label"] or nothing) for row in result.by_channel],
                "datasets": [
                    {"label": new_members, "data": [row["members"] for row in result.by_channel]}
                ],
            },
        },
        tables=[
            table(_("By channel"), _("Channel"), result.by_channel, "label"),
            table(_("By location"), _("Location"), result.by_location, "name"),
            table(_("By staff member"), _("Enrolled by"), staff, "name"),
        ],
    )
