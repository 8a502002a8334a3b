"""The member page's "Messages" panel, for the shop's team: what was sent to the member
and in what state, "resend welcome" and "revoke card links"."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from apps.core.errors import DomainError
from apps.core.models import Role
from apps.core.permissions import get_for_merchant_or_404, merchant_view
from apps.core.transactions import edge_transaction
from apps.members.models import Member
from apps.messaging.selectors import member_delivery_rows
from apps.portal.links import card_links_renew
from apps.portal.welcome import welcome_resend

SOURCE = "dashboard"


def _member(request, public_id: str) -> Member:
    return get_for_merchant_or_404(Member, request, public_id=public_id)


@merchant_view(Role.STAFF)
def member_messages(request, public_id: str):
    member = _member(request, public_id)
    context = {"member": member, "rows": member_delivery_rows(member=member)}
    template = "portal/member_messages.html"
    if request.htmx:
        template += "#messages"
    return render(request, template, context)


@require_POST
@merchant_view(Role.STAFF)
def member_welcome_resend(request, public_id: str):
    member = _member(request, public_id)
    try:
        with edge_transaction():
            welcome_resend(member=member, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("The welcome is on its way again."))
    return redirect("members:detail", public_id=member.public_id)


@require_POST
@merchant_view(Role.STAFF)
def member_card_links_revoke(request, public_id: str):
    member = _member(request, public_id)
    try:
        with edge_transaction():
            member = card_links_renew(member=member, source=SOURCE, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            gettext("Old card links stopped working; the new one was emailed.")
            if member.email
            else gettext("Old card links stopped working. Show the member their new card QR."),
        )
    return redirect("members:detail", public_id=member.public_id)
