"""Re-authentication before sensitive changes.

A change counts as recently re-authenticated when, within `ACCOUNT_REAUTHENTICATION_TIMEOUT`
seconds, the person proved themselves again in this session (allauth's authentication records
with `reauthenticated`): by password, by a second factor, or, with no password, by a code sent
to their phone or email. Changes to two-factor itself need the second factor when it is on.

allauth counts a person with no usable password and no second factor as always recently
re-authenticated; these checks do not, and they guard every sensitive page (allauth's own
two-factor pages included, see config/urls.py).
"""

import time
from functools import wraps

from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from accounts import outgoing
from accounts.models import User
from accounts.rules.second_factor import second_factor_methods, sms_phone
from verification.actions.codes import use_code
from verification.models import VerificationCode

REAUTH = VerificationCode.Purpose.REAUTHENTICATION


def recently_reauthenticated(request: HttpRequest, *, second_factor: bool = False) -> bool:
    user = request.user
    if not user.is_authenticated:
        return False
    needs_second_factor = second_factor and bool(second_factor_methods(user))  # type: ignore[arg-type]
    now = time.time()
    for record in get_authentication_records(request, user):
        if not record.get("reauthenticated"):
            continue
        if now - record["at"] >= settings.ACCOUNT_REAUTHENTICATION_TIMEOUT:
            continue
        if needs_second_factor and record.get("method") != "mfa":
            continue
        return True
    return False


def methods_for(user: User, *, second_factor: bool) -> list[str]:
    """How this person can re-authenticate: 'password', 'app' (authenticator app or recovery
    code), 'sms' (the SMS second factor), 'recovery' (a recovery code, for a person whose
    second factor is SMS only: their phone may be the one lost), 'code' (a code to the phone
    or email, only for a person without a password)."""
    factors = second_factor_methods(user)
    if "app" not in factors and factors and has_recovery_codes(user):
        # Without the app, recovery codes are typed on their own (the phone or the passkey
        # may be the one lost).
        factors.append("recovery")
    if second_factor and factors:
        return factors
    methods = ["password"] if user.has_usable_password() else []
    methods += factors
    if not user.has_usable_password() and "sms" not in methods:
        methods.append("code")
    return methods


def has_recovery_codes(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists()


def code_destination(user: User) -> tuple[str, str]:
    """Where a re-authentication code goes for a person without a password."""
    phone = sms_phone(user)
    if phone:
        return "sms", phone
    return "email", user.email or user.recovery_email or ""


def send_reauthentication_code(
    *, user: User, client_ip: str, previous_id: int | None
) -> VerificationCode:
    """Send a person without a password a code to their phone or email to re-authenticate."""
    channel, destination = code_destination(user)

    return outgoing.send_contact_code(
        user=user,
        purpose=REAUTH,
        channel=channel,
        destination=destination,
        client_ip=client_ip,
        previous_id=previous_id,
    )


def use_reauthentication_code(*, user: User, code_id: int | None, code: str) -> None:
    """Accept the re-authentication code once; raises CodeError."""
    use_code(code_id=code_id, purpose=REAUTH, destination=code_destination(user)[1], code=code)


def reauthentication_url(next_url: str, *, second_factor: bool = False) -> str:
    query = {"next": next_url}
    if second_factor:
        query["factor"] = "2"
    return f"{reverse('reauthenticate')}?{urlencode(query)}"


def reauthentication_required(view=None, *, second_factor: bool = False):
    """Sends the person to re-authenticate first, then back to the page."""

    def decorator(view_func):
        @wraps(view_func)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not recently_reauthenticated(request, second_factor=second_factor):
                return redirect(
                    reauthentication_url(request.get_full_path(), second_factor=second_factor)
                )
            return view_func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator
