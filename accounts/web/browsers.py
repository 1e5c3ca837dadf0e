"""Browsers: a long-lived random cookie names each browser (so the portal can tell a new one
from a known one), and a user agent is described in words a person recognises."""

import re
import secrets
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy
from ua_parser import parse

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


def describe(user_agent: str) -> str:
    """'Chrome on Windows', 'Chrome on Pixel 8', 'Safari on iPhone', or 'Unknown browser', in
    the language it is shown in: a lazy text, so a notice written in the account's language says
    it in that language too. The names are ua-parser's (a kept list of browsers and phones)."""
    browser, system = _names(user_agent)
    if browser and system:
        return format_lazy(_BROWSER_ON_SYSTEM, browser=browser, system=system)  # type: ignore[return-value]
    return browser or system or _UNKNOWN_BROWSER  # type: ignore[return-value]


@lru_cache(maxsize=1024)
def _names(user_agent: str) -> tuple[str, str]:
    """The browser's name and what it runs on (the phone's model when the user agent carries
    one, else the system), either "" when unknown. Cached: sign-ins and the sessions page ask
    about the same few user agents again and again, and a parse costs about a millisecond."""
    found = parse(user_agent[:_USER_AGENT_LENGTH])
    browser = _browser_name(found.user_agent.family) if found.user_agent else ""
    system = _SYSTEM_NAMES.get(found.os.family, found.os.family) if found.os else ""
    device = found.device.family if found.device else ""
    if device and device not in _NOT_A_MODEL and not device.startswith("Generic"):
        system = device
    browser, system = _known(browser), _known(system)
    return (browser, "") if browser == system else (browser, system)


def _browser_name(family: str) -> str:
    """The browser as people name it: ua-parser's "Chrome Mobile", "Mobile Safari" and "Chrome
    Mobile iOS" are Chrome, Safari and Chrome."""
    words = [word for word in family.split() if word != "Mobile"]
    if len(words) > 1 and words[-1] == "iOS":
        words.pop()
    return " ".join(words)


def _known(name: str) -> str:
    return "" if name == "Other" else name


# ua-parser's names for systems whose makers now call them otherwise.
_SYSTEM_NAMES = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS"}
# Device names that say nothing of the phone: Chrome writes "K" for every Android model (its
# reduced user agent), and a Mac is better named by its system.
_NOT_A_MODEL = {"", "Other", "K", "Spider", "Mac"}
# A user agent longer than this is cut (the log keeps no more either).
_USER_AGENT_LENGTH = 300

# Translators: a browser and the system or phone it runs on, e.g. "Chrome on Android".
_BROWSER_ON_SYSTEM = gettext_lazy("{browser} on {system}")
_UNKNOWN_BROWSER = gettext_lazy("Unknown browser")
