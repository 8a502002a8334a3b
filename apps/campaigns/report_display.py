"""A campaign's report as the dashboard shows it: the lift report's numbers (report.py,
lift.py) formatted for the reader, the sentence that says whether they can be trusted,
and the data of the chart (drawn by static/js/charts.js; the same numbers are in the
table, so the page says everything without it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from apps.campaigns.campaign_selectors import Engagement
from apps.core.formatting import format_merchant_money, format_number
from apps.core.models import Merchant
from apps.core.money import to_major


@dataclass(frozen=True)
class Row:
    label: str
    treatment: str
    holdout: str


@dataclass(frozen=True)
class Difference:
    label: str
    difference: str
    low: str
    high: str


@dataclass
class ReportView:
    groups: list[Row]
    has_holdout: bool
    all_held_out: bool = False
    differences: list[Difference] = field(default_factory=list)
    figures: list[tuple[str, str]] = field(default_factory=list)
    conclusive: bool = False
    needed_per_group: int | None = None
    charts: list[dict] = field(default_factory=list)
    engagement: list[tuple[str, str]] = field(default_factory=list)


def _percent(rate: float | None, *, signed: bool = False) -> str:
    if rate is None:
        return "—"
    value = round(rate * 100, 1)
    text = format_number(value) + " %"
    return ("+" + text) if signed and value > 0 else text


def _points(rate: float | None, *, signed: bool = False) -> str:
    """A difference of two rates, in percentage points."""
    if rate is None:
        return "—"
    value = round(rate * 100, 1)
    # Translators: a difference of two percentages, in percentage points ("+2.5 pp").
    text = gettext("%(value)s pp") % {"value": format_number(value)}
    return ("+" + text) if signed and value > 0 else text


def _money(minor: float | int | None, merchant: Merchant, *, signed: bool = False) -> str:
    if minor is None:
        return "—"
    rounded = round(minor)
    text = format_merchant_money(rounded, merchant)
    return ("+" + text) if signed and rounded > 0 else text


def _major(minor: float | None, merchant: Merchant) -> float | None:
    return None if minor is None else float(to_major(round(minor), merchant.currency))


def _rate(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def _groups(data: dict, merchant: Merchant) -> list[Row]:
    treatment, holdout = data["treatment"], data["holdout"]
    return [
        Row(
            gettext("Members"),
            format_number(treatment["members"]),
            format_number(holdout["members"]),
        ),
        Row(
            gettext("Members who bought"),
            format_number(treatment["buyers"]),
            format_number(holdout["buyers"]),
        ),
        Row(
            gettext("Visit rate"),
            _percent(treatment["visit_rate"]),
            _percent(holdout["visit_rate"]),
        ),
        Row(
            gettext("Revenue"),
            _money(treatment["revenue"], merchant),
            _money(holdout["revenue"], merchant),
        ),
        Row(
            gettext("Revenue per member"),
            _money(treatment["revenue_per_member"], merchant),
            _money(holdout["revenue_per_member"], merchant),
        ),
    ]


def _bounds(difference: dict) -> tuple[float | None, float | None]:
    """The interval's ends; none when the groups are too small to give one."""
    return tuple(difference["ci95"]) if difference.get("ci95") else (None, None)


def _differences(lift: dict, merchant: Merchant) -> list[Difference]:
    visits, revenue = lift["visit_rate"], lift["revenue_per_member"]
    visits_low, visits_high = _bounds(visits)
    revenue_low, revenue_high = _bounds(revenue)
    return [
        Difference(
            gettext("Visit rate"),
            _points(visits["difference"], signed=True),
            _points(visits_low, signed=True),
            _points(visits_high, signed=True),
        ),
        Difference(
            gettext("Revenue per member"),
            _money(revenue["difference"], merchant, signed=True),
            _money(revenue_low, merchant, signed=True),
            _money(revenue_high, merchant, signed=True),
        ),
    ]


