"""Points at the counter: a member's balance, recording a purchase, the ledger."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from apps.core.errors import DomainError
from apps.core.formatting import format_number
from apps.core.forms import add_domain_error
from apps.core.models import Role
from apps.core.money import to_minor
from apps.core.pagination import SlicePage
from apps.core.permissions import get_for_merchant_or_404, merchant_view
from apps.core.transactions import edge_transaction
from apps.members.models import Member
from apps.programs.coupons.services import purchase_with_coupon
from apps.programs.coupons.views import coupon_purchase_message
from apps.programs.forms import AdjustForm, PurchaseForm
from apps.programs.points.earning import BasketLineError, parse_basket_lines
from apps.programs.points.selectors import ledger_list, lots_open, points_balance
from apps.programs.points.services import points_adjust
from apps.programs.services import purchase_record


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


def _purchase_message(result) -> str:
    """What the cashier reads after recording a purchase (and a tier reached by it: the
    tiers app's PURCHASE_RECORDED hook)."""
    if not result.created:
        return gettext("Already recorded: this ticket earned its points before.")
    values = {
        "points": format_number(result.points_earned),
        "balance": format_number(result.points_balance),
        "tier": result.extras.get("tier"),
    }
    if result.extras.get("tier_changed"):
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
            sale = {
                "merchant": request.merchant,
                "member": member,
                "external_id": form.cleaned_data["external_id"],
                "amount": amount,
                "actor": request.user,
                "location": request.location or None,
                "items": items,
            }
            if form.cleaned_data["coupon"]:  # the amount is the basket; the coupon pays part
                with edge_transaction():
                    with_coupon = purchase_with_coupon(code=form.cleaned_data["coupon"], **sale)
                messages.success(request, coupon_purchase_message(request, with_coupon))
                return redirect("members:detail", public_id=member.public_id)
            with edge_transaction():
                result = purchase_record(**sale)
        except ValueError as error:
            form.add_error("lines" if isinstance(error, BasketLineError) else "amount", str(error))
        except DomainError as error:
            if error.field == "code":  # the coupon's refusal, on the coupon's field
                form.add_error("coupon", error.message)
            else:
                add_domain_error(form, error)
        else:
            messages.success(request, _purchase_message(result))
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
