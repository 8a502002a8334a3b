"""The dashboard's date-range picker and location filter, and the analytics settings."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from apps.analytics.periods import Period, add_months, month_start
from apps.core.models import Location

MAX_DAYS = 3 * 366  # the longest range the dashboard computes at once

PRESETS = {
    "7": _("Last 7 days"),
    "30": _("Last 30 days"),
    "90": _("Last 90 days"),
    "365": _("Last 12 months"),
    "month": _("This month"),
    "last_month": _("Last month"),
    "year": _("This year"),
    "custom": _("Custom range"),
}


def preset_period(preset: str, today: date) -> Period:
    if preset.isdigit():
        return Period.last_days(int(preset), today=today)
    if preset == "month":
        return Period(month_start(today), today)
    if preset == "last_month":
        first = add_months(month_start(today), -1)
        return Period(first, month_start(today) - timedelta(days=1))
    if preset == "year":
        return Period(today.replace(month=1, day=1), today)
    raise ValueError(preset)


class DashboardForm(forms.Form):
    """Read from the query string; an empty query means the last 30 days, compared."""

    preset = forms.ChoiceField(label=_("Period"), choices=PRESETS.items(), required=False)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To (included)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    location = forms.ModelChoiceField(
        label=_("Location"),
        queryset=Location.objects.none(),
        required=False,
        empty_label=pgettext_lazy("locations", "All"),
    )
    compare = forms.BooleanField(label=_("Compare with the period before"), required=False)

    def __init__(self, data, *, merchant, today: date):
        # Bound only when the picker was used: a bare address shows the defaults.
        asked = data is not None and any(name in data for name in self.base_fields)
        super().__init__(data if asked else None, initial={"preset": "30", "compare": True})
        self.today = today
        self.fields["location"].queryset = Location.objects.for_merchant(merchant).order_by("name")

    def clean(self):
        cleaned = super().clean()
        preset = cleaned.get("preset") or "30"
        if preset != "custom":
            period = preset_period(preset, self.today)
            cleaned["start"], cleaned["end"] = period.start, period.end
            return cleaned
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is None and "start" not in self.errors:
            self.add_error("start", gettext("Give the first day, or choose a period."))
        if end is None and "end" not in self.errors:
            self.add_error("end", gettext("Give the last day, or choose a period."))
        if start and end:
            if end < start:
                self.add_error("end", gettext("The last day comes on or after the first."))
            elif (end - start).days >= MAX_DAYS:
                self.add_error("end", gettext("Choose at most three years."))
            elif start > self.today:
                self.add_error("start", gettext("The range starts in the future."))
        return cleaned

    def choice(self) -> tuple[Period, Location | None, bool]:
        """The period, location and comparison asked for (the defaults when not valid)."""
        if not self.is_bound:
            return preset_period("30", self.today), None, True
        values = self.cleaned_data
        period = Period(values["start"], min(values["end"], self.today))
        return period, values.get("location"), bool(values.get("compare"))


class AnalyticsSettingsForm(forms.Form):
    at_risk_days = forms.IntegerField(
        label=_("At risk after (days without a purchase)"), min_value=1, max_value=3649
    )
    lapsed_days = forms.IntegerField(
        label=_("Lapsed after (days without a purchase)"), min_value=2, max_value=3650
    )
    thousand_points_value = forms.DecimalField(
        label=_("What 1,000 points are worth"),
        required=False,
        min_value=0,
        decimal_places=2,
        help_text=_("In your currency, for the points liability. Empty: taken from your rewards."),
    )


class MarketingSpendForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )
    amount = forms.DecimalField(label=_("Spent on marketing"), min_value=0, decimal_places=2)
