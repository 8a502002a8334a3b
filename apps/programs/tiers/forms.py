"""Forms of the tier rules. Thresholds are typed as money or as points, by the measure."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core.money import minor_digits, to_major, to_minor
from apps.programs.rewards.models import Reward
from apps.programs.tiers.models import Measure, Tier, TierSettings, Window


class TierSettingsForm(forms.Form):
    measure = forms.ChoiceField(label=_("What qualifies"), choices=Measure.choices)
    window = forms.ChoiceField(label=_("Qualifying window"), choices=Window.choices)
    grace_days = forms.IntegerField(
        label=_("Grace period (days)"),
        min_value=0,
        max_value=366,
        help_text=_("How long a member keeps a tier after a review they did not pass."),
    )

    @classmethod
    def for_settings(cls, settings: TierSettings, data=None):
        return cls(
            data,
            initial={
                "measure": settings.measure,
                "window": settings.window,
                "grace_days": settings.grace_days,
            },
        )


class TierForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    threshold = forms.DecimalField(
        label=_("Threshold"), min_value=0, max_digits=15, decimal_places=3
    )
    earn_percent = forms.IntegerField(
        label=_("Earn rate (%)"),
        min_value=100,
        max_value=1000,
        initial=100,
        help_text=_("100 earns the normal points; 150 half again; 200 double."),
    )
    perks = forms.CharField(
        label=_("Perks"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to staff and members, e.g. early access to sales, free delivery."),
    )
    rewards = forms.ModelMultipleChoiceField(
        label=_("Rewards only this tier can redeem"),
        queryset=Reward.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A reward chosen for any tier is redeemable only by members of those tiers."),
    )

    def __init__(self, *args, merchant, measure: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.merchant, self.measure = merchant, measure
        self.fields["rewards"].queryset = Reward.objects.for_merchant(merchant).order_by(
            "-is_active", "points_cost", "name"
        )
        spend = measure == Measure.SPEND
        if spend:
            # Translators: %(currency)s is a currency code, e.g. EUR.
            label = gettext("Spend to reach it (%(currency)s)") % {"currency": merchant.currency}
            help_text = gettext("Spent within the qualifying window, after refunds.")
        else:
            label = gettext("Points to reach it")
            help_text = gettext("Points earned within the qualifying window, after refunds.")
        self.fields["threshold"] = forms.DecimalField(
            label=label,
            min_value=0,
            max_digits=15,
            decimal_places=minor_digits(merchant.currency) if spend else 0,
            help_text=help_text,
        )

    @classmethod
    def for_tier(cls, tier: Tier, data=None, *, measure: str):
        threshold = (
            to_major(tier.threshold, tier.merchant.currency)
            if measure == Measure.SPEND
            else tier.threshold
        )
        return cls(
            data,
            merchant=tier.merchant,
            measure=measure,
            initial={
                "name": tier.name,
                "threshold": threshold,
                "earn_percent": tier.earn_percent,
                "perks": tier.perks,
                "rewards": list(tier.rewards.all()),
            },
        )

    def tier_values(self) -> dict:
        data = self.cleaned_data
        if self.measure == Measure.SPEND:
            threshold = to_minor(data["threshold"], self.merchant.currency)
        else:
            threshold = int(data["threshold"])
        return {
            "name": data["name"],
            "threshold": threshold,
            "earn_percent": data["earn_percent"],
            "perks": data["perks"],
            "rewards": list(data["rewards"]),
        }
