""" "Trust this browser": allauth's signed cookie and lifetime, with a fingerprint that also
covers the SMS second factor and the number it texts, so any change to two-factor (or to the
password) voids the trust everywhere."""

import time

from allauth.mfa import app_settings
from allauth.mfa.internal.flows import trust as allauth_trust
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

from accounts.models import SmsSecondFactor, User
from accounts.rules.second_factor import sms_phone


def fingerprint(user: User) -> str:
    sms_on_since = (
        SmsSecondFactor.objects.filter(user=user).values_list("enabled_at", flat=True).first()
    )
    parts = [allauth_trust.create_config_fingerprint(user), str(sms_on_since), sms_phone(user)]
    return salted_hmac("portal.trust", "|".join(parts), algorithm="sha256").hexdigest()


def is_trusted_browser(request: HttpRequest, user: User) -> bool:
    current = fingerprint(user)
    return any(
        issued.fingerprint == current for issued in allauth_trust.decode_trust_cookie(request)
    )


def trust_browser(request: HttpRequest, user: User, response: HttpResponse) -> None:
    issued = allauth_trust.decode_trust_cookie(request)
    issued.append(allauth_trust.IssuedTrust(fingerprint=fingerprint(user), at=int(time.time())))
    response.set_cookie(
        app_settings.TRUST_COOKIE_NAME,
        allauth_trust.encode_trust_cookie(issued),
        max_age=app_settings.TRUST_COOKIE_AGE,
        path=app_settings.TRUST_COOKIE_PATH,
        domain=app_settings.TRUST_COOKIE_DOMAIN,
        secure=app_settings.TRUST_COOKIE_SECURE,
        httponly=app_settings.TRUST_COOKIE_HTTPONLY,
        samesite=app_settings.TRUST_COOKIE_SAMESITE,
    )
