"""The offer's fields, shared by a campaign's form and an automation's: what members get
(a coupon worth an amount or a percentage, bonus points, points multiplied for some days)
and its numbers. The form reads what was typed; `offer_clean` decides whether it may be
saved, and its refusals (`offer.<key>`) land on the field they name."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core.errors import DomainError
from apps.core.money import minor_digits, to_major, to_minor

OFFER_CHOICES = [
    ("none", _("No offer")),
    ("coupon_amount", _("A coupon worth an amount")),
    ("coupon_percent", _("A coupon for a percentage off")),
    ("bonus_points", _("Bonus points")),
    ("multiplier", _("Points multiplied for some days")),
]
# The numbers of each offer, as the form names them (`offer_<key>`).
OFFER_KEYS = ("amount", "percent", "min_spend", "valid_days", "points", "factor", "days")
_KEYS_OF_CHOICE = {
    "coupon_amount": ("amount", "valid_days", "min_spend"),
    "coupon_percent": ("percent", "valid_days", "min_spend"),
    "bonus_points": ("points",),
    "multiplier": ("factor", "days"),
}
_MONEY_KEYS = ("amount", "min_spend")


def _whole(label, **attrs) -> forms.IntegerField:
    """A whole number the service checks (its range is the service's message)."""
    return forms.IntegerField(
        label=label, required=False, widget=forms.NumberInput(attrs={"step": 1, **attrs})
    )


class OfferForm(forms.Form):
    """A base of the forms that carry an offer: its fields, read as the offer the services
    take (money in minor units), and filled from one."""

    offer_type = forms.ChoiceField(
        label=_("What members get"),
        choices=OFFER_CHOICES,
        widget=forms.RadioSelect,
        initial="none",
    )
    offer_amount = forms.DecimalField(
        label=_("Coupon value"), required=False, max_digits=15, decimal_places=3
    )
    offer_percent = _whole(_("Percentage off"), min=1, max=100)
    offer_min_spend = forms.DecimalField(
        label=_("Minimum basket (optional)"), required=False, max_digits=15, decimal_places=3
    )
    offer_valid_days = _whole(_("Valid for (days)"), min=1, max=3650)
    offer_points = _whole(_("Points"), min=1)
    offer_factor = _whole(_("Multiply points by"), min=2, max=10)
    offer_days = _whole(_("For (days)"), min=1, max=365)

    def offer_fields_in(self, currency: str) -> None:
        """Money in the merchant's currency, with its digits."""
        for key, label in (
            ("offer_amount", gettext("Coupon value (%(currency)s)")),
            ("offer_min_spend", gettext("Minimum basket in %(currency)s (optional)")),
        ):
            self.fields[key].label = label % {"currency": currency}
            self.fields[key].decimal_places = minor_digits(currency)

    def offer_fields_remove(self) -> None:
        """For a form whose subject gives no offer."""
        for name in ("offer_type", *(f"offer_{key}" for key in OFFER_KEYS)):
            del self.fields[name]

    def _minor(self, name: str) -> int | None:
        amount = self.cleaned_data.get(name)
        if amount is None:
            return None
        try:
            return to_minor(amount, self.merchant.currency)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error

    def clean_offer_amount(self) -> int | None:
        return self._minor("offer_amount")

    def clean_offer_min_spend(self) -> int | None:
        return self._minor("offer_min_spend")

    def offer(self) -> dict | None:
        """The offer as typed (None: none), for `offer_clean` to check."""
        data = self.cleaned_data
        choice = data.get("offer_type")
        keys = _KEYS_OF_CHOICE.get(choice)
        if keys is None:
            return None
        offer = {"type": "coupon" if choice.startswith("coupon") else choice}
        for key in keys:
            value = data.get(f"offer_{key}")
            if value is not None and not (key == "min_spend" and value == 0):
                offer[key] = value
        return offer

    def offer_field_for(self, error: DomainError) -> str:
        """The field a refusal of `offer.<key>` belongs on."""
        _head, _dot, key = (error.field or "").partition(".")
        name = f"offer_{key}" if key in OFFER_KEYS else "offer_type"
        if name == "offer_amount" and self.cleaned_data.get("offer_type") == "coupon_percent":
            name = "offer_percent"  # "give an amount or a percent": the one asked for
        return name


def offer_initial(offer: dict | None, currency: str) -> dict:
    """The offer's fields filled from a stored offer."""
    if not offer:
        return {"offer_type": "none"}
    choice = offer["type"]
    if choice == "coupon":
        choice = "coupon_percent" if offer.get("percent") else "coupon_amount"
    initial = {"offer_type": choice}
    for key in OFFER_KEYS:
        if key in offer:
            value = offer[key]
            initial[f"offer_{key}"] = to_major(value, currency) if key in _MONEY_KEYS else value
    return initial
