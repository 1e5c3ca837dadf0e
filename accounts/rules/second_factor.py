"""Two-factor authentication: which methods a person has on, checking a second factor at
every door (`verify_second_factor`), and the SMS method.

The authenticator app and recovery codes are django-allauth's (allauth.mfa). The SMS method is
ours, built on pyotp: a random HOTP secret per person (encrypted at rest); each code sent uses
the next counter, lives `SECOND_FACTOR_SMS_TTL` seconds, is accepted once, and is void after
`VERIFICATION_CODE_MAX_ATTEMPTS` wrong tries. A resend inside the lifetime repeats the same
code and keeps its failure count. Codes leave through verification like every SMS.
"""

import math
from datetime import datetime, timedelta

import pyotp
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.webauthn.forms import AuthenticateWebAuthnForm, ReauthenticateWebAuthnForm
from allauth.mfa.webauthn.internal import auth as webauthn_auth
from django.conf import settings
from django.db import transaction
from django.forms.utils import ErrorList
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts import outgoing, queries
from accounts.languages import language_of
from accounts.models import SecurityEvent, SmsSecondFactor, User
from accounts.security_log import record_event
from config import crypto
from verification.actions.codes import CodeError, ResendTooSoon, blocks_recorded, charge_send
from verification.limits import (
    SendLimitReached,
    TooManyWrongCodes,
    count_wrong_code,
    too_many_wrong_codes,
)

__all__ = ["CodeError", "ResendTooSoon", "SendLimitReached"]


class NoPhone(Exception):  # noqa: N818 - reads as a condition
    """The account has no verified phone to text a code to."""


def second_factor_methods(user: User) -> list[str]:
    """'app', 'sms' and/or 'passkey', in that order: the second factors this person has on."""
    app, sms, passkey = queries.second_factors_on(user.pk)
    return [m for m, on in (("app", app), ("sms", sms), ("passkey", passkey)) if on]


def methods_without_a_browser(methods: list[str]) -> list[str]:
    """The second factors a door without a browser (a phone's sign-in through the device API)
    can take: a passkey needs the browser's WebAuthn. When a passkey is the only one, the
    recovery codes that came with it are typed as "app" codes."""
    usable = [method for method in methods if method != "passkey"]
    return usable or (["app"] if "passkey" in methods else [])


def sms_phone(user: User) -> str:
    """The verified number two-factor codes go to: the account's phone, else its recovery
    phone (both were proven by a code before they were stored)."""
    phone = user.phone or user.recovery_phone
    return str(phone) if phone else ""


def _hotp(factor: SmsSecondFactor) -> pyotp.HOTP:
    return pyotp.HOTP(crypto.decrypt(factor.encrypted_secret), digits=6)


def start_sms_setup(user: User) -> SmsSecondFactor:
    """A new secret, not yet on: it turns on once a code sent with it is entered."""
    if not sms_phone(user):
        raise NoPhone
    factor, _ = SmsSecondFactor.objects.update_or_create(
        user=user,
        defaults={
            "encrypted_secret": crypto.encrypt(pyotp.random_base32()),
            "enabled_at": None,
            "code_used": True,
            "code_expires_at": None,
            "code_failed_attempts": 0,
        },
    )
    return factor


PURPOSES = ("sign_in", "confirm", "setup")

TOO_MANY_CODES = gettext_lazy("Too many wrong codes. Wait a few minutes and try again.")


