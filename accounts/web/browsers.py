"""Browsers: a long-lived random cookie names each browser (so the portal can tell a new one
from a known one), and a user agent is described in words a person recognises."""

import re
import secrets

from django.conf import settings
from django.http import HttpRequest
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from config import crypto

COOKIE_AGE = 2 * 365 * 24 * 60 * 60
_KEY = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


class BrowserKeyMiddleware:
    """Gives every browser a random key in a cookie, once, and keeps it for two years."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        key = request.COOKIES.get(settings.BROWSER_COOKIE_NAME, "")
        fresh = not _KEY.match(key)
        request.browser_key = secrets.token_urlsafe(32) if fresh else key  # type: ignore[attr-defined]
        response = self.get_response(request)
        if fresh:
            response.set_cookie(
                settings.BROWSER_COOKIE_NAME,
                request.browser_key,  # type: ignore[attr-defined]
                max_age=COOKIE_AGE,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response


def browser_key_hashes(request: HttpRequest) -> list[str]:
    """The keyed hashes under which this browser may be stored (never the cookie itself), the
    one to store it under first (config/crypto.py: one per key, for rotation); [] without the
    cookie."""
    phone = getattr(request, "phone_client_key", "")
    if phone:  # a phone's app keeps a random key of its own from its first sign-in
        return crypto.keyed_hashes("browser", f"phone:{phone}")
    key = getattr(request, "browser_key", "") or request.COOKIES.get(
        settings.BROWSER_COOKIE_NAME, ""
    )
    return crypto.keyed_hashes("browser", key) if key else []


_BROWSERS = [
    ("Edge", r"Edg(?:e|A|iOS)?/"),
    ("Opera", r"OPR/|Opera"),
    ("Samsung Internet", r"SamsungBrowser/"),
    ("Firefox", r"Firefox/|FxiOS/"),
    ("Chrome", r"Chrome/|CriOS/|Chromium/"),
    ("Safari", r"Safari/"),
]
_SYSTEMS = [
    ("Android", r"Android"),
    ("iOS", r"iPhone|iPad|iPod"),
    ("Windows", r"Windows"),
    ("ChromeOS", r"CrOS"),
    ("macOS", r"Macintosh|Mac OS X"),
    ("Linux", r"Linux|X11"),
]


def describe(user_agent: str) -> str:
    """'Chrome on Android', 'Firefox on Windows', or 'Unknown browser', in the language it is
    shown in: a lazy text, so a notice written in the account's language says it in that
    language too."""
    browser = next((name for name, pattern in _BROWSERS if re.search(pattern, user_agent)), "")
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, user_agent)), "")
    if browser and system:
        return format_lazy(_BROWSER_ON_SYSTEM, browser=browser, system=system)  # type: ignore[return-value]
    return browser or system or _UNKNOWN_BROWSER  # type: ignore[return-value]


# Translators: a browser and the system it runs on, e.g. "Chrome on Android".
_BROWSER_ON_SYSTEM = gettext_lazy("{browser} on {system}")
_UNKNOWN_BROWSER = gettext_lazy("Unknown browser")
