"""The member's card: a private page reached by a signed link, no login.

A genuine link of an older version (revoked) answers 410 and offers a new link by email;
anything else that is not a genuine link answers 404 and shows nothing of anyone. Every
response is private (apps/core/public_links.py)."""

from __future__ import annotations

import json
import logging

import segno
from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.errors import DomainError
from apps.core.models import Merchant
from apps.core.public_links import link_limited, link_page, private_headers
from apps.core.transactions import edge_transaction
from apps.members.models import Member
from apps.members.selectors import member_language
from apps.members.services import member_consent_set, member_language_set
from apps.messaging.links import CARD, DATA, ERASE, LinkRevoked, member_for_token
from apps.messaging.selectors import messaging_settings
from apps.portal.forms import NewLinkForm, PreferencesForm
from apps.portal.links import card_link_send, card_links_renew
from apps.portal.passes import member_pkpass, wallet_buttons
from apps.portal.privacy import (
    erasure_confirm,
    personal_data_download,
    privacy_link_days,
    privacy_request,
)
from apps.portal.selectors import card_view
from apps.portal.wallet import WalletError

SOURCE = "card"
logger = logging.getLogger(__name__)


def _member(token: str, purpose: str = CARD) -> Member:
    member = member_for_token(token=token, purpose=purpose)  # LinkRevoked for an old one
    if member is None:
        raise Http404("no such card")
    return member


def _shop(member_or_merchant) -> dict:
    merchant = getattr(member_or_merchant, "merchant", member_or_merchant)
    return {
        "merchant": merchant,
        "shop_name": merchant.name,
        "brand_colour": messaging_settings(merchant=merchant).brand_colour,
    }


def _unusable(request, error: Exception):
    """404 for a link that is not genuine (nothing about anyone), 410 for a revoked one."""
    if isinstance(error, LinkRevoked):
        context = {**_shop(error.member), "form": NewLinkForm()}
        return _render_for(error.member, request, "portal/card_revoked.html", context, status=410)
    return render(request, "messaging/link_unusable.html", status=404)


def _render_for(member: Member, request, template: str, context: dict, status: int = 200):
    """A page in the member's language (their own, else the shop's), and saying so."""
    language = member_language(member=member)
    with translation.override(language):
        response = render(request, template, context, status=status)
    response["Content-Language"] = language
    return response


def _qr_svg(member: Member) -> str:
    # A fixed mask: any of the eight is valid for a scanner, and letting segno score all
    # eight to pick the best took 1.5 ms of the page's 30 ms budget (bench/card_page.py).
    qr = segno.make(member.card_code, error="m", micro=False, mask=0)
    # Translators: the text alternative of the QR code on a member's card.
    title = gettext("QR code of card %(code)s") % {"code": member.card_code_display}
    return qr.svg_inline(scale=6, border=2, omitsize=True, title=title)


@require_GET
@link_page(scope="card")
def card(request, token: str):
    try:
        member = _member(token)
    except (Http404, LinkRevoked) as error:
        return _unusable(request, error)
    with translation.override(member_language(member=member)):
        context = {
            **_shop(member),
            "card": card_view(member=member),
            "qr_svg": _qr_svg(member),
            "token": token,
            "preferences": PreferencesForm(
                initial={
                    "consent_email": member.consent_email,
                    "consent_sms": member.consent_sms,
                    "language": member.language,
                }
            ),
            "saved": request.GET.get("saved") == "1",
            "wallets": wallet_buttons(member=member, token=token),
        }
    return _render_for(member, request, "portal/card.html", context)


@require_GET
@link_page(scope="card")
def apple_pass(request, token: str):
    """The card as an Apple Wallet pass; 404 where the installation offers none."""
    try:
        member = _member(token)
    except (Http404, LinkRevoked) as error:
        return _unusable(request, error)
    try:
        data = member_pkpass(member=member)
    except WalletError as error:
        logger.error("no Apple Wallet pass: %s", error)
        with translation.override(member_language(member=member)):
            text = gettext("Your wallet pass cannot be made just now. Please try again later.")
        return HttpResponse(text, status=503, content_type="text/plain; charset=utf-8")
    if data is None:
        return render(request, "messaging/link_unusable.html", status=404)
    response = HttpResponse(data, content_type="application/vnd.apple.pkpass")
    response["Content-Disposition"] = 'attachment; filename="card.pkpass"'
    return response


@require_POST
@link_page(scope="card")
def preferences(request, token: str):
    try:
        member = _member(token)
    except (Http404, LinkRevoked) as error:
        return _unusable(request, error)
    form = PreferencesForm(request.POST)
    if not form.is_valid():
        return redirect(reverse("portal:card", args=[token]) + "#preferences")
    data = form.cleaned_data
    try:
        with edge_transaction():
            for channel in ("email", "sms"):
                member_consent_set(
                    member=member,
                    channel=channel,
                    granted=data[f"consent_{channel}"],
                    source=SOURCE,
                )
            member_language_set(member=member, language=data["language"], source=SOURCE)
    except DomainError as error:  # erased or merged a moment ago
        return _unusable(request, error)
    return redirect(reverse("portal:card", args=[token]) + "?saved=1#preferences")


