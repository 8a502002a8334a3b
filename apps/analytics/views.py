"""The analytics dashboard: a shell that loads at once, and one request per card (htmx),
so one slow figure never holds the page; each card as CSV; the members behind a number;
the thresholds, the value of points and the marketing spend."""

from __future__ import annotations

from datetime import timedelta
from itertools import chain

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from apps.analytics import selectors, services
from apps.analytics.cards import KPI_CARDS, Choice, card_build, card_csv_rows
from apps.analytics.forms import AnalyticsSettingsForm, DashboardForm, MarketingSpendForm
from apps.analytics.periods import Period
from apps.analytics.tasks import refresh_analytics
from apps.core.csv import csv_attachment
from apps.core.errors import DomainError
from apps.core.extensions import ANALYTICS_CARDS, MEMBER_LIST_ACTIONS
from apps.core.forms import add_domain_error
from apps.core.models import Role
from apps.core.money import to_major, to_minor
from apps.core.pagination import SlicePage
from apps.core.permissions import merchant_view
from apps.core.transactions import edge_transaction

STATUS_TITLES = {
    selectors.Status.ACTIVE: _("Active members"),
    selectors.Status.AT_RISK: _("Members at risk"),
    selectors.Status.LAPSED: _("Lapsed members"),
    "new": _("New members"),
}


def _picker(request) -> DashboardForm:
    return DashboardForm(
        request.GET,
        merchant=request.merchant,
        today=selectors.merchant_today(merchant=request.merchant),
    )


def _choice(request, form: DashboardForm) -> Choice:
    period, location, compare = form.choice()
    return Choice(request.merchant, period, location, compare)


def _query(choice: Choice) -> str:
    """The query string that asks a card for exactly this choice."""
    query = f"preset=custom&start={choice.period.start}&end={choice.period.end}"
    if choice.location is not None:
        query += f"&location={choice.location.pk}"
    return query + ("&compare=on" if choice.compare else "")


@merchant_view(Role.MANAGER)
def dashboard(request):
    form = _picker(request)
    if form.is_bound and not form.is_valid():
        return render(request, "analytics/dashboard.html", {"form": form}, status=400)
    choice = _choice(request, form)
    # Opening the dashboard asks for a refresh now rather than at the minute's beat (one
    # runs at a time; a second finds the lock taken and stops). Where tasks run eagerly
    # (`make run`, no beat) this is what keeps the figures current. With the broker down it
    # is not queued (apps/core/broker.py) and the beat's figures will do.
    refresh_analytics.delay()
    context = {
        "form": form,
        "choice": choice,
        "query": _query(choice),
        "cards": list(ANALYTICS_CARDS),
    }
    return render(request, "analytics/dashboard.html", context)


def _card_or_404(request, name: str):
    if name not in KPI_CARDS:
        raise Http404("No such card.")
    form = _picker(request)
    if form.is_bound and not form.is_valid():
        return form, None
    return form, _choice(request, form)


@merchant_view(Role.MANAGER)
def card(request, name: str):
    form, choice = _card_or_404(request, name)
    if choice is None:
        return render(request, "analytics/_card_error.html", {"form": form}, status=400)
    context = {
        "name": name,
        "title": KPI_CARDS[name][0],
        "card": card_build(name, choice),
        "chart_id": f"chart-{name}-data",
        "choice": choice,
        "query": _query(choice),
    }
    return render(request, "analytics/_card.html", context)


@merchant_view(Role.MANAGER)
def card_csv(request, name: str):
    form, choice = _card_or_404(request, name)
    if choice is None:
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    filename = f"{name}-{choice.period.start}-{choice.period.end}.csv"
    return csv_attachment(filename=filename, rows=card_csv_rows(card_build(name, choice)))


@merchant_view(Role.MANAGER)
def members(request, status: str):
    """The members behind a number: today's active, at-risk or lapsed members, or those
    who joined in the period; as a page or as CSV."""
    if status not in STATUS_TITLES:
        raise Http404("No such list.")
    form = _picker(request)
    if form.is_bound and not form.is_valid():
        return render(request, "analytics/members.html", {"form": form}, status=400)
    choice = _choice(request, form)
    found = selectors.members_behind(
        merchant=request.merchant, status=status, period=choice.period, location=choice.location
    ).order_by("-last_activity_at", "pk")
    if request.GET.get("format") == "csv":
        return _members_csv(found, status)
    actions = [
        (action.label, url)
        for action in MEMBER_LIST_ACTIONS
        if (
            url := action.url(
                merchant=request.merchant,
                status=status,
                period=choice.period,
                location=choice.location,
            )
        )
    ]
    context = {
        "title": STATUS_TITLES[status],
        "status": status,
        "actions": actions,
        "choice": choice,
        "page": SlicePage.of(found, request, per_page=50),
    }
    return render(request, "analytics/members.html", context)


def _members_csv(found, status: str) -> HttpResponse:
    header = ["Member id", "First name", "Last name", "Email", "Phone", "Last activity"]
    rows = (
        [
            member.public_id,
            member.first_name,
            member.last_name,
            member.email,
            member.phone,
            member.last_activity_at.isoformat() if member.last_activity_at else "",
        ]
        for member in found.iterator(chunk_size=2000)
    )
    return csv_attachment(filename=f"members-{status}.csv", rows=chain([header], rows))


# Settings ----------------------------------------------------------------------------------


def _settings_page(request, *, settings_form=None, spend_form=None, status: int = 200):
    merchant = request.merchant
    current = selectors.analytics_settings_for(merchant=merchant)
    value = current.thousand_points_value
    today = selectors.merchant_today(merchant=merchant)
    months = Period(today - timedelta(days=365), today).months()
    context = {
        "settings_form": settings_form
        or AnalyticsSettingsForm(
            initial={
                "at_risk_days": current.at_risk_days,
                "lapsed_days": current.lapsed_days,
                "thousand_points_value": to_major(value, merchant.currency)
                if value is not None
                else None,
            }
        ),
        "spend_form": spend_form or MarketingSpendForm(initial={"month": today}),
        "derived_value": selectors.derived_point_value_per_thousand(merchant=merchant),
        "spend": selectors.marketing_spend_by_month(merchant=merchant, months=months),
    }
    return render(request, "analytics/settings.html", context, status=status)


@merchant_view(Role.MANAGER)
def settings_page(request):
    return _settings_page(request)


@require_POST
@merchant_view(Role.MANAGER)
def settings_update(request):
    form = AnalyticsSettingsForm(request.POST)
    if form.is_valid():
        value = form.cleaned_data["thousand_points_value"]
        try:
            with edge_transaction():
                services.analytics_settings_update(
                    merchant=request.merchant,
                    actor=request.user,
                    at_risk_days=form.cleaned_data["at_risk_days"],
                    lapsed_days=form.cleaned_data["lapsed_days"],
                    thousand_points_value=to_minor(value, request.merchant.currency)
                    if value is not None
                    else None,
                )
        except DomainError as error:
            add_domain_error(form, error)
        except ValueError as error:  # more decimals than the currency has
            form.add_error("thousand_points_value", str(error))
        else:
            messages.success(request, gettext("Analytics settings saved."))
            return redirect("analytics:settings")
    return _settings_page(request, settings_form=form, status=400)


@require_POST
@merchant_view(Role.MANAGER)
def spend_update(request):
    form = MarketingSpendForm(request.POST)
    if form.is_valid():
        try:
            with edge_transaction():
                services.marketing_spend_set(
                    merchant=request.merchant,
                    actor=request.user,
                    month=form.cleaned_data["month"],
                    amount=to_minor(form.cleaned_data["amount"], request.merchant.currency),
                )
        except DomainError as error:
            add_domain_error(form, error)
        except ValueError as error:  # more decimals than the currency has
            form.add_error("amount", str(error))
        else:
            messages.success(request, gettext("Marketing spend saved."))
            return redirect("analytics:settings")
    return _settings_page(request, spend_form=form, status=400)
