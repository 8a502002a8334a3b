"""The dashboard's home page: the cards of `extensions.HOME_CARDS`, in their order (what to
set up next, the shop this device works at, and what other apps add)."""

from django.http import HttpRequest
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from apps.analytics.selectors import merchant_today
from apps.core.extensions import HOME_CARDS
from apps.core.models import Role
from apps.core.permissions import merchant_view
from apps.home.selectors import week_figures


def home_cards(request: HttpRequest) -> list[SafeString]:
    """Each card this person's role may see, rendered; a card with nothing to show this
    business (its context is None) is left out."""
    shown = []
    for card in HOME_CARDS:
        if not Role.at_least(request.membership.role, card.role):
            continue
        context = card.context(request)
        if context is not None:
            shown.append(render_to_string(card.template, context, request=request))
    return shown


@merchant_view(Role.STAFF)
def home(request):
    return render(request, "home/home.html", {"cards": home_cards(request)})


@merchant_view(Role.MANAGER)
def week(request):
    """This week's figures: the home card's content (htmx), or a page of their own (the
    card's link, without JavaScript)."""
    figures = week_figures(
        merchant=request.merchant, today=merchant_today(merchant=request.merchant)
    )
    template = "home/week.html#figures" if request.htmx else "home/week.html"
    return render(request, template, {"figures": figures})
