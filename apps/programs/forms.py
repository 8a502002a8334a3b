"""The sale at the counter."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _


class PurchaseForm(forms.Form):
    """A sale at the counter. The ticket id is drawn when the form is shown, so a double
    tap or a resubmitted page records the purchase once."""

    amount = forms.DecimalField(label=_("Amount"), min_value=0, max_digits=12, decimal_places=3)
    lines = forms.CharField(
        label=_("What was bought (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "One per line, a category or product then its amount, e.g. “bakery 4.50”: "
            "products with a multiplier earn more."
        ),
    )
    external_id = forms.CharField(
        label=_("Ticket number"),
        max_length=100,
        help_text=_("From the till receipt; keep the one filled in if there is none."),
    )
    coupon = forms.CharField(
        label=_("Coupon code"),
        required=False,
        max_length=20,
        help_text=_("Optional: its value comes off the amount; the rest is what earns."),
    )

    @staticmethod
    def fresh(**initial) -> "PurchaseForm":
        return PurchaseForm(initial={"external_id": f"counter-{uuid.uuid4().hex[:12]}", **initial})
