"""The account's standing, checked on every request of a signed-in person."""

import time

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils.translation import gettext as _

# Where a person who must set up two-factor again may still go.
SETUP_PATHS = (
    "/account/two-factor/",
    "/accounts/2fa/",
    "/account/verify/",
    "/account/recovery/phone/",
    "/accounts/logout/",
    "/static/",
    "/dev/",
)


class AccountStandingMiddleware:
    """Signs out a suspended or banned account on its next request (moderation also ends its
    sessions at once), and keeps a person whose two-factor staff reset on the two-factor page
    until they set it up again."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.is_restricted:
                logout(request)
                return redirect("account_login")
            if user.must_set_up_second_factor and not request.path.startswith(SETUP_PATHS):
                flash.info(
                    request,
                    _("Support reset your two-factor authentication: set it up again to continue."),
                )
                return redirect("two_factor")
        return self.get_response(request)


class IdleTimeoutMiddleware:
    """Ends a session left idle for `SESSION_IDLE_TIMEOUT` seconds (the absolute lifetime is
    `SESSION_COOKIE_AGE`). Activity is written at most once a minute."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            seen = request.session.get("portal_seen_at", now)
            if now - seen > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
                flash.info(request, _("You were signed out after a while without activity."))
                return redirect("account_login")
            if now - seen > 60 or "portal_seen_at" not in request.session:
                request.session["portal_seen_at"] = now
        return self.get_response(request)
