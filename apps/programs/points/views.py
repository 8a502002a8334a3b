"""The manager's program page: base rate, expiry, multipliers, promotions, and a preview
of what a sample basket earns."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from apps.core.errors import DomainError
from apps.core.forms import add_domain_error
from apps.core.models import Role
from apps.core.money import to_minor
from apps.core.permissions import get_for_merchant_or_404, merchant_view
from apps.core.selectors import location_list
from apps.core.transactions import edge_transaction
from apps.programs.points import rules
from apps.programs.points.earning import basket_points, lines_from_items, parse_basket_lines
from apps.programs.points.forms import (
    BonusRuleForm,
    MultiplierForm,
    PreviewForm,
    ProgramSettingsForm,
    PromotionForm,
)
from apps.programs.points.models import BonusRule, EarnMultiplier, Promotion
from apps.programs.points.selectors import (
    bonus_rule_list,
    multiplier_list,
    points_expiring,
    promotion_list,
)
from apps.programs.points.services import program_settings


def _preview(request, form: PreviewForm):
    """Points of the sample basket, or None; bad lines become form errors."""
    if not form.is_bound or not form.is_valid():
        return None
    currency = request.merchant.currency
    try:
        amount = to_minor(form.cleaned_data["amount"], currency)
        lines = lines_from_items(parse_basket_lines(form.cleaned_data["lines"], currency))
    except ValueError as error:
        form.add_error("lines", str(error))
        return None
    return basket_points(
        merchant=request.merchant,
        amount=amount,
        lines=lines,
        at=timezone.now(),
        location=request.location or None,
    )


def _page(request, *, status: int = 200, **forms):
    """The program page; `forms` replaces a blank form with a refused one and its errors."""
    settings = program_settings(merchant=request.merchant)
    context = {
        "settings_form": ProgramSettingsForm(
            initial={
                "points_per_unit": settings.points_per_unit,
                "expiry_months": settings.expiry_months,
                "reminder_days": settings.reminder_days,
                "final_reminder_days": settings.final_reminder_days,
            }
        ),
        "multiplier_form": MultiplierForm(),
        "promotion_form": PromotionForm(locations=location_list(merchant=request.merchant)),
        "bonus_form": BonusRuleForm(),
        "preview_form": PreviewForm(),
        "multipliers": multiplier_list(merchant=request.merchant),
        "promotions": promotion_list(merchant=request.merchant),
        "bonus_rules": bonus_rule_list(merchant=request.merchant),
        **forms,
    }
    return render(request, "programs/program.html", context, status=status)


@merchant_view(Role.MANAGER)
def program(request):
    preview_form = PreviewForm(request.GET or None)
    return _page(request, preview_form=preview_form, preview=_preview(request, preview_form))


def _redisplay(request, **forms):
    """The program page again with a refused form and its errors."""
    return _page(request, status=400, **forms)


@require_POST
@merchant_view(Role.MANAGER)
def settings_update(request):
    form = ProgramSettingsForm(request.POST)
    if form.is_valid():
        try:
            with edge_transaction():
                rules.program_settings_update(
                    merchant=request.merchant, actor=request.user, **form.cleaned_data
                )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, gettext("Saved."))
            return redirect("programs:program")
    return _redisplay(request, settings_form=form)


@require_POST
@merchant_view(Role.MANAGER)
def multiplier_create(request):
    form = MultiplierForm(request.POST)
    if form.is_valid():
        try:
            with edge_transaction():
                rules.multiplier_create(
                    merchant=request.merchant, actor=request.user, **form.cleaned_data
                )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, gettext("Multiplier added."))
            return redirect("programs:program")
    return _redisplay(request, multiplier_form=form)


@require_POST
@merchant_view(Role.MANAGER)
def promotion_create(request):
    form = PromotionForm(request.POST, locations=location_list(merchant=request.merchant))
    if form.is_valid():
        data = form.cleaned_data
        try:
            with edge_transaction():
                rules.promotion_create(
                    merchant=request.merchant,
                    actor=request.user,
                    name=data["name"],
                    percent=data["percent"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    locations=list(data["locations"]),
                )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, gettext("Promotion added."))
            return redirect("programs:program")
    return _redisplay(request, promotion_form=form)


@require_POST
@merchant_view(Role.MANAGER)
def multiplier_toggle(request, pk: int):
    rule = get_for_merchant_or_404(EarnMultiplier, request, pk=pk)
    with edge_transaction():
        rules.rule_set_active(rule=rule, actor=request.user, active=not rule.is_active)
    return redirect("programs:program")


@require_POST
@merchant_view(Role.MANAGER)
def promotion_toggle(request, pk: int):
    rule = get_for_merchant_or_404(Promotion, request, pk=pk)
    with edge_transaction():
        rules.rule_set_active(rule=rule, actor=request.user, active=not rule.is_active)
    return redirect("programs:program")


@merchant_view(Role.MANAGER)
def expiring(request):
    """Members whose points expire soon: who a reminder should reach."""
    default = program_settings(merchant=request.merchant).reminder_days
    try:
        days = min(max(int(request.GET.get("days", default)), 1), 365)
    except ValueError:
        days = default
    due = points_expiring(merchant=request.merchant, now=timezone.now(), within_days=days)
    return render(request, "programs/expiring.html", {"due": due, "days": days})


@require_POST
@merchant_view(Role.MANAGER)
def bonus_rule_create(request):
    form = BonusRuleForm(request.POST)
    if form.is_valid():
        try:
            with edge_transaction():
                rules.bonus_rule_create(
                    merchant=request.merchant, actor=request.user, **form.cleaned_data
                )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, gettext("Bonus added."))
            return redirect("programs:program")
    return _redisplay(request, bonus_form=form)


@require_POST
@merchant_view(Role.MANAGER)
def bonus_rule_toggle(request, pk: int):
    rule = get_for_merchant_or_404(BonusRule, request, pk=pk)
    with edge_transaction():
        rules.rule_set_active(rule=rule, actor=request.user, active=not rule.is_active)
    return redirect("programs:program")
