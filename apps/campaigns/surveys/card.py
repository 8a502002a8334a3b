"""The Net Promoter Score card of the analytics dashboard, laid out as the dashboard's own
cards are (apps/analytics/cards/): figures with the period before, a chart of the score by
month, and the tables that hold every number (by month, by location)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from apps.analytics.cards import Card, Choice, Figure, Format, Table
from apps.analytics.cards.base import change_of, figures_of, month_iso, month_text
from apps.campaigns.surveys.selectors import NpsCounts, nps_counts, nps_summary


def _row(fmt: Format, label: str, counts: NpsCounts) -> list[str]:
    return [
        label,
        fmt.number(counts.answers),
        fmt.number(counts.promoters),
        fmt.number(counts.passives),
        fmt.number(counts.detractors),
        fmt.number(counts.score),
    ]


def _values(key: object, counts: NpsCounts) -> list[object]:
    return [
        key,
        counts.answers,
        counts.promoters,
        counts.passives,
        counts.detractors,
        counts.score,
    ]


def _score_figure(fmt: Format, counts: NpsCounts, before: NpsCounts | None) -> Figure:
    """The score moves in points, not in a percentage of itself (it can be negative)."""
    previous = before.score if before is not None else None
    change_text, direction = (
        change_of("percent", counts.score, previous, fmt) if before is not None else ("", "")
    )
    return Figure(
        label=_("NPS"),
        definition=_("% promoters − % detractors, from −100 to 100."),
        value=counts.score,
        text=fmt.number(counts.score),
        previous=previous,
        previous_text=fmt.number(previous) if before is not None else "",
        change_text=change_text,
        direction=direction,
        exported=counts.score,
        previous_exported=previous,
    )


def nps_card_build(choice: Choice, fmt: Format) -> Card:
    merchant, period, location = choice.merchant, choice.period, choice.location
    summary = nps_summary(merchant=merchant, period=period, location=location)
    before = (
        nps_counts(merchant=merchant, period=period.previous(), location=location)
        if choice.compare
        else None
    )
    headers = [
        "",
        _("Answers"),
        _("Promoters"),
        pgettext("survey answers", "Passives"),
        _("Detractors"),
        _("NPS"),
    ]
    month_headers = [_("Month"), *headers[1:]]
    location_headers = [_("Location"), *headers[1:]]
    nowhere = _("No location")
    return Card(
        figures=[_score_figure(fmt, summary.counts, before)]
        + figures_of(
            fmt,
            summary.counts,
            before,
            (_("Answers"), _("Survey answers given in the period."), "number", "answers"),
            (
                _("Promoters"),
                _("Answered 9 or 10, as a share of the answers."),
                "percent",
                "promoters_percent",
            ),
            (
                pgettext("survey answers", "Passives"),
                _("Answered 7 or 8, as a share of the answers."),
                "percent",
                "passives_percent",
            ),
            (
                _("Detractors"),
                _("Answered 0 to 6, as a share of the answers."),
                "percent",
                "detractors_percent",
            ),
        ),
        chart={
            "type": "line",
            "data": {
                "labels": [month_text(month) for month, _counts in summary.by_month],
                "datasets": [
                    {
                        "label": _("NPS"),
                        "data": [
                            None if counts.score is None else float(counts.score)
                            for _month, counts in summary.by_month
                        ],
                    }
                ],
            },
        }
        if summary.by_month
        else None,
        tables=[
            Table(
                _("Net Promoter Score by month"),
                month_headers,
                [_row(fmt, month_text(month), counts) for month, counts in summary.by_month],
                [_values(month_iso(month), counts) for month, counts in summary.by_month],
            ),
            Table(
                _("Net Promoter Score by location"),
                location_headers,
                [
                    _row(fmt, place.name if place else nowhere, counts)
                    for place, counts in summary.by_location
                ],
                [
                    _values(place.name if place else nowhere, counts)
                    for place, counts in summary.by_location
                ],
            ),
        ],
        note=_(
            "From the post-purchase survey: how likely, from 0 to 10, members are to "
            "recommend you. A location is the purchase's."
        ),
    )
