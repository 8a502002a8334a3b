"""The survey's public page (the member's signed link, no login) and the Net Promoter
Score card of the analytics dashboard (managers)."""

from __future__ import annotations

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from apps.analytics.cards import Choice, Format, card_csv_rows
from apps.analytics.forms import DashboardForm
from apps.analytics.selectors import merchant_today
from apps.campaigns.surveys.card import nps_card_build
from apps.campaigns.surveys.links import SCORES, survey_for_token
from apps.campaigns.surveys.selectors import survey_answer_of
from apps.campaigns.surveys.services import survey_answer_record
from apps.core.csv import csv_attachment
from apps.core.errors import DomainError
from apps.core.models import Role
from apps.core.permissions import merchant_view
from apps.core.public_links import link_page
from apps.core.transactions import edge_transaction
from apps.members.selectors import member_language
from apps.messaging.links import LinkRevoked
from apps.messaging.selectors import messaging_settings


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Your answer"), coerce=int, choices=[(score, str(score)) for score in SCORES]
    )


def _in_language(request, member, template: str, context: dict, status: int = 200):
    language = member_language(member=member)
    with translation.override(language):
        response = render(request, template, context, status=status)
    response["Content-Language"] = language
    return response


# The token authorises the answer, as it does the unsubscribe: no session, so no CSRF
# token. A GET only shows the question (mail scanners follow links); a POST records.
@csrf_exempt
@require_http_methods(["GET", "POST"])
@link_page(scope="survey")
def survey(request, token: str, score: int | None = None):
    try:
        delivery = survey_for_token(token=token)
    except LinkRevoked as revoked:
        context = {"shop_name": revoked.member.merchant.name}
        return _in_language(
            request, revoked.member, "campaigns/survey_revoked.html", context, status=410
        )
    if delivery is None or (score is not None and score not in SCORES):
        return render(request, "messaging/link_unusable.html", status=404)
    member, merchant = delivery.member, delivery.merchant
    answer = survey_answer_of(delivery=delivery)
    status, thanked = 200, False
    if request.method == "POST":
        form = SurveyForm(request.POST)
        if form.is_valid():
            try:
                with edge_transaction():
                    answer = survey_answer_record(
                        delivery=delivery, score=form.cleaned_data["score"]
                    )
                thanked = True
            except DomainError:
                status = 400
        else:
            status = 400
    chosen = score if score is not None and not thanked else (answer.score if answer else None)
    context = {
        "shop_name": merchant.name,
        "brand_colour": messaging_settings(merchant=merchant).brand_colour,
        "scores": SCORES,
        "chosen": chosen,
        "answer": answer,
        "thanked": thanked,
        "invalid": status == 400,
    }
    return _in_language(request, member, "campaigns/survey.html", context, status=status)


def _choice(request) -> tuple[DashboardForm, Choice | None]:
    form = DashboardForm(
        request.GET, merchant=request.merchant, today=merchant_today(merchant=request.merchant)
    )
    if form.is_bound and not form.is_valid():
        return form, None
    period, location, compare = form.choice()
    return form, Choice(request.merchant, period, location, compare)


def _query(choice: Choice) -> str:
    query = f"preset=custom&start={choice.period.start}&end={choice.period.end}"
    if choice.location is not None:
        query += f"&location={choice.location.pk}"
    return query + ("&compare=on" if choice.compare else "")


@merchant_view(Role.MANAGER)
def nps_card(request):
    form, choice = _choice(request)
    if choice is None:
        return render(request, "analytics/_card_error.html", {"form": form}, status=400)
    query = _query(choice)
    context = {
        "name": "nps",
        "title": _("Net Promoter Score"),
        "card": nps_card_build(choice, Format(request.merchant)),
        "chart_id": "chart-nps-data",
        "choice": choice,
        "query": query,
        "csv_url": reverse("campaigns:nps_card_csv") + "?" + query,
    }
    return render(request, "analytics/_card.html", context)


@merchant_view(Role.MANAGER)
def nps_card_csv(request):
    form, choice = _choice(request)
    if choice is None:
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    card = nps_card_build(choice, Format(request.merchant))
    filename = f"nps-{choice.period.start}-{choice.period.end}.csv"
    return csv_attachment(filename=filename, rows=card_csv_rows(card))
