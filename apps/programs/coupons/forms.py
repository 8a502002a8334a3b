import uuid

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.programs.coupons.models import CouponSource
from apps.programs.coupons.selectors import STATUS_FILTERS


class CashbackSettingsForm(forms.Form):
    is_enabled = forms.BooleanField(
        label=_("Cashback on"), required=False, help_text=_("Members earn cashback on purchases.")
    )
    rate = forms.DecimalField(
        label=_("Cashback (%)"),
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        help_text=_("Of what the customer pays, e.g. 5 or 2.5."),
    )
    threshold = forms.DecimalField(
        label=_("Coupon value"),
        min_value=0,
        max_digits=12,
        decimal_places=3,
        help_text=_("When the wallet reaches this, it becomes a coupon worth exactly this."),
    )
    coupon_days = forms.IntegerField(
        label=_("Coupons valid for (days)"), min_value=1, max_value=3650, initial=90
    )
    coupon_min_spend = forms.DecimalField(
        label=_("Minimum basket to use a coupon"),
        min_value=0,
        max_digits=12,
        decimal_places=3,
        initial=0,
        help_text=_("0: any basket."),
    )


class CategoryRateForm(forms.Form):
    category = forms.CharField(
        label=_("Category"),
        max_length=100,
        help_text=_("As typed in “What was bought”, e.g. bakery."),
    )
    rate = forms.DecimalField(
        label=_("Cashback (%)"), min_value=0, max_value=100, max_digits=5, decimal_places=2
    )


class CouponCheckForm(forms.Form):
    code = forms.CharField(label=_("Coupon code"), max_length=20)
    amount = forms.DecimalField(
        label=_("Basket total"), min_value=0, max_digits=12, decimal_places=3
    )


class CouponRedeemForm(CouponCheckForm):
    redeem_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    @staticmethod
    def key() -> str:
        return f"check-{uuid.uuid4().hex[:12]}"


class CouponIssueForm(forms.Form):
    value = forms.DecimalField(label=_("Value"), min_value=0, max_digits=12, decimal_places=3)
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=1,
        max_value=3650,
        required=False,
        initial=90,
        help_text=_("Empty: never expires."),
    )
    min_spend = forms.DecimalField(
        label=_("Minimum basket"), min_value=0, max_digits=12, decimal_places=3, initial=0
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)


class CouponVoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class CouponFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", pgettext_lazy("any status", "Any")), *STATUS_FILTERS.items()],
    )
    source = forms.ChoiceField(
        label=_("Source"),
        required=False,
        choices=[("", pgettext_lazy("any source", "Any")), *CouponSource.choices],
    )