@require_POST
@link_page(scope="card")
def revoke(request, token: str):
    """The member's own "this link leaked": every link stops, a new one goes by email."""
    try:
        member = _member(token)
    except (Http404, LinkRevoked) as error:
        return _unusable(request, error)
    with edge_transaction():
        member = card_links_renew(member=member, source=SOURCE)
    context = {**_shop(member), "revoked": True, "has_email": bool(member.email)}
    return _render_for(member, request, "portal/link_sent.html", context)


@require_POST
@link_page(scope="card")
def privacy_request_view(request, token: str, kind: str):
    """ "Download my data" or "delete my account": the link that does it goes by email."""
    try:
        member = _member(token)
    except (Http404, LinkRevoked) as error:
        return _unusable(request, error)
    with edge_transaction():
        privacy_request(member=member, request=kind)
    context = {
        **_shop(member),
        "kind": kind,
        "has_email": bool(member.email),
        "days": privacy_link_days(kind),
    }
    return _render_for(member, request, "portal/privacy_requested.html", context)


def _privacy_member(request, token: str, purpose: str):
    """The member an emailed privacy link names, or the page that says why not: 410 for
    a link from before the member's links were revoked, 404 for anything else."""
    try:
        return _member(token, purpose=purpose), None
    except LinkRevoked:
        return None, render(request, "messaging/link_unusable.html", status=410)
    except Http404 as error:
        return None, _unusable(request, error)


@require_http_methods(["GET", "POST"])
@link_page(scope="privacy")
def data_download(request, token: str):
    """The emailed link: GET shows a button (mail scanners open links), POST answers
    everything held about the member as a JSON file."""
    member, refusal = _privacy_member(request, token, DATA)
    if refusal:
        return refusal
    if request.method == "GET":
        return _render_for(member, request, "portal/data_download.html", _shop(member))
    with edge_transaction():
        data = personal_data_download(member=member)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False, default=str),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{member.merchant.slug}-my-data.json"'
    return response


@require_http_methods(["GET", "POST"])
@link_page(scope="privacy")
def erase_confirm(request, token: str):
    """The emailed link: GET asks (mail scanners open links), POST erases."""
    member, refusal = _privacy_member(request, token, ERASE)
    if refusal:
        return refusal
    if request.method == "GET":
        return _render_for(member, request, "portal/erase_confirm.html", _shop(member))
    shop, language = _shop(member), member_language(member=member)
    with edge_transaction():
        erasure_confirm(member=member)
    with translation.override(language):
        response = render(request, "portal/erased.html", shop)
    response["Content-Language"] = language
    return response


@require_POST
def new_link(request, merchant: str):
    """ "Send me a new link": the same answer whether or not the address is a member's."""
    shop = get_object_or_404(Merchant, slug=merchant)
    form = NewLinkForm(request.POST)
    if not form.is_valid():
        response = render(
            request, "portal/card_revoked.html", {**_shop(shop), "form": form}, status=400
        )
        return private_headers(response)
    email = form.cleaned_data["email"]
    if not link_limited(request, scope="new_link", token=f"{shop.pk}:{email.lower()}"):
        with edge_transaction():
            card_link_send(merchant=shop, email=email)
    response = render(request, "portal/link_sent.html", {**_shop(shop), "revoked": False})
    return private_headers(response)


@require_GET
@link_page(scope="card")
def manifest(request, token: str):
    """The web app manifest of this member's card, so it installs with its own link."""
    try:
        member = _member(token)
    except (Http404, LinkRevoked) as error:
        return _unusable(request, error)
    shop = _shop(member)
    start = reverse("portal:card", args=[token])
    data = {
        "name": shop["shop_name"],
        "short_name": shop["shop_name"][:12],
        "start_url": start,
        "scope": start,
        "id": start,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": shop["brand_colour"],
        "icons": [
            {
                "src": static(f"portal/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
            }
            for size in (192, 512)
        ],
    }
    return HttpResponse(json.dumps(data), content_type="application/manifest+json")


@require_GET
@cache_control(max_age=0, no_cache=True)
def service_worker(request):
    """Served from /c/ so that it may control the card pages below it."""
    return render(
        request,
        "portal/sw.js",
        {"version": settings.PORTAL_SHELL_VERSION, "shell": json.dumps(_shell_files())},
        content_type="application/javascript",
    )


def _shell_files() -> list[str]:
    return [
        reverse("portal:offline"),
        static("css/member.css"),
        static("portal/card.js"),
        static("portal/icon-192.png"),
        static("portal/icon-512.png"),
    ]


@require_GET
def offline(request):
    """What the installed card shows with no network: no balance, no token."""
    return render(request, "portal/offline.html")
