"""Coupons and cashback pages: the member's panel, checking and redeeming a coupon at the
counter, the manager's coupon list and the cashback terms."""

from decimal import Decimal

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from apps.core.errors import DomainError
from apps.core.formatting import format_merchant_money, format_number
from apps.core.forms import add_domain_error
from apps.core.models import Role
from apps.core.money import to_major, to_minor
from apps.core.pagination import SlicePage
from apps.core.permissions import get_for_merchant_or_404, merchant_view
from apps.core.transactions import edge_transaction
from apps.members.models import Member
from apps.programs.coupons.cashback import (
    cashback_settings_update,
    category_rate_delete,
    category_rate_set,
)
from apps.programs.coupons.forms import (
    CashbackSettingsForm,
    CategoryRateForm,
    CouponCheckForm,
    CouponFilterForm,
    CouponIssueForm,
    CouponRedeemForm,
    CouponVoidForm,
)
from apps.programs.coupons.models import CashbackCategoryRate, Coupon
from apps.programs.coupons.selectors import (
    cashback_settings,
    category_rate_list,
    coupon_check,
    coupon_list,
    coupon_state,
    coupons_live,
    display_code,
    normalize_code,
    wallet_get,
)
from apps.programs.coupons.services import coupon_issue_by_hand, coupon_redeem, coupon_void


def money_text(request, minor: int) -> str:
    return format_merchant_money(minor, request.merchant)


def _bp(percent: Decimal) -> int:
    """A percent typed with up to two decimals (5, 2.5, 12.25) as basis points."""
    return int(percent.scaleb(2))


def _percent(rate_bp: int) -> str:
    """Basis points as the percent a manager types: 500 → "5", 250 → "2.5"."""
    return f"{Decimal(rate_bp).scaleb(-2).normalize():f}"


# The member's panel ---------------------------------------------------------------------


def _panel(request, member: Member, *, issue_form=None, status: int = 200):
    settings = cashback_settings(merchant=request.merchant)
    wallet = wallet_get(member=member)
    balance = wallet.balance if wallet else 0
    context = {
        "member": member,
        "coupons": [
            (coupon, display_code(code=coupon.code)) for coupon in coupons_live(member=member)
        ],
        "settings": settings,
        "wallet_balance": balance,
        "shortfall": wallet.shortfall if wallet else 0,
        "to_next": max(settings.threshold - balance, 0),
        "can_manage": request.membership.has_role(Role.MANAGER),
        "issue_form": issue_form or CouponIssueForm(),
        "void_form": CouponVoidForm(),
    }
    template = "coupons/member_coupons.html"
    if request.htmx:
        template += "#coupons"
    return render(request, template, context, status=status)


@merchant_view(Role.STAFF)
def member_coupons(request, public_id: str):
    member = get_for_merchant_or_404(Member, request, public_id=public_id)
    return _panel(request, member)


@require_POST
@merchant_view(Role.MANAGER)
def coupon_issue_view(request, public_id: str):
    """A manager gives the member a coupon by hand, with a reason (audited)."""
    member = get_for_merchant_or_404(Member, request, public_id=public_id)
    form = CouponIssueForm(request.POST)
    if form.is_valid():
        currency = request.merchant.currency
        try:
            value = to_minor(form.cleaned_data["value"], currency)
            min_spend = to_minor(form.cleaned_data["min_spend"], currency)
            with edge_transaction():
                coupon = coupon_issue_by_hand(
                    member=member,
                    value=value,
                    days=form.cleaned_data["days"],
                    min_spend=min_spend,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
        except ValueError as error:
            form.add_error("value", str(error))
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                # Translators: %(code)s is a coupon code; %(value)s an amount of money.
                gettext("Coupon %(code)s worth %(value)s given.")
                % {"code": display_code(code=coupon.code), "value": money_text(request, value)},
            )
            return redirect("members:detail", public_id=member.public_id)
    return _panel(request, member, issue_form=form, status=400)


@require_POST
@merchant_view(Role.MANAGER)
def coupon_void_view(request, code: str):
    coupon = get_for_merchant_or_404(Coupon, request, code=code)
    form = CouponVoidForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        with edge_transaction():
            voided = coupon_void(coupon=coupon, actor=request.user, reason=reason)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        shown = display_code(code=coupon.code)
        if voided:
            messages.success(request, gettext("Coupon %(code)s cancelled.") % {"code": shown})
        else:
            messages.info(
                request, gettext("Coupon %(code)s was already cancelled.") % {"code": shown}
            )
    if coupon.member_id:
        return redirect("members:detail", public_id=coupon.member.public_id)
    return redirect("coupons:list")


# Checking and redeeming a coupon ---------------------------------------------------------


@merchant_view(Role.STAFF)
def coupon_check_view(request):
    """Code and basket → whether it can be used and for how much, or why not; a Redeem
    button for a coupon honoured without recording a purchase here."""
    form = CouponCheckForm(request.GET or None)
    check = redeem_form = None
    if form.is_valid():
        try:
            amount = to_minor(form.cleaned_data["amount"], request.merchant.currency)
            check = coupon_check(
                merchant=request.merchant, code=form.cleaned_data["code"], amount=amount
            )
        except ValueError as error:
            form.add_error("amount", str(error))
        except DomainError as error:
            add_domain_error(form, error)
        else:
            if check.valid:
                redeem_form = CouponRedeemForm(
                    initial={
                        "code": check.code,
                        "amount": form.cleaned_data["amount"],
                        "redeem_key": CouponRedeemForm.key(),
                    }
                )
    return _check_page(request, form, check=check, redeem_form=redeem_form)


