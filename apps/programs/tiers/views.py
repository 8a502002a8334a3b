"""The manager's tier page and the tier panel of the member page."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from apps.core.errors import DomainError
from apps.core.forms import add_domain_error
from apps.core.models import Role
from apps.core.permissions import get_for_merchant_or_404, merchant_view
from apps.core.transactions import edge_transaction
from apps.members.models import Member
from apps.programs.tiers import selectors, services
from apps.programs.tiers.forms import TierForm, TierSettingsForm
from apps.programs.tiers.models import Tier, TierReevaluation


def _page(request, *, settings_form=None, status: int = 200):
    merchant = request.merchant
    settings = selectors.tier_settings(merchant=merchant)
    counts = selectors.tier_member_counts(merchant=merchant)
    tiers = selectors.tier_list(merchant=merchant)
    for tier in tiers:
        tier.member_count = counts.get(tier.pk, 0)
    context = {
        "settings": settings,
        "settings_form": settings_form or TierSettingsForm.for_settings(settings),
        "tiers": tiers,
        "job": selectors.reevaluation_latest(merchant=merchant),
    }
    return render(request, "tiers/tier_page.html", context, status=status)


@merchant_view(Role.MANAGER)
def tier_page(request):
    return _page(request)


@require_POST
@merchant_view(Role.MANAGER)
def settings_update(request):
    form = TierSettingsForm(request.POST)
    if form.is_valid():
        try:
            with edge_transaction():
                services.tier_settings_update(
                    merchant=request.merchant, actor=request.user, **form.cleaned_data
                )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, gettext("Saved the tier settings."))
            return redirect("tiers:page")
    return _page(request, settings_form=form, status=400)


def _form_page(request, form, tier=None, status: int = 200):
    return render(request, "tiers/tier_form.html", {"form": form, "tier": tier}, status=status)


@merchant_view(Role.MANAGER)
def tier_create(request):
    measure = selectors.tier_settings(merchant=request.merchant).measure
    form = TierForm(request.POST or None, merchant=request.merchant, measure=measure)
    if request.method == "POST":
        if form.is_valid():
            try:
                with edge_transaction():
                    tier = services.tier_create(
                        merchant=request.merchant, actor=request.user, **form.tier_values()
                    )
            except (DomainError, ValueError) as error:
                _add_error(form, error)
            else:
                messages.success(
                    request,
                    # Translators: %(tier)s is the name of the tier just added, e.g. Gold.
                    gettext("Added %(tier)s: members are being placed.") % {"tier": tier.name},
                )
                return redirect("tiers:page")
        return _form_page(request, form, status=400)
    return _form_page(request, form)


def _add_error(form, error):
    if isinstance(error, DomainError):
        add_domain_error(form, error)
    else:
        form.add_error("threshold", str(error))


@merchant_view(Role.MANAGER)
def tier_edit(request, pk: int):
    tier = get_for_merchant_or_404(Tier, request, pk=pk)
    measure = selectors.tier_settings(merchant=request.merchant).measure
    form = TierForm.for_tier(tier, request.POST or None, measure=measure)
    if request.method == "POST":
        if form.is_valid():
            try:
                with edge_transaction():
                    services.tier_update(tier=tier, actor=request.user, **form.tier_values())
            except (DomainError, ValueError) as error:
                _add_error(form, error)
            else:
                messages.success(request, gettext("Saved %(tier)s.") % {"tier": tier.name})
                return redirect("tiers:page")
        return _form_page(request, form, tier, status=400)
    return _form_page(request, form, tier)


@require_POST
@merchant_view(Role.MANAGER)
def tier_toggle(request, pk: int):
    """Deactivate a tier; `active=1` offers it again."""
    tier = get_for_merchant_or_404(Tier, request, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        with edge_transaction():
            services.tier_set_active(tier=tier, actor=request.user, active=active)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if active:
            text = gettext("%(tier)s is offered again.")
        else:
            text = gettext("%(tier)s is deactivated: its members are being placed again.")
        messages.success(request, text % {"tier": tier.name})
    return redirect("tiers:page")


@merchant_view(Role.MANAGER)
def reevaluation_detail(request, pk: int):
    """The progress of a re-evaluation; htmx polls the section while it runs."""
    job = get_for_merchant_or_404(TierReevaluation, request, pk=pk)
    template = "tiers/reevaluation.html"
    if request.htmx:
        template += "#job"
    return render(request, template, {"job": job})


@require_POST
@merchant_view(Role.MANAGER)
def reevaluation_resume(request, pk: int):
    job = get_for_merchant_or_404(TierReevaluation, request, pk=pk)
    try:
        with edge_transaction():
            services.reevaluation_resume(job=job, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("tiers:reevaluation", pk=job.pk)


@merchant_view(Role.STAFF)
def member_tier(request, public_id: str):
    """The member page's tier panel: tier, perks, progress to the next, recent changes."""
    member = get_for_merchant_or_404(Member, request, public_id=public_id)
    context = {
        "member": member,
        "progress": selectors.member_progress(member=member),
        "changes": selectors.tier_changes(member=member),
        "settings": selectors.tier_settings(merchant=request.merchant),
    }
    template = "tiers/member_tier.html"
    if request.htmx:
        template += "#tier"
    return render(request, template, context)
