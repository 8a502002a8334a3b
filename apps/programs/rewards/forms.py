"""Forms of the rewards catalog and of redemption at the counter."""

import uuid

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core.money import minor_digits, to_minor
from apps.programs.rewards.models import Reward, RewardKind


class DateInput(forms.DateInput):
    input_type = "date"


class RewardForm(forms.Form):
    """A reward of the catalog. The value field that matters depends on the kind; the
    service checks that it is given. `stock` keeps the number shown, so saving the form
    without touching it leaves redemptions made meanwhile counted."""

    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("What it is"), choices=RewardKind.choices)
    points_cost = forms.IntegerField(label=_("Point cost"), min_value=1, max_value=1_000_000_000)
    discount_amount = forms.DecimalField(
        label=_("Discount amount"),
        required=False,
        min_value=0,
        max_digits=15,
        decimal_places=3,
        help_text=_("For a fixed discount, or the value of a coupon for a later visit."),
    )
    discount_percent = forms.IntegerField(
        label=_("Discount (%)"),
        required=False,
        min_value=1,
        max_value=100,
        help_text=_("For a percentage discount: a whole number from 1 to 100."),
    )
    product_name = forms.CharField(
        label=_("Free product"), required=False, max_length=120, help_text=_("For a free product.")
    )
    description = forms.CharField(label=_("Description"), required=False, max_length=255)
    stock = forms.IntegerField(
        label=_("Stock"),
        required=False,
        min_value=0,
        max_value=1_000_000_000,
        show_hidden_initial=True,
        help_text=_("How many can still be redeemed. Empty: unlimited."),
    )
    valid_from = forms.DateField(label=_("First day"), required=False, widget=DateInput)
    valid_until = forms.DateField(label=_("Last day"), required=False, widget=DateInput)
    is_active = forms.BooleanField(
        label=_("Offered"),
        required=False,
        initial=True,
        help_text=_("Rewards not offered are hidden from the counter."),
    )

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        # Translators: %(currency)s is a currency code, e.g. EUR.
        self.fields["discount_amount"].label = gettext("Discount amount (%(currency)s)") % {
            "currency": currency
        }
        self.fields["discount_amount"].decimal_places = minor_digits(currency)

    @classmethod
    def for_reward(cls, reward: Reward, data=None, *, currency: str) -> "RewardForm":
        from apps.core.money import to_major

        initial = {
            field: getattr(reward, field)
            for field in (
                "name",
                "kind",
                "points_cost",
                "discount_percent",
                "product_name",
                "description",
                "stock",
                "valid_from",
                "valid_until",
                "is_active",
            )
        }
        if reward.discount_amount is not None:
            initial["discount_amount"] = to_major(
                reward.discount_amount, reward.currency or currency
            )
        return cls(data, initial=initial, currency=currency)

    def clean_discount_amount(self) -> int | None:
        amount = self.cleaned_data["discount_amount"]
        if amount is None:
            return None
        try:
            return to_minor(amount, self.currency)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error

    def clean(self):
        cleaned = super().clean()
        valid_from, valid_until = cleaned.get("valid_from"), cleaned.get("valid_until")
        if valid_from and valid_until and valid_until < valid_from:
            self.add_error("valid_until", gettext("The last day cannot be before the first."))
        return cleaned

    def reward_fields(self, *, editing: bool = False) -> dict:
        """The cleaned fields for reward_create / reward_update; an untouched stock is
        left out when editing."""
        fields = dict(self.cleaned_data)
        if editing and "stock" not in self.changed_data:
            fields.pop("stock")
        return fields


class RedeemForm(forms.Form):
    """Redeem a reward at the counter. The redemption id is drawn when the form is shown,
    so a double tap or a resubmitted page redeems once."""

    reward = forms.ModelChoiceField(queryset=Reward.objects.none(), label=_("Reward"))
    external_id = forms.CharField(max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reward"].queryset = Reward.objects.for_merchant(merchant)

    @staticmethod
    def new_external_id() -> str:
        return f"counter-{uuid.uuid4().hex[:12]}"


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=255)
