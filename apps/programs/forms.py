import uuid

from django import forms


class PurchaseForm(forms.Form):
    """A sale at the counter. The ticket id is drawn when the form is shown, so a double
    tap or a resubmitted page records the purchase once."""

    amount = forms.DecimalField(label="Amount", min_value=0, max_digits=12, decimal_places=3)
    external_id = forms.CharField(
        label="Ticket number",
        max_length=100,
        help_text="From the till receipt; keep the one filled in if there is none.",
    )

    @staticmethod
    def fresh(**initial) -> "PurchaseForm":
        return PurchaseForm(initial={"external_id": f"counter-{uuid.uuid4().hex[:12]}", **initial})