class SecondFactorRefused(Exception):  # noqa: N818 - reads as a condition
    """The code was not accepted. `reason`: "limited" (too many wrong codes for the account:
    wait), "malformed", or why an SMS code was refused (CodeError's reasons), or "incorrect"
    (an app or recovery code); `message` says it to the person."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


# Where a second factor is checked: the second step of a sign-in in a browser, re-authentication
# before a sensitive change (in a browser), and a device's sign-in (no browser session).
STEPS = ("sign_in", "reauthentication", "device_sign_in")


def verify_second_factor(request: HttpRequest, user: User, *, method: str, code: str, step: str):
    """Accept a code of the person's second factor once, or raise SecondFactorRefused: one
    behaviour at every door.

    `method` is what the person chose ("app", "recovery" or "sms"). A 6-digit code with "sms" is
    checked as the texted code (for a sign-in, or to confirm a change when re-authenticating);
    any other code, with any method, as an authenticator-app or recovery code (allauth's check:
    a used app code is refused again, and wrong codes are limited per account across doors).
    Every wrong code is in the security log (allauth's signal for app codes, here for SMS). In
    a browser the session records the second factor (and, for `reauthentication`, that it was
    just confirmed); a device's sign-in has no session to record it in."""
    assert step in STEPS, step
    if method == "passkey":
        _verify_passkey(request, user, credential=code, step=step)
        return
    code = code.strip().replace(" ", "").replace("-", "")
    if method == "sms" and len(code) == 6:
        _verify_sms_code(request, user, code=code, step=step)
        return
    form_class = ReauthenticateForm if step == "reauthentication" else AuthenticateForm
    form = form_class(user=user, data={"code": code})
    if form.is_valid():
        if step == "device_sign_in":
            form.authenticator.record_usage()
        else:
            form.save()
        return
    if limited(form):
        raise SecondFactorRefused("limited", str(TOO_MANY_CODES))
    raise SecondFactorRefused("incorrect", str(form.errors["code"][0]))


def _verify_passkey(request: HttpRequest, user: User, *, credential: str, step: str) -> None:
    """A passkey's signed answer (the JSON the browser's WebAuthn gave), checked by allauth
    against this account's passkeys, its origin and its counter. A door without a browser
    cannot take one."""
    if step == "device_sign_in":
        raise SecondFactorRefused("malformed", str(_NO_PASSKEY_HERE))
    form_class = (
        ReauthenticateWebAuthnForm if step == "reauthentication" else AuthenticateWebAuthnForm
    )
    form = form_class(user=user, data={"credential": credential})
    if form.is_valid():
        form.save()  # records the second factor in the session (and the re-authentication)
        return
    record_event(user=user, kind=SecurityEvent.Kind.SECOND_FACTOR_FAILED, request=request)
    raise SecondFactorRefused("incorrect", str(_PASSKEY_REFUSED))


def passkey_request(user: User) -> dict:
    """What the browser's WebAuthn needs to ask for one of this person's passkeys; the
    challenge is kept in the session for the check of the answer (`_verify_passkey`)."""
    return {"request_options": webauthn_auth.begin_authentication(user)}


_NO_PASSKEY_HERE = gettext_lazy("A passkey can't be used here: use a code instead.")
_PASSKEY_REFUSED = gettext_lazy(
    "That passkey wasn't accepted. Try again, or use another way to confirm it's you."
)


def _verify_sms_code(request: HttpRequest, user: User, *, code: str, step: str) -> None:
    if not code.isdigit():
        raise SecondFactorRefused("malformed", str(_SIX_DIGITS))
    try:
        check_sms_code(
            user=user, code=code, purpose="confirm" if step == "reauthentication" else "sign_in"
        )
    except CodeError as error:
        record_event(user=user, kind=SecurityEvent.Kind.SECOND_FACTOR_FAILED, request=request)
        raise SecondFactorRefused(error.reason, error.message) from None
    if step == "sign_in":
        record_authentication(request, user, "mfa", type="sms")
    elif step == "reauthentication":
        record_authentication(request, user, "mfa", type="sms", reauthenticated=True)


_SIX_DIGITS = gettext_lazy("The code has 6 digits.")


def limited(code_form) -> bool:
    """Whether allauth's code form (authenticator app, recovery codes) refused the try for its
    limit; if so its error says so about codes (allauth's is about sign-in attempts and points
    to a password reset, which does not lift it)."""
    if not code_form.has_error("code", "too_many_login_attempts"):
        return False
    code_form.errors["code"] = ErrorList([str(TOO_MANY_CODES)])
    return True


def send_sms_code(*, user: User, client_ip: str, purpose: str) -> datetime:
    """Text a code for `purpose` (one of PURPOSES) to the person's phone and return when it
    expires. A live code for another purpose is replaced. Raises NoPhone,
    ResendTooSoon inside the cooldown, SendLimitReached over the send budgets (the same as
    every code's, verification.actions.codes.charge_send), and SmsSecondFactor.DoesNotExist
    when the method was never set up."""
    with blocks_recorded(ip=client_ip), transaction.atomic():
        return _send_sms_code(user=user, client_ip=client_ip, purpose=purpose)


def _send_sms_code(*, user: User, client_ip: str, purpose: str) -> datetime:
    factor = SmsSecondFactor.objects.select_for_update().get(user=user)
    phone = sms_phone(user)
    if not phone:
        raise NoPhone
    if too_many_wrong_codes(f"second-factor|{user.pk}"):
        raise TooManyWrongCodes
    now = timezone.now()
    cooldown = timedelta(seconds=settings.VERIFICATION_RESEND_COOLDOWN)
    if factor.code_sent_at and now < factor.code_sent_at + cooldown:
        left = (factor.code_sent_at + cooldown - now).total_seconds()
        raise ResendTooSoon(seconds_left=math.ceil(left))
    charge_send(ip=client_ip, destination=phone, account=str(user.pk))
    live = (
        not factor.code_used
        and factor.code_purpose == purpose
        and factor.code_expires_at is not None
        and now < factor.code_expires_at
        and factor.code_failed_attempts < settings.VERIFICATION_CODE_MAX_ATTEMPTS
    )
    if not live:
        factor.counter += 1
        factor.code_used = False
        factor.code_failed_attempts = 0
        factor.code_expires_at = now + timedelta(seconds=settings.SECOND_FACTOR_SMS_TTL)
        factor.code_purpose = purpose
    factor.code_sent_at = now
    factor.save()
    assert factor.code_expires_at is not None
    outgoing.send_second_factor_code(
        phone=phone,
        code=_hotp(factor).at(factor.counter),
        expires_at=factor.code_expires_at,
        minutes=settings.SECOND_FACTOR_SMS_TTL // 60,
        purpose=purpose,
        language=language_of(user),
    )
    return factor.code_expires_at


def check_sms_code(*, user: User, code: str, purpose: str) -> None:
    """Accept the code once for `purpose`, or raise CodeError (wrong, void, expired, used,
    missing). A wrong try is counted and committed even though the caller sees an error."""
    with transaction.atomic():
        reason = _try_sms_code(user=user, code=code, purpose=purpose)
    if reason:
        raise CodeError(reason)


def _try_sms_code(*, user: User, code: str, purpose: str) -> str:
    factor = SmsSecondFactor.objects.select_for_update().filter(user=user).first()
    if factor is None or factor.code_expires_at is None or factor.code_purpose != purpose:
        return "missing"
    if factor.code_used:
        return "used"
    if factor.code_failed_attempts >= settings.VERIFICATION_CODE_MAX_ATTEMPTS:
        return "void"
    if timezone.now() >= factor.code_expires_at:
        return "expired"
    if not _hotp(factor).verify(code.strip(), factor.counter):
        count_wrong_code(f"second-factor|{user.pk}")
        factor.code_failed_attempts += 1
        factor.save(update_fields=["code_failed_attempts"])
        if factor.code_failed_attempts >= settings.VERIFICATION_CODE_MAX_ATTEMPTS:
            return "void"
        return "wrong"
    factor.code_used = True
    factor.save(update_fields=["code_used"])
    return ""


def has_sms_second_factor(user: User) -> bool:
    return SmsSecondFactor.objects.filter(user=user, enabled_at__isnull=False).exists()
