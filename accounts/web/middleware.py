"""What every request of a signed-in person goes through: the account's standing, its time
zone, and the session's clock."""

import time

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import time_zones
from accounts.rules import standing

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
            if not standing.may_act(user):
                logout(request)
                return redirect("account_login")
            if user.must_set_up_second_factor and not request.path.startswith(SETUP_PATHS):
                flash.info(
                    request,
                    _("Support reset your two-factor authentication: set it up again to continue."),
                )
                return redirect("two_factor")
        return self.get_response(request)


class AccountTimeZoneMiddleware:
    """After authentication: a signed-in person (staff in admin too) reads every time in their
    own zone (`User.time_zone`, on the row authentication loaded: no query of its own); anyone
    else in UTC."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            time_zones.activate_for(user)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


# Session keys: when the person signed in, and when they were last active (a minute apart at most).
SIGNED_IN_AT = "portal_signed_in_at"
SEEN_AT = "portal_seen_at"


def note_sign_in(request) -> None:
    """Start the session's clock (on every complete sign-in)."""
    request.session[SIGNED_IN_AT] = request.session[SEEN_AT] = int(time.time())


class IdleTimeoutMiddleware:
    """Ends a session left idle for `SESSION_IDLE_TIMEOUT` seconds, and any session
    `SESSION_COOKIE_AGE` seconds after its sign-in, however active (the session's save at each
    minute of activity moves Django's own expiry on). Activity is written at most once a
    minute."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            if now - session.get(SEEN_AT, now) > settings.SESSION_IDLE_TIMEOUT:
                return self._signed_out(
                    request, _("You were signed out after a while without activity.")
                )
            if now - session.get(SIGNED_IN_AT, now) > settings.SESSION_COOKIE_AGE:
                return self._signed_out(
                    request, _("A sign-in lasts a limited time: sign in again to continue.")
                )
            if SIGNED_IN_AT not in session:  # a session from before the clock was kept
                session[SIGNED_IN_AT] = now
            if now - session.get(SEEN_AT, 0) > 60:
                session[SEEN_AT] = now
        return self.get_response(request)

    @staticmethod
    def _signed_out(request, message: str):
        logout(request)
        flash.info(request, message)
        return redirect("account_login")
