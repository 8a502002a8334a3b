"""Which language a person reads: es, ro or en (settings.LANGUAGES).

A signed-in user's own choice, else what their browser asks for (the switcher's cookie,
then `Accept-Language`), else their business's language, else English. The API answers in
`Accept-Language`, else the key's merchant's language; a public page of a business (the
referral invitation) likewise.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header


def language_codes() -> list[str]:
    """The codes of the languages Fideliza speaks, in settings order: es, ro, en."""
    return [code for code, _name in settings.LANGUAGES]


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


def activate_merchant_language(request, merchant) -> None:
    """Where the merchant is known only inside the view (the API, once the key is read; a
    business's public page): its language, unless the browser asks for one of ours."""
    if language_asked_by_browser(request) is None and (
        language := supported_language(merchant.language)
    ):
        translation.activate(language)
        request.LANGUAGE_CODE = language
