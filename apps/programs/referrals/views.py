"""Referral pages: the member page's panel, the manager's page, and the public link."""

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from apps.core.errors import DomainError
from apps.core.forms import add_domain_error
from apps.core.languages import activate_merchant_language, language_asked_by_browser
from apps.core.models import Merchant, Role
from apps.core.money import to_major, to_minor
from apps.core.permissions import get_for_merchant_or_404, merchant_view
from apps.core.public_links import client_address
from apps.core.rate_limits import over_limit
from apps.core.transactions import edge_transaction
from apps.members.models import Channel, Member
from apps.members.services import DuplicateMember, member_enroll
from apps.programs.referrals import selectors, services
from apps.programs.referrals.forms import JoinForm, ReferralSettingsForm, ResultsForm
from apps.programs.referrals.models import ReferralCode, ReferralSettings, RewardKind
from apps.programs.referrals.selectors import referral_of, referral_results, referrals_made

JOIN_LIMIT = 30  # requests to the public pages per address ...
JOIN_PERIOD = 10 * 60  # ... per ten minutes


def _join_url(request, merchant: Merchant, code: ReferralCode) -> str:
    return request.build_absolute_uri(reverse("referrals:join", args=[merchant.slug, code.code]))


# The member page's panel ---------------------------------------------------------------


@merchant_view(Role.STAFF)
def member_panel(request, public_id: str):
    member = get_for_merchant_or_404(Member, request, public_id=public_id)
    code = (
        services.referral_code_for(member=member)
        if member.is_active
        else selectors.referral_code_of(member=member)
    )
    settings = selectors.referral_settings_get(merchant=request.merchant)
    context = {
        "member": member,
        "code": code,
        "link": _join_url(request, request.merchant, code) if code else "",
        "enabled": settings is not None and settings.is_enabled,
        "referral": referral_of(member=member),
        "made": list(referrals_made(member=member)[:20]),
    }
    template = "referrals/member_panel.html"
    if request.htmx:  # the member page loads the section alone
        template += "#panel"
    return render(request, template, context)


# The manager's page ----------------------------------------------------------------------


def _settings_initial(settings: ReferralSettings, currency: str) -> dict:
    return {
        "is_enabled": settings.is_enabled,
        "min_purchase": to_major(settings.min_purchase, currency),
        "window_days": settings.window_days,
        "referrer_reward": settings.referrer_reward,
        "referrer_points": settings.referrer_points or None,
        "referrer_coupon_value": to_major(settings.referrer_coupon_value, currency)
        if settings.referrer_coupon_value
        else None,
        "referred_reward": settings.referred_reward,
        "referred_points": settings.referred_points or None,
        "referred_coupon_value": to_major(settings.referred_coupon_value, currency)
        if settings.referred_coupon_value
        else None,
        "coupon_days": settings.coupon_days,
        "monthly_cap": settings.monthly_cap,
    }


def _results_range(request) -> tuple[ResultsForm, datetime, datetime]:
    """The range asked for, in the business's days (default: the last 30 days)."""
    today = timezone.localdate()
    default = {"start": today - timedelta(days=29), "end": today}
    form = ResultsForm(request.GET if "start" in request.GET else None, initial=default)
    start, end = default["start"], default["end"]
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    zone = timezone.get_current_timezone()
    return (
        form,
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def _overview(request, settings_form=None, *, status: int = 200):
    settings = services.referral_settings(merchant=request.merchant)
    range_form, start, end = _results_range(request)
    context = {
        "settings": settings,
        "settings_form": settings_form
        or ReferralSettingsForm(initial=_settings_initial(settings, request.merchant.currency)),
        "range_form": range_form,
        "results": referral_results(merchant=request.merchant, start=start, end=end),
    }
    return render(request, "referrals/overview.html", context, status=status)


@merchant_view(Role.MANAGER)
def overview(request):
    return _overview(request)


@require_POST
@merchant_view(Role.MANAGER)
def settings_update(request):
    form = ReferralSettingsForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        currency = request.merchant.currency
        try:
            for field in ("min_purchase", "referrer_coupon_value", "referred_coupon_value"):
                try:
                    data[field] = to_minor(data[field], currency) if data[field] else 0
                except ValueError as error:
                    raise DomainError(str(error), field=field) from error
            for field in ("referrer_points", "referred_points"):
                data[field] = data[field] or 0
            with edge_transaction():
                services.referral_settings_update(
                    merchant=request.merchant, actor=request.user, **data
                )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, gettext("Saved."))
            return redirect("referrals:overview")
    return _overview(request, settings_form=form, status=400)


# The public link (no sign-in) -----------------------------------------------------------


def _over_limit(request) -> bool:
    """One more request from this address; whether it is past the limit."""
    return over_limit(
        key=f"referrals:join:{client_address(request)}",
        limit=JOIN_LIMIT,
        window_seconds=JOIN_PERIOD,
    )


def _offer(merchant: Merchant, code: str):
    """The business, the referrer and the terms, or 404 (unknown business or code, or
    referrals off: a stale link says nothing about who is a member)."""
    merchant = get_object_or_404(Merchant, slug=merchant)
    try:
        referrer = services.referrer_for_code(merchant=merchant, raw_code=code)
    except DomainError as error:
        raise Http404("No such invitation.") from error
    return merchant, referrer, services.referral_settings(merchant=merchant)


def _public(request, template: str, context: dict, status: int = 200):
    return render(request, template, {**context, "reward_kinds": RewardKind}, status=status)


def join(request, merchant: str, code: str):
    if _over_limit(request):
        return _public(request, "referrals/join_limited.html", {}, status=429)
    merchant, referrer, settings = _offer(merchant, code)
    activate_merchant_language(request, merchant)
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with edge_transaction():
                member_enroll(
                    merchant=merchant,
                    actor=None,
                    channel=Channel.ONLINE,
                    first_name=form.cleaned_data["first_name"],
                    phone=form.cleaned_data["phone"],
                    email=form.cleaned_data["email"],
                    consent_email=form.cleaned_data["consent_email"],
                    # The language the page was read in, when the browser chose it.
                    language=language_asked_by_browser(request) or "",
                    extras={services.EXTRA_NAME: code},
                )
        except DuplicateMember as error:
            # Never name the member who has this phone or email on a public page.
            form.add_error(
                error.field,
                gettext(
                    "This is already a member's phone number or email: if it is yours, you are"
                    " in already (ask at the counter)."
                ),
            )
        except DomainError as error:
            if error.field == services.EXTRA_NAME:
                form.add_error(None, error.message)
            else:
                add_domain_error(form, error)
        else:
            return redirect("referrals:join_thanks", merchant=merchant.slug, code=code)
    context = {"merchant": merchant, "referrer_name": referrer.first_name, "settings": settings}
    return _public(
        request,
        "referrals/join.html",
        {**context, "form": form},
        status=400 if form.is_bound else 200,
    )


def join_thanks(request, merchant: str, code: str):
    if _over_limit(request):
        return _public(request, "referrals/join_limited.html", {}, status=429)
    merchant, referrer, settings = _offer(merchant, code)
    activate_merchant_language(request, merchant)
    context = {"merchant": merchant, "referrer_name": referrer.first_name, "settings": settings}
    return _public(request, "referrals/join_thanks.html", context)
