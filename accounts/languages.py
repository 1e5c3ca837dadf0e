"""The language a person reads the portal in, and the country/region it suggests.

A browser's Accept-Language picks the language (Django's LocaleMiddleware); the switcher in the
page header changes it (the language cookie); a signed-in person's choice is kept on their
account (`User.language`) and wins on every later visit and sign-in, so it also follows them
to another browser. Their SMS and email are written in it (accounts.outgoing).
"""

import re
from contextvars import ContextVar

from django.conf import settings
from django.utils import translation

# Where no Accept-Language region says otherwise, the language suggests the country/region
# of the phone number picker.
LANGUAGE_REGIONS = {"hi": "IN", "zh-hans": "CN"}

_accept_language: ContextVar[str] = ContextVar("accept_language", default="")
_LANGUAGE_TAG = re.compile(r"^([a-zA-Z]{1,8})(?:-[a-zA-Z]{4})?(?:-([a-zA-Z]{2}))?$")


def supported(language: str | None) -> bool:
    return bool(language) and language in dict(settings.LANGUAGES)


def language_of(user) -> str:
    """The language the person's messages are written in: theirs, else the portal's default."""
    language = getattr(user, "language", "")
    return language if supported(language) else settings.LANGUAGE_CODE


def remember_language(*, user, language: str) -> None:
    """Keep `language` on the account (a language the portal does not speak is ignored)."""
    if supported(language) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])


def settle_language_on_sign_in(request, user) -> None:
    """On sign-in: the account's language comes back; an account without one keeps the
    language it signed in with."""
    if supported(user.language):
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language
    else:
        remember_language(user=user, language=translation.get_language() or "")


def suggested_region() -> str:
    """The country/region the phone number picker starts on: India for Hindi, China for
    Chinese, otherwise the region of the browser's Accept-Language (en-US: the US), otherwise
    PHONE_DEFAULT_REGION. Only an allowed country/region is ever suggested."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    region = LANGUAGE_REGIONS.get(language) or _accept_language_region(language)
    return region if region in settings.PHONE_COUNTRIES else settings.PHONE_DEFAULT_REGION


def _accept_language_region(language: str) -> str:
    primary = language.split("-")[0].lower()
    for part in _accept_language.get().split(","):
        match = _LANGUAGE_TAG.match(part.split(";")[0].strip())
        if match and match.group(1).lower() == primary and match.group(2):
            return match.group(2).upper()
    return ""


class AccountLanguageMiddleware:
    """After authentication: a signed-in person reads the portal in their own language, and
    their browser keeps it (the language cookie) after they sign out. It also notes the
    request's Accept-Language for `suggested_region`."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        token = _accept_language.set(request.headers.get("Accept-Language", "")[:500])
        try:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and supported(user.language):
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            response = self.get_response(request)
        finally:
            _accept_language.reset(token)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and supported(user.language)
            and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != user.language
        ):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                user.language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response
