from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from apps.programs.referrals.models import RewardKind


class ReferralSettingsForm(forms.Form):
    """Amounts are typed in the currency (12.50) and turned into minor units by the view."""

    is_enabled = forms.BooleanField(label=_("Run referrals"), required=False)
    min_purchase = forms.DecimalField(
        label=_("First purchase of at least"),
        min_value=0,
        max_digits=12,
        decimal_places=3,
        help_text=_("The new member's first purchase must reach this for both to be rewarded."),
    )
    window_days = forms.IntegerField(
        label=_("Within (days of enrolling)"), min_value=1, max_value=365, initial=30
    )
    referrer_reward = forms.ChoiceField(label=_("The referrer gets"), choices=RewardKind.choices)
    referrer_points = forms.IntegerField(
        label=_("Referrer's points"), required=False, min_value=1, max_value=1_000_000
    )
    referrer_coupon_value = forms.DecimalField(
        label=_("Referrer's coupon value"), required=False, min_value=0, max_digits=12
    )
    referred_reward = forms.ChoiceField(label=_("The new member gets"), choices=RewardKind.choices)
    referred_points = forms.IntegerField(
        label=_("New member's points"), required=False, min_value=1, max_value=1_000_000
    )
    referred_coupon_value = forms.DecimalField(
        label=_("New member's coupon value"), required=False, min_value=0, max_digits=12
    )
    coupon_days = forms.IntegerField(
        label=_("Coupons valid for (days)"), min_value=1, max_value=3650, initial=90
    )
    monthly_cap = forms.IntegerField(
        label=_("Rewarded referrals per referrer per month"),
        required=False,
        min_value=1,
        max_value=10_000,
        help_text=_("Empty: no cap. Past it the referrer gets nothing; the new member still does."),
    )


class ResultsForm(forms.Form):
    start = forms.DateField(
        label=pgettext_lazy("date range", "From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(label=_("To (included)"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["end"] < cleaned["start"]:
            self.add_error("end", gettext("The end comes after the start."))
        return cleaned


class JoinForm(forms.Form):
    """The public sign-up through a friend's link: the fewest fields that work."""

    first_name = forms.CharField(
        label=_("First name"),
        max_length=80,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.CharField(
        label=_("Email"),
        max_length=254,
        required=False,
        widget=forms.TextInput(attrs={"type": "email", "autocomplete": "email"}),
    )
    consent_email = forms.BooleanField(
        label=_("Send me offers by email"), required=False, initial=False
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("phone") and not cleaned.get("email"):
            self.add_error("phone", gettext("Give a phone number or an email."))
        return cleaned
