"""Two-factor on and off, recovery codes, sessions, password changes and deleting the
account: each logged in the security log, the sensitive ones told to the person."""

from datetime import datetime
from importlib import import_module

from allauth.account.internal.flows.login import record_authentication
from allauth.account.internal.flows.logout import logout
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from accounts import outgoing
from accounts.models import SecurityEvent, SmsSecondFactor, User
from accounts.rules.second_factor import check_sms_code, second_factor_methods
from accounts.security_log import record_event
from accounts.web.browsers import describe

Kind = SecurityEvent.Kind
# Stored in the security log in English and translated when shown (SecurityEvent.summary).
METHOD_NAMES = {"app": gettext_noop("authenticator app"), "sms": gettext_noop("SMS")}


def _now() -> datetime:
    """When a change happened; the notice writes it in the person's language."""
    return timezone.now()


def _ensure_recovery_codes(user: User) -> bool:
    """Recovery codes exist once any second factor is on; True when they were just made."""
    if Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists():
        return False
    RecoveryCodes.activate(user)
    return True


# --- Two-factor ----------------------------------------------------------------------------------
def second_factor_turned_on(request: HttpRequest, *, user: User, method: str) -> bool:
    """Log and tell; make recovery codes if there are none. True when codes were made."""
    made_codes = _ensure_recovery_codes(user)
    if user.must_set_up_second_factor:
        User.objects.filter(pk=user.pk).update(must_set_up_second_factor=False)
        user.must_set_up_second_factor = False
    if method == "app":
        # The person just entered a code from the app: that proves the second factor.
        record_authentication(request, user, "mfa", type="totp", reauthenticated=True)
    record_event(user=user, kind=Kind.TWO_FACTOR_ON, request=request, method=METHOD_NAMES[method])
    outgoing.send_security_notice(
        user=user,
        notice="two_factor_on",
        context={"method": gettext_lazy(METHOD_NAMES[method]), "when": _now()},
    )
    return made_codes


def second_factor_turned_off(request: HttpRequest, *, user: User, method: str) -> None:
    if not second_factor_methods(user):
        Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).delete()
    record_event(user=user, kind=Kind.TWO_FACTOR_OFF, request=request, method=METHOD_NAMES[method])
    outgoing.send_security_notice(
        user=user,
        notice="two_factor_off",
        context={"method": gettext_lazy(METHOD_NAMES[method]), "when": _now()},
    )


def passkey_added(request: HttpRequest, *, user: User, name: str) -> None:
    """A passkey signs in on its own and serves as a second factor (allauth makes recovery
    codes with the first one)."""
    if user.must_set_up_second_factor:
        User.objects.filter(pk=user.pk).update(must_set_up_second_factor=False)
        user.must_set_up_second_factor = False
    # The person just used it (the browser verified them to make it): a fresh second factor,
    # so the recovery codes made with it can be shown at once.
    record_authentication(request, user, "mfa", type="webauthn", reauthenticated=True)
    record_event(user=user, kind=Kind.PASSKEY_ADDED, request=request, device=name)
    outgoing.send_security_notice(
        user=user, notice="passkey_added", context={"name": name, "when": _now()}
    )


def passkey_removed(request: HttpRequest, *, user: User, name: str) -> None:
    if not second_factor_methods(user):
        Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).delete()
    record_event(user=user, kind=Kind.PASSKEY_REMOVED, request=request, device=name)
    outgoing.send_security_notice(
        user=user, notice="passkey_removed", context={"name": name, "when": _now()}
    )


@transaction.atomic
def enable_sms_second_factor(request: HttpRequest, *, user: User, code: str) -> bool:
    """Turn on the SMS method once the first code sent with its new secret is entered.
    Raises CodeError. True when recovery codes were made and should be shown."""
    check_sms_code(user=user, code=code, purpose="setup")
    SmsSecondFactor.objects.filter(user=user).update(enabled_at=timezone.now())
    # The person just proved the factor: it counts as a fresh second-factor check.
    record_authentication(request, user, "mfa", type="sms", reauthenticated=True)
    return second_factor_turned_on(request, user=user, method="sms")


@transaction.atomic
def disable_sms_second_factor(request: HttpRequest, *, user: User) -> None:
    deleted, _ = SmsSecondFactor.objects.filter(user=user, enabled_at__isnull=False).delete()
    if deleted:
        second_factor_turned_off(request, user=user, method="sms")


def restore_recovery_codes(*, user: User) -> bool:
    """Recovery codes again when a second factor is still on but the codes are gone."""
    return bool(second_factor_methods(user)) and _ensure_recovery_codes(user)


@transaction.atomic
def regenerate_recovery_codes(request: HttpRequest, *, user: User) -> None:
    Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).delete()
    RecoveryCodes.activate(user)
    record_event(user=user, kind=Kind.RECOVERY_CODES_GENERATED, request=request)


# --- Sessions ------------------------------------------------------------------------------------
def end_session(request: HttpRequest, *, user: User, session_id: int) -> bool:
    session = UserSession.objects.filter(user=user, pk=session_id).first()
    if session is None:
        return False
    is_current = session.is_current()
    session.end()
    record_event(
        user=user, kind=Kind.SESSION_ENDED, request=request, browser=describe(session.user_agent)
    )
    if is_current:
        logout(request)
    return True


def end_other_sessions(request: HttpRequest, *, user: User) -> int:
    ended = 0
    for session in UserSession.objects.filter(user=user):
        if not session.is_current():
            session.end()
            ended += 1
    record_event(user=user, kind=Kind.OTHER_SESSIONS_ENDED, request=request)
    return ended


# --- Password and account ------------------------------------------------------------------------
def password_changed(request: HttpRequest, *, user: User) -> None:
    record_event(user=user, kind=Kind.PASSWORD_CHANGED, request=request)
    outgoing.send_security_notice(user=user, notice="password_changed", context={"when": _now()})


@transaction.atomic
def delete_account(request: HttpRequest, *, user: User) -> None:
    """End every session, tell the person, and delete the account and all it owns: its phone
    and email are free for a new sign-up at once."""
    outgoing.send_security_notice(user=user, notice="account_deleted", context={"when": _now()})
    for session in UserSession.objects.filter(user=user):
        session.end()
    logout(request)
    user.delete()


def settle_other_sessions(request: HttpRequest, *, user: User, sign_out: bool) -> None:
    """After a password change: end the other sessions, or keep them signed in (Django would
    end them all, as their stored password hash no longer matches)."""
    if sign_out:
        end_other_sessions(request, user=user)
        return
    engine = import_module(settings.SESSION_ENGINE)
    for session in UserSession.objects.filter(user=user):
        if session.is_current():
            continue
        store = engine.SessionStore(session.session_key)
        if store.get(HASH_SESSION_KEY):
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.save()
