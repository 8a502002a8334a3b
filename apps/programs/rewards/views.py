"""The rewards catalog (managers) and redemption at the counter (staff)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from apps.core.errors import DomainError
from apps.core.formatting import format_number
from apps.core.forms import add_domain_error
from apps.core.models import Role
from apps.core.pagination import SlicePage
from apps.core.permissions import get_for_merchant_or_404, merchant_view
from apps.core.transactions import edge_transaction
from apps.members.models import Member
from apps.programs.rewards import services as rewards
from apps.programs.rewards.forms import RedeemForm, RewardForm, VoidForm
from apps.programs.rewards.models import Redemption, Reward
from apps.programs.rewards.selectors import reward_list as catalog


def _redirect_to_points(member: Member):
    return redirect("programs:member_points", public_id=member.public_id)


@merchant_view(Role.MANAGER)
def reward_list(request):
    page = SlicePage.of(catalog(merchant=request.merchant), request, per_page=50)
    return render(request, "programs/reward_list.html", {"page": page})


@merchant_view(Role.MANAGER)
def reward_create(request):
    currency = request.merchant.currency
    form = RewardForm(request.POST or None, currency=currency)
    if request.method == "POST":
        if form.is_valid():
            try:
                with edge_transaction():
                    reward = rewards.reward_create(
                        merchant=request.merchant, actor=request.user, **form.reward_fields()
                    )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(
                    request,
                    # Translators: %(name)s is the reward's name.
                    gettext("Added %(name)s to the rewards.") % {"name": reward.name},
                )
                return redirect("programs:reward_list")
        return render(request, "programs/reward_form.html", {"form": form}, status=400)
    return render(request, "programs/reward_form.html", {"form": form})


@merchant_view(Role.MANAGER)
def reward_edit(request, pk: int):
    reward = get_for_merchant_or_404(Reward, request, pk=pk)
    currency = request.merchant.currency
    form = RewardForm.for_reward(reward, request.POST or None, currency=currency)
    context = {"form": form, "reward": reward}
    if request.method == "POST":
        if form.is_valid():
            try:
                with edge_transaction():
                    rewards.reward_update(
                        reward=reward, actor=request.user, changes=form.reward_fields(editing=True)
                    )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, gettext("Saved %(name)s.") % {"name": reward.name})
                return redirect("programs:reward_list")
        return render(request, "programs/reward_form.html", context, status=400)
    return render(request, "programs/reward_form.html", context)


@require_POST
@merchant_view(Role.MANAGER)
def reward_deactivate(request, pk: int):
    """Take a reward off the catalog; `active=1` puts it back."""
    reward = get_for_merchant_or_404(Reward, request, pk=pk)
    active = request.POST.get("active") == "1"
    with edge_transaction():
        rewards.reward_set_active(reward=reward, actor=request.user, active=active)
    text = gettext("%(name)s is offered again.") if active else gettext("%(name)s is taken off.")
    messages.success(request, text % {"name": reward.name})
    return redirect("programs:reward_list")


@require_POST
@merchant_view(Role.STAFF)
def redemption_create(request, public_id: str):
    member = get_for_merchant_or_404(Member, request, public_id=public_id)
    form = RedeemForm(request.POST, merchant=request.merchant)
    if not form.is_valid():
        errors = "; ".join(error for errors in form.errors.values() for error in errors)
        # Translators: %(errors)s is why, e.g. "Select a valid choice."
        messages.error(request, gettext("Nothing redeemed: %(errors)s") % {"errors": errors})
        return _redirect_to_points(member)
    try:
        with edge_transaction():
            result = rewards.reward_redeem(
                merchant=request.merchant,
                member=member,
                reward=form.cleaned_data["reward"],
                external_id=form.cleaned_data["external_id"],
                actor=request.user,
                location=request.location or None,
            )
    except DomainError as error:
        messages.error(request, gettext("Nothing redeemed: %(errors)s") % {"errors": error.message})
        return _redirect_to_points(member)
    redemption = result.redemption
    if result.created:
        # Translators: %(name)s is the reward's name; %(balance)s the points left.
        text = gettext("Redeemed %(name)s; balance %(balance)s.") % {
            "name": redemption.reward_name,
            "balance": format_number(result.points_balance),
        }
    else:
        text = gettext("Already redeemed: this is the redemption made before.")
    messages.success(request, text)
    return redirect("programs:redemption_detail", code=redemption.code)


def _redemption(request, code: str) -> Redemption:
    code = "".join(code.split()).replace("-", "").upper()
    return get_for_merchant_or_404(Redemption, request, code=code[:8])


@merchant_view(Role.STAFF)
def redemption_detail(request, code: str):
    redemption = _redemption(request, code)
    context = {
        "redemption": redemption,
        "member": redemption.member,
        "can_void": rewards.redemption_voidable(
            redemption=redemption, role=request.membership.role
        ),
        "void_form": VoidForm(),
    }
    return render(request, "programs/redemption_detail.html", context)


@require_POST
@merchant_view(Role.STAFF)
def redemption_void(request, code: str):
    redemption = _redemption(request, code)
    form = VoidForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        with edge_transaction():
            result = rewards.redemption_void(
                redemption=redemption,
                actor=request.user,
                role=request.membership.role,
                reason=reason,
            )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if result.voided:
            text = ngettext(
                "Voided: %(points)s point returned.",
                "Voided: %(points)s points returned.",
                result.points_returned,
            ) % {"points": format_number(result.points_returned)}
        else:
            text = gettext("This redemption was already voided.")
        messages.success(request, text)
    return redirect("programs:redemption_detail", code=redemption.code)
