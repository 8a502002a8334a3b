from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.translation.trans_real import parse_accept_lang_header

from .selectors import location_get, membership_for

MERCHANT_SESSION_KEY = "active_merchant_id"
LOCATION_SESSION_KEY = "active_location_id"


def _resolve_membership(request):
    if not request.user.is_authenticated:
        return None
    membership = membership_for(
        user=request.user, merchant_id=request.session.get(MERCHANT_SESSION_KEY)
    )
    if (
        membership is not None
        and request.session.get(MERCHANT_SESSION_KEY) != membership.merchant_id
    ):
        request.session[MERCHANT_SESSION_KEY] = membership.merchant_id
    return membership


class ActiveMerchantMiddleware:
    """Sets `request.membership`, `request.merchant` and `request.location` for each request,
    and shows times in the merchant's time zone.

    The seat is looked up afresh on every request, so someone removed from a team loses
    access at once, and a merchant id left in the session from another account is ignored.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership = _resolve_membership(request)
        request.membership = membership
        request.merchant = membership.merchant if membership else None
        request.location = SimpleLazyObject(lambda: _active_location(request))
        # Dates on the dashboard read in the business's own time zone.
        if request.merchant is not None:
            timezone.activate(ZoneInfo(request.merchant.timezone))
        else:
            timezone.deactivate()
        return self.get_response(request)


def _active_location(request):
    if request.merchant is None:
        return None
    return location_get(
        merchant=request.merchant, location_id=request.session.get(LOCATION_SESSION_KEY)
    )


def supported_language(code: str | None) -> str | None:
    """`es-ES`, `ES`, `es` -> 'es'; a language we do not speak -> None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code.strip().lower())
    except LookupError:
        return None


def language_asked_by_browser(request) -> str | None:
    """The language the browser asks for: the switcher's cookie, else the first language of
    `Accept-Language` that we speak; None when it names none of ours."""
    if chosen := supported_language(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)):
        return chosen
    header = request.headers.get("Accept-Language", "")
    if len(header) > 1000:  # a header this long is not a browser's: ignore it
        return None
    for code, _quality in parse_accept_lang_header(header):
        if code != "*" and (language := supported_language(code)):
            return language
    return None


def language_for_request(request) -> str:
    """Who reads this page decides its language: the signed-in user's own choice, else what
    their browser asks for, else their business's language, else English."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and (chosen := supported_language(user.language)):
        return chosen
    if asked := language_asked_by_browser(request):
        return asked
    merchant = getattr(request, "merchant", None)
    if merchant is not None and (language := supported_language(merchant.language)):
        return language
    return settings.LANGUAGE_CODE


class LanguageMiddleware:
    """Activates the reader's language (see `language_for_request`) for the whole request.

    It stands in for Django's LocaleMiddleware, which knows only the browser: ours also knows
    the user's profile and the merchant, so it runs after ActiveMerchantMiddleware. The API
    answers in the `Accept-Language` it is sent, else in the key's merchant's language
    (`apps.core.api.ApiView` switches once the key is known).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = language_for_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", translation.get_language())
        translation.deactivate()
        return response


def activate_merchant_language(request, merchant) -> None:
    """For the API, where the merchant is known only once the key is read: the merchant's
    language, unless the request's `Accept-Language` names one of ours."""
    if language_asked_by_browser(request) is None and (
        language := supported_language(merchant.language)
    ):
        translation.activate(language)
        request.LANGUAGE_CODE = language
