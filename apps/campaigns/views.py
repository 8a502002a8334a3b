"""The dashboard's segments (managers): the saved ones and the ready-made ones, and the
builder with its live count and sample."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from apps.analytics.selectors import merchant_today
from apps.campaigns import builder as forms
from apps.campaigns import services
from apps.campaigns.models import Segment
from apps.campaigns.ready_made import READY_MADE
from apps.campaigns.rendering import click_target
from apps.campaigns.selectors import segment_count, segment_sample, segments_of
from apps.campaigns.services.clicks import click_record
from apps.core.errors import DomainError
from apps.core.models import Location, Role
from apps.core.permissions import get_for_merchant_or_404, merchant_view
from apps.core.public_links import link_page
from apps.core.transactions import edge_transaction


@merchant_view(Role.MANAGER)
def segment_list(request):
    context = {"segments": segments_of(merchant=request.merchant), "ready_made": READY_MADE}
    return render(request, "campaigns/segment_list.html", context)


@merchant_view(Role.MANAGER)
def segment_count_view(request, pk: int):
    """A saved segment's count, filled in by htmx on the list (each costs a query)."""
    segment = get_for_merchant_or_404(Segment, request, pk=pk)
    count = segment_count(merchant=request.merchant, rules=segment.rules)
    return render(request, "campaigns/segment_list.html#count", {"count": count})


@merchant_view(Role.MANAGER)
def ready_made_count(request, key: str):
    ready = READY_MADE.get(key)
    if ready is None:
        raise Http404("No such segment.")
    count = segment_count(merchant=request.merchant, rules=ready.rules(request.merchant))
    return render(request, "campaigns/segment_list.html#count", {"count": count})


def _starting_builder(request) -> forms.Builder:
    """A new segment's form: empty, from a ready-made segment (`ready`), or from a list of
    members behind an analytics number (`status`, `location`, `joined_*`)."""
    merchant = request.merchant
    ready = READY_MADE.get(request.GET.get("ready", ""))
    if ready is not None:
        return forms.builder_for_rules(ready.rules(merchant), name=str(ready.name))
    conditions = []
    status = request.GET.get("status", "")
    if status in ("active", "at_risk", "lapsed"):
        conditions.append({"field": "status", "op": "is", "value": status})
    joined = [forms.whole(request.GET.get(name, "")) for name in ("joined_from", "joined_to")]
    if status == "new" and None not in joined and 0 <= joined[0] <= joined[1] <= 36500:
        conditions.append({"field": "enrolled_days_ago", "op": "between", "value": joined})
    location = forms.whole(request.GET.get("location", ""))
    if (
        location is not None
        and Location.objects.for_merchant(merchant).filter(pk=location).exists()
    ):
        conditions.append({"field": "location", "op": "is", "value": location})
    if not conditions:
        conditions.append({"field": "status", "op": "is", "value": "at_risk"})
    return forms.builder_for_rules({"all": conditions})


def _builder_page(request, builder: forms.Builder, *, segment: Segment | None, status: int = 200):
    rules = builder.rules(request.merchant)
    context = {
        "builder": builder,
        "segment": segment,
        "fields": forms.field_options(request.merchant),
        "rows": [(row, forms.row_choices(row, request.merchant)) for row in builder.rows],
        "tag_names": forms.tag_names(request.merchant),
        "max_rows": forms.MAX_CONDITIONS,
    }
    if rules is not None:
        context["count"] = segment_count(merchant=request.merchant, rules=rules)
        context["sample"] = segment_sample(merchant=request.merchant, rules=rules)
    template = "campaigns/segment_builder.html"
    if request.htmx and request.POST.get("part") in ("rows", "preview"):
        template += "#" + request.POST["part"]
    return render(request, template, context, status=status)


@merchant_view(Role.MANAGER)
def segment_new(request):
    return _builder(request, segment=None)


@merchant_view(Role.MANAGER)
def segment_edit(request, pk: int):
    return _builder(request, segment=get_for_merchant_or_404(Segment, request, pk=pk))


def _builder(request, *, segment: Segment | None):
    if request.method != "POST":
        if segment is None:
            return _builder_page(request, _starting_builder(request), segment=None)
        builder = forms.builder_for_rules(segment.rules, name=segment.name)
        return _builder_page(request, builder, segment=segment)
    builder = forms.builder_from_post(request.POST)
    action = request.POST.get("action", "")
    if action in ("json", "rows"):
        forms.builder_switch(builder, to=action)
    if action != "save":
        return _builder_page(request, builder, segment=segment)
    rules = builder.rules(request.merchant)
    if rules is None:
        return _builder_page(request, builder, segment=segment, status=400)
    try:
        with edge_transaction():
            if segment is None:
                segment = services.segment_create(
                    merchant=request.merchant, actor=request.user, name=builder.name, rules=rules
                )
            else:
                services.segment_update(
                    segment=segment, actor=request.user, name=builder.name, rules=rules
                )
    except DomainError as error:
        builder.name_error = error.message if error.field == "name" else ""
        builder.error = "" if error.field == "name" else error.message
        return _builder_page(request, builder, segment=segment, status=400)
    messages.success(request, gettext("Saved the segment %(name)s.") % {"name": segment.name})
    return redirect("campaigns:segment_list")


@require_POST
@merchant_view(Role.MANAGER)
def segment_delete(request, pk: int):
    segment = get_for_merchant_or_404(Segment, request, pk=pk)
    name = segment.name
    with edge_transaction():
        services.segment_delete(segment=segment, actor=request.user)
    messages.success(request, gettext("Deleted the segment %(name)s.") % {"name": name})
    return redirect("campaigns:segment_list")


def segment_from_list_url(*, merchant, status: str, period, location) -> str:
    """The builder, started from a list of members behind an analytics number."""
    query: dict[str, object] = {"status": status}
    if status == "new":
        today = merchant_today(merchant=merchant)
        query |= {
            "joined_from": (today - period.end).days,
            "joined_to": (today - period.start).days,
        }
    if location is not None:
        query["location"] = location.pk
    return reverse("campaigns:segment_new") + "?" + urlencode(query)


@link_page(scope="click")
def click(request, token: str):
    """A link of a campaign email: noted, then on to where it points. A forged or
    damaged token shows nothing and goes nowhere (no open redirect)."""
    target = click_target(token=token)
    if target is None:
        return render(request, "messaging/link_unusable.html", status=404)
    delivery_id, url = target
    with edge_transaction():
        click_record(delivery_id=delivery_id, url=url)
    return HttpResponseRedirect(url)
