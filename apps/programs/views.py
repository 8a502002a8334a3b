"""Points at the counter: a member's balance, recording a purchase, the ledger."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from apps.core.errors import DomainError
from apps.core.formatting import format_merchant_money, format_number
from apps.core.forms import add_domain_error
from apps.core.models import Role
from apps.core.money import to_minor
from apps.core.pagination import SlicePage
from apps.core.permissions import get_for_merchant_or_404, merchant_view
from apps.core.transactions import edge_transaction
from apps.members.models import Member
from apps.programs.coupons.selectors import display_code
from apps.programs.forms import PurchaseForm
from apps.programs.points.earning import BasketLineError, parse_basket_lines
from apps.programs.points.forms import AdjustForm
from apps.programs.points.selectors import ledger_list, lots_open, points_balance
from apps.programs.points.services import points_adjust
from apps.programs.sale import SaleResult, sale_record


def _points_page(
    request, member: Member, form: PurchaseForm, *, adjust_form=None, status: int = 200
):
    # On the member page (htmx) the latest few entries, so the tier, coupons and referral
    # sections below stay in reach at the till; the points page pages through them all.
    embedded = bool(request.htmx and request.htmx.target == "points")
    page = SlicePage.of(ledger_list(member=member), request, per_page=5 if embedded else 25)
    context = {
        "embedded": embedded,
        "member": member,
        "balance": points_balance(member=member),
        "lots": lots_open(member=member)[:10],
        "page": page,
        "form": form,
        "adjust_form": adjust_form or AdjustForm(),
    }
    template = "programs/member_points.html"
    if embedded:
        template += "#points"
    return render(request, template, context, status=status)


def _sale_message(request, sale: SaleResult) -> str:
    """What the cashier reads after recording a sale."""
    result = sale.result
    if not result.created:
        return gettext("Already recorded: this ticket earned its points before.")
    if sale.coupon is not None:
        return _coupon_sale_message(request, sale)
    values = {
        "points": format_number(result.points_earned),
        "balance": format_number(result.points_balance),
        "tier": result.extras.get("tier"),
    }
    if result.extras.get("tier_changed"):  # a tier reached by it (the tiers app's hook)
        text = ngettext(
            # Translators: %(tier)s is the name of the loyalty tier the member just reached.
            "%(points)s point earned; balance %(balance)s. Now %(tier)s!",
            "%(points)s points earned; balance %(balance)s. Now %(tier)s!",
            result.points_earned,
        )
    else:
        text = ngettext(
            "%(points)s point earned; balance %(balance)s.",
            "%(points)s points earned; balance %(balance)s.",
            result.points_earned,
        )
    return text % values


def _coupon_sale_message(request, sale: SaleResult) -> str:
    def money(minor: int) -> str:
        return format_merchant_money(minor, request.merchant)

    shown = display_code(code=sale.coupon.code)
    if sale.paid == 0:
        # Translators: %(code)s is a coupon code; %(discount)s an amount of money.
        return gettext(
            "Coupon %(code)s paid the whole basket (%(discount)s): nothing to pay, nothing earned."
        ) % {"code": shown, "discount": money(sale.discount)}
    result = sale.result
    values = {
        "code": shown,
        "discount": money(sale.discount),
        "paid": money(sale.paid),
        "points": format_number(result.points_earned),
        "balance": format_number(result.points_balance),
    }
    # Translators: after a purchase paid partly with a coupon. %(code)s is the coupon's
    # code; %(discount)s and %(paid)s amounts of money; %(points)s the points the purchase
    # earned; %(balance)s the member's points balance now.
    sentence = ngettext(
        "Coupon %(code)s: %(discount)s off; paid %(paid)s. "
        "%(points)s point earned; balance %(balance)s.",
        "Coupon %(code)s: %(discount)s off; paid %(paid)s. "
        "%(points)s points earned; balance %(balance)s.",
        result.points_earned,
    )
    text = sentence % values
    if cashback := result.extras.get("cashback_earned"):
        # Translators: added after the sentence above; %(amount)s is an amount of money.
        text += " " + gettext("Cashback %(amount)s.") % {"amount": money(cashback)}
    return text


@merchant_view(Role.STAFF)
def member_points(request, public_id: str):
    member = get_for_merchant_or_404(Member, request, public_id=public_id)
    return _points_page(request, member, PurchaseForm.fresh())


@require_POST
@merchant_view(Role.STAFF)
def purchase_create(request, public_id: str):
    member = get_for_merchant_or_404(Member, request, public_id=public_id)
    form = PurchaseForm(request.POST)
    if form.is_valid():
        try:
            amount = to_minor(form.cleaned_data["amount"], request.merchant.currency)
            items = parse_basket_lines(form.cleaned_data["lines"], request.merchant.currency)
            with edge_transaction():
                sale = sale_record(
                    merchant=request.merchant,
                    member=member,
                    external_id=form.cleaned_data["external_id"],
                    amount=amount,  # the basket: a coupon pays part of it
                    coupon_code=form.cleaned_data["coupon"],
                    actor=request.user,
                    location=request.location or None,
                    items=items,
                )
        except ValueError as error:
            form.add_error("lines" if isinstance(error, BasketLineError) else "amount", str(error))
        except DomainError as error:
            add_domain_error(form, error)  # a coupon's refusal is on the coupon's field
        else:
            messages.success(request, _sale_message(request, sale))
            return redirect("members:detail", public_id=member.public_id)
    return _points_page(request, member, form, status=400)


@require_POST
@merchant_view(Role.MANAGER)
def points_adjust_view(request, public_id: str):
    """A manager's correction of a balance, with its reason (audited by the service)."""
    member = get_for_merchant_or_404(Member, request, public_id=public_id)
    form = AdjustForm(request.POST)
    if form.is_valid():
        try:
            with edge_transaction():
                points_adjust(member=member, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            points = form.cleaned_data["points"]
            messages.success(
                request,
                ngettext(
                    # Translators: %(points)s is signed: "+50" or "-20".
                    "Adjusted by %(points)s point.",
                    "Adjusted by %(points)s points.",
                    abs(points),
                )
                % {"points": f"{'+' if points > 0 else '-'}{format_number(abs(points))}"},
            )
            return redirect("members:detail", public_id=member.public_id)
    return _points_page(request, member, PurchaseForm.fresh(), adjust_form=form, status=400)
