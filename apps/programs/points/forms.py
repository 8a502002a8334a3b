"""The points program page's forms: settings, multipliers, promotions, bonuses, adjustments."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.programs.points.models import BonusAction, CapPeriod, MultiplierTarget


class ProgramSettingsForm(forms.Form):
    points_per_unit = forms.IntegerField(
        label=_("Points per unit of currency"),
        min_value=0,
        max_value=10_000,
        help_text=_("Earned per whole unit spent (e.g. 10 per €1), rounded down."),
    )
    expiry_months = forms.IntegerField(
        label=_("Points expire after (months)"),
        required=False,
        min_value=1,
        max_value=120,
        help_text=_("Empty: points never expire. Applies to points earned from now on."),
    )
    reminder_days = forms.IntegerField(
        label=_("Remind members (days before expiry)"),
        min_value=1,
        max_value=365,
        initial=30,
        help_text=_(
            "Who is due is listed under “Points expiring soon”; campaigns send the message."
        ),
    )
    final_reminder_days = forms.IntegerField(
        label=_("Final reminder (days before expiry)"),
        required=False,
        min_value=1,
        max_value=364,
        initial=7,
        help_text=_("Fewer days than the first reminder. Empty: no final reminder."),
    )

    def clean(self):
        cleaned = super().clean()
        first, final = cleaned.get("reminder_days"), cleaned.get("final_reminder_days")
        if first is not None and final is not None and final >= first:
            self.add_error(
                "final_reminder_days",
                _("The final reminder must come fewer days before expiry than the first."),
            )
        return cleaned


class MultiplierForm(forms.Form):
    target = forms.ChoiceField(label=_("Applies to"), choices=MultiplierTarget.choices)
    value = forms.CharField(label=_("Category or SKU"), max_length=100)
    percent = forms.IntegerField(
        label=_("Earns (%)"),
        min_value=100,
        max_value=1000,
        initial=200,
        # xgettext:no-python-format
        help_text=_("200 % earns double points on those lines."),
    )


class PromotionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    percent = forms.IntegerField(label=_("Earns (%)"), min_value=100, max_value=1000, initial=200)
    starts_at = forms.DateTimeField(
        label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    locations = forms.ModelMultipleChoiceField(
        label=_("Only at"),
        queryset=None,
        required=False,
        help_text=_("None chosen: every location."),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["locations"].queryset = locations


class PreviewForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Basket total"), min_value=0, max_digits=12, decimal_places=3
    )
    lines = forms.CharField(
        label=_("Lines (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: category or SKU, then the amount, e.g. “bakery 4.50”."),
    )


class AdjustForm(forms.Form):
    points = forms.IntegerField(
        label=_("Points"),
        min_value=-1_000_000,
        max_value=1_000_000,
        help_text=_("Negative to take points away."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)


class BonusRuleForm(forms.Form):
    action = forms.ChoiceField(label=_("For"), choices=BonusAction.choices)
    event_type = forms.CharField(
        label=_("Event type (custom events)"),
        max_length=64,
        required=False,
        help_text=_("The type your storefront reports, e.g. newsletter_signup."),
    )
    points = forms.IntegerField(label=_("Points"), min_value=1, max_value=1_000_000)
    cap_count = forms.IntegerField(
        label=_("At most (times)"), min_value=1, max_value=1000, initial=1
    )
    cap_period = forms.ChoiceField(
        label=_("Per"), choices=CapPeriod.choices, initial=CapPeriod.EVER
    )