def _charts(data: dict, merchant: Merchant) -> list[dict]:
    treatment, holdout = data["treatment"], data["holdout"]
    groups = [gettext("Campaign group"), gettext("Held-out group")]
    return [
        {
            "id": "chart-visit-rate",
            "data_id": "chart-visit-rate-data",
            "title": gettext("Visit rate (%)"),
            "spec": {
                "type": "bar",
                "data": {
                    "labels": groups,
                    "datasets": [
                        {
                            "label": gettext("Visit rate (%)"),
                            "data": [_rate(treatment["visit_rate"]), _rate(holdout["visit_rate"])],
                        }
                    ],
                },
            },
        },
        {
            "id": "chart-revenue",
            "data_id": "chart-revenue-data",
            # Translators: %(currency)s is a currency code, e.g. EUR.
            "title": gettext("Revenue per member (%(currency)s)") % {"currency": merchant.currency},
            "spec": {
                "type": "bar",
                "data": {
                    "labels": groups,
                    "datasets": [
                        {
                            "label": gettext("Revenue per member (%(currency)s)")
                            % {"currency": merchant.currency},
                            "data": [
                                _major(treatment["revenue_per_member"], merchant),
                                _major(holdout["revenue_per_member"], merchant),
                            ],
                        }
                    ],
                },
            },
        },
    ]


ENGAGEMENT_LABELS = {
    "clicks": _("Clicks on links"),
    "clickers": _("Members who clicked"),
    "unsubscribed": _("Unsubscribed within 7 days"),
    "complained": _("Marked as spam"),
    "bounced": _("Bounced"),
}


def report_view(
    *, data: dict, merchant: Merchant, engagement: Engagement | None = None
) -> ReportView:
    """`data` is `LiftReport.to_dict()`; without `engagement` (an automation's pooled
    report), no table of what members did with the messages."""
    lift = data.get("lift")
    view = ReportView(
        groups=_groups(data, merchant),
        has_holdout=data["holdout"]["members"] > 0,
        all_held_out=data["treatment"]["members"] == 0 and data["holdout"]["members"] > 0,
    )
    if engagement is not None:
        view.engagement = [
            (str(label), format_number(getattr(engagement, name)))
            for name, label in ENGAGEMENT_LABELS.items()
        ]
    if lift is None:
        return view
    view.differences = _differences(lift, merchant)
    view.figures = [
        (
            gettext("Incremental revenue"),
            _money(lift["incremental_revenue"], merchant, signed=True),
        ),
        (gettext("Offer cost"), _money(lift["offer_cost"], merchant)),
        # Translators: the campaign's incremental revenue less what its offer cost.
        (gettext("Return after the offer"), _money(lift["roi"], merchant, signed=True)),
    ]
    view.conclusive = bool(lift["conclusive"])
    view.needed_per_group = lift.get("needed_per_group")
    view.charts = _charts(data, merchant)
    return view


def offer_summary(*, offer: dict | None, merchant: Merchant) -> str:
    """The offer in a sentence: "A coupon worth 5,00 €, valid 30 days"."""
    if not offer:
        return gettext("No offer")
    kind = offer["type"]
    if kind == "bonus_points":
        points = offer["points"]
        return ngettext("%(points)s bonus point", "%(points)s bonus points", points) % {
            "points": format_number(points)
        }
    if kind == "multiplier":
        days = offer["days"]
        return ngettext(
            "Points × %(factor)s for %(days)s day", "Points × %(factor)s for %(days)s days", days
        ) % {"factor": offer["factor"], "days": format_number(days)}
    days = offer["valid_days"]
    values = {"days": format_number(days), "min": _money(offer.get("min_spend", 0), merchant)}
    if offer.get("percent"):
        values["value"] = format_number(offer["percent"]) + " %"
    else:
        values["value"] = _money(offer.get("amount", 0), merchant)
    if offer.get("min_spend"):
        return (
            ngettext(
                "A coupon worth %(value)s on a basket of %(min)s or more, valid %(days)s day",
                "A coupon worth %(value)s on a basket of %(min)s or more, valid %(days)s days",
                days,
            )
            % values
        )
    return (
        ngettext(
            "A coupon worth %(value)s, valid %(days)s day",
            "A coupon worth %(value)s, valid %(days)s days",
            days,
        )
        % values
    )
