"""The counter (find or enroll in seconds) and the member pages."""

import json

import segno
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from apps.core.errors import DomainError
from apps.core.extensions import MEMBER_CARD_SECTIONS, MEMBER_PANELS
from apps.core.forms import add_domain_error
from apps.core.models import Role
from apps.core.pagination import SlicePage
from apps.core.permissions import get_for_merchant_or_404, merchant_view
from apps.core.transactions import edge_transaction
from apps.members import services
from apps.members.filters import MemberFilter
from apps.members.forms import (
    CounterEnrollForm,
    EraseForm,
    LookupForm,
    MemberForm,
    MergeForm,
    NoteForm,
)
from apps.members.models import Channel, Member
from apps.members.selectors import (
    member_by_card_code,
    member_list,
    member_lookup,
    member_personal_data,
    member_timeline,
)


def _member_or_404(request, public_id: str) -> Member:
    return get_for_merchant_or_404(
        Member,
        request,
        public_id=public_id,
    )


@merchant_view(Role.STAFF)
def counter(request):
    """One page for the till: search as you type, or enroll the customer in front of you."""
    lookup = LookupForm(request.GET or None)
    term = lookup.data.get("q", "") if lookup.is_bound else ""
    results = member_lookup(merchant=request.merchant, term=term) if term else []
    context = {"lookup": lookup, "term": term, "results": results}
    if request.htmx and request.htmx.target == "results":
        return render(request, "members/counter.html#results", context)
    return render(request, "members/counter.html", {**context, "form": CounterEnrollForm()})


@require_POST
@merchant_view(Role.STAFF)
def counter_enroll(request):
    form = CounterEnrollForm(request.POST)
    duplicate = None
    if form.is_valid():
        fields = dict(form.cleaned_data)
        extras = {"referral_code": fields.pop("referral_code")}
        try:
            with edge_transaction():
                result = services.member_enroll(
                    merchant=request.merchant,
                    actor=request.user,
                    channel=Channel.COUNTER,
                    location=request.location or None,
                    extras=extras,
                    **fields,
                )
        except services.DuplicateMember as error:
            duplicate = error.member
            add_domain_error(form, error)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                # Translators: shown at the counter after enrolling; %(name)s is a first name.
                gettext("Welcome, %(name)s! Here is the card.")
                % {"name": result.member.first_name},
            )
            return redirect("members:card", public_id=result.member.public_id)
    context = {"lookup": LookupForm(), "results": [], "form": form, "duplicate": duplicate}
    return render(request, "members/counter.html", context, status=400)


@merchant_view(Role.STAFF)
def member_detail(request, public_id: str):
    member = _member_or_404(request, public_id)
    if member.merged_into_id:
        messages.info(
            request, gettext("This record was merged; showing the member it was merged into.")
        )
        return redirect("members:detail", public_id=member.merged_into.public_id)
    page = SlicePage.of(member_timeline(member=member), request, per_page=50)
    return render(
        request,
        "members/member_detail.html",
        {
            "member": member,
            "page": page,
            "note_form": NoteForm(),
            "tags": member.tags.all(),
            "panels": list(MEMBER_PANELS),
        },
    )


@merchant_view(Role.STAFF)
def member_edit(request, public_id: str):
    member = _member_or_404(request, public_id)
    initial = {
        "first_name": member.first_name,
        "last_name": member.last_name,
        "phone": member.phone_display,
        "email": member.email or "",
        "birthday": member.birthday,
        "language": member.language,
        "consent_email": member.consent_email,
        "consent_sms": member.consent_sms,
        "tags": ", ".join(tag.name for tag in member.tags.all()),
    }
    form = MemberForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with edge_transaction():
                services.member_update(
                    member=member, actor=request.user, source="dashboard", **form.cleaned_data
                )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, gettext("Saved."))
            return redirect("members:detail", public_id=member.public_id)
    return render(request, "members/member_form.html", {"member": member, "form": form})


@merchant_view(Role.STAFF)
def member_card(request, public_id: str):
    """The member card: a QR code of the card code, for the counter to show or print."""
    member = _member_or_404(request, public_id)
    # A full QR code, never a Micro QR: phone cameras and the counter scanner read only these.
    qr = segno.make(member.card_code, error="m", micro=False)
    # Translators: the title of the card's QR code; %(code)s is the card code, e.g. ABCD-EFGH.
    title = gettext("Card %(code)s") % {"code": member.card_code_display}
    svg = qr.svg_inline(scale=8, border=2, omitsize=True, title=title)
    context = {"member": member, "qr_svg": svg, "sections": _card_sections(request, member)}
    return render(request, "members/member_card.html", context)


def _card_sections(request, member: Member) -> list[SafeString]:
    """What other apps add below the card (`MEMBER_CARD_SECTIONS`), rendered with the page
    so it works without JavaScript and prints; a None context leaves a section out."""
    shown = []
    for section in MEMBER_CARD_SECTIONS:
        context = section.context(request, member)
        if context is not None:
            shown.append(render_to_string(section.template, context, request=request))
    return shown


@require_POST
@merchant_view(Role.STAFF)
def member_note(request, public_id: str):
    member = _member_or_404(request, public_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            with edge_transaction():
                services.member_add_note(
                    member=member, actor=request.user, text=form.cleaned_data["text"]
                )
        except DomainError as error:
            messages.error(request, error.message)
    else:
        messages.error(request, "; ".join(form.errors["text"]))
    return redirect("members:detail", public_id=member.public_id)


@merchant_view(Role.MANAGER)
def member_list_view(request):
    members = MemberFilter(
        request.GET or None, queryset=member_list(merchant=request.merchant), request=request
    )
    page = SlicePage.of(members.qs, request, per_page=50)
    template = "members/member_list.html#results" if request.htmx else "members/member_list.html"
    return render(request, template, {"filter": members, "page": page})


@merchant_view(Role.MANAGER)
def member_export_json(request, public_id: str):
    """Everything held about one member (GDPR art. 15 and 20), as a JSON download."""
    member = _member_or_404(request, public_id)
    data = member_personal_data(member=member)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False, default=str),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="member-{member.public_id}.json"'
    return response


@merchant_view(Role.MANAGER)
def member_erase(request, public_id: str):
    member = _member_or_404(request, public_id)
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with edge_transaction():
            services.member_erase(member=member, actor=request.user)
        messages.success(
            request, gettext("Personal data erased. Purchases and points stay, anonymous.")
        )
        return redirect("members:detail", public_id=member.public_id)
    return render(request, "members/member_erase.html", {"member": member, "form": form})


@merchant_view(Role.MANAGER)
def member_merge(request, public_id: str):
    member = _member_or_404(request, public_id)
    form = MergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        duplicate = member_by_card_code(
            merchant=request.merchant, raw=form.cleaned_data["duplicate"]
        )
        if duplicate is None:
            form.add_error("duplicate", gettext("No member of this business has that card code."))
        else:
            try:
                with edge_transaction():
                    services.member_merge(survivor=member, duplicate=duplicate, actor=request.user)
            except DomainError as error:
                form.add_error("duplicate", error.message)
            else:
                messages.success(
                    request,
                    # Translators: %(code)s is the card code of the duplicate, e.g. ABCD-EFGH.
                    gettext("Merged %(code)s into this member.")
                    % {"code": duplicate.card_code_display},
                )
                return redirect("members:detail", public_id=member.public_id)
    return render(request, "members/member_merge.html", {"member": member, "form": form})