def _check_page(request, form, *, check=None, redeem_form=None, status: int = 200):
    context = {
        "form": form,
        "check": check,
        "shown_code": display_code(code=check.code) if check else "",
        "redeem_form": redeem_form,
    }
    return render(request, "coupons/coupon_check.html", context, status=status)


@require_POST
@merchant_view(Role.STAFF)
def coupon_redeem_view(request):
    form = CouponRedeemForm(request.POST)
    if form.is_valid():
        try:
            amount = to_minor(form.cleaned_data["amount"], request.merchant.currency)
            with edge_transaction():
                result = coupon_redeem(
                    merchant=request.merchant,
                    code=form.cleaned_data["code"],
                    amount=amount,
                    actor=request.user,
                    location=request.location or None,
                    redeem_key=form.cleaned_data["redeem_key"],
                )
        except ValueError as error:
            form.add_error("amount", str(error))
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            shown = display_code(code=result.coupon.code)
            discount = money_text(request, result.discount)
            if result.created:
                # Translators: %(code)s is a coupon code; %(discount)s an amount of money.
                text = gettext("Coupon %(code)s used: %(discount)s off.")
            else:
                text = gettext("Already done: coupon %(code)s took %(discount)s off this basket.")
            messages.success(request, text % {"code": shown, "discount": discount})
            return redirect("coupons:check")
    check_form = CouponCheckForm(
        initial={"code": normalize_code(code=request.POST.get("code", ""))},
    )
    return _check_page(request, check_form, redeem_form=form, status=400)


# Manager pages -----------------------------------------------------------------------------


@merchant_view(Role.MANAGER)
def coupon_list_view(request):
    form = CouponFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = SlicePage.of(
        coupon_list(
            merchant=request.merchant,
            status=filters.get("status", ""),
            source=filters.get("source", ""),
        ),
        request,
        per_page=50,
    )
    rows = [
        (coupon, display_code(code=coupon.code), coupon_state(coupon=coupon))
        for coupon in page.object_list
    ]
    return render(
        request,
        "coupons/coupon_list.html",
        {"form": form, "page": page, "rows": rows},
    )


def _cashback_page(request, *, status: int = 200, **forms):
    settings = cashback_settings(merchant=request.merchant)
    currency = request.merchant.currency
    context = {
        "settings": settings,
        "settings_form": CashbackSettingsForm(
            initial={
                "is_enabled": settings.is_enabled,
                "rate": _percent(settings.rate_bp),
                "threshold": to_major(settings.threshold, currency),
                "coupon_days": settings.coupon_days,
                "coupon_min_spend": to_major(settings.coupon_min_spend, currency),
            }
        ),
        "category_form": CategoryRateForm(),
        "rates": [
            (rate, format_number(Decimal(rate.rate_bp).scaleb(-2).normalize()))
            for rate in category_rate_list(merchant=request.merchant)
        ],
        **forms,
    }
    return render(request, "coupons/cashback.html", context, status=status)


@merchant_view(Role.MANAGER)
def cashback_view(request):
    if request.method != "POST":
        return _cashback_page(request)
    form = CashbackSettingsForm(request.POST)
    if form.is_valid():
        currency = request.merchant.currency
        data = form.cleaned_data
        try:
            with edge_transaction():
                cashback_settings_update(
                    merchant=request.merchant,
                    actor=request.user,
                    is_enabled=data["is_enabled"],
                    rate_bp=_bp(data["rate"]),
                    threshold=to_minor(data["threshold"], currency),
                    coupon_days=data["coupon_days"],
                    coupon_min_spend=to_minor(data["coupon_min_spend"], currency),
                )
        except ValueError as error:
            form.add_error("threshold", str(error))
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, gettext("Saved."))
            return redirect("coupons:cashback")
    return _cashback_page(request, status=400, settings_form=form)


@require_POST
@merchant_view(Role.MANAGER)
def category_rate_create(request):
    form = CategoryRateForm(request.POST)
    if form.is_valid():
        try:
            with edge_transaction():
                category_rate_set(
                    merchant=request.merchant,
                    actor=request.user,
                    category=form.cleaned_data["category"],
                    rate_bp=_bp(form.cleaned_data["rate"]),
                )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, gettext("Category rate saved."))
            return redirect("coupons:cashback")
    return _cashback_page(request, status=400, category_form=form)


@require_POST
@merchant_view(Role.MANAGER)
def category_rate_delete_view(request, pk: int):
    rate = get_for_merchant_or_404(CashbackCategoryRate, request, pk=pk)
    with edge_transaction():
        category_rate_delete(rate=rate, actor=request.user)
    messages.success(
        request,
        # Translators: %(category)s is a product category, e.g. bakery.
        gettext("%(category)s: back to the general rate.") % {"category": rate.category},
    )
    return redirect("coupons:cashback")
