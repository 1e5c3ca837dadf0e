"""Receivers for allauth's signals: each hands over to an action."""

from allauth.account.signals import password_changed, password_set, user_logged_in
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.dispatch import Signal, receiver
from django.utils import timezone

from accounts import queries
from accounts.actions import security
from accounts.actions.sign_in import record_sign_in
from accounts.languages import settle_language_on_sign_in
from accounts.models import SecurityEvent
from accounts.security_log import record_event
from accounts.web.middleware import note_sign_in

# Sent when staff sign an account out everywhere (suspended, banned, signed out everywhere, a
# password reset required) and when its password is reset, so other apps let go of it (devices
# revoke their tokens, the ecosystem's apps lose theirs) without accounts knowing them. With
# `phones_too=False` (a reset that keeps phones signed in) devices keep theirs.
signed_out_everywhere = Signal()


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs) -> None:
    # First the language: the sign-in notice is written in it.
    settle_language_on_sign_in(request, user)
    note_sign_in(request)
    record_sign_in(request, user)


def note_last_login(sender, user, **kwargs) -> None:
    """Django's `update_last_login`, as one UPDATE (connected in apps.py in its place)."""
    user.last_login = timezone.now()
    queries.update_last_login(user_id=user.pk, when=user.last_login)


@receiver(password_changed)
@receiver(password_set)
def _password_changed(sender, request, user, **kwargs) -> None:
    security.password_changed(request, user=user)


@receiver(mfa_signals.authenticator_added)
def _authenticator_added(sender, request, user, authenticator, **kwargs) -> None:
    if authenticator.type == Authenticator.Type.TOTP:
        security.second_factor_turned_on(request, user=user, method="app")
    elif authenticator.type == Authenticator.Type.WEBAUTHN:
        security.passkey_added(request, user=user, name=str(authenticator))


@receiver(mfa_signals.authenticator_removed)
def _authenticator_removed(sender, request, user, authenticator, **kwargs) -> None:
    if authenticator.type == Authenticator.Type.TOTP:
        security.second_factor_turned_off(request, user=user, method="app")
    elif authenticator.type == Authenticator.Type.WEBAUTHN:
        security.passkey_removed(request, user=user, name=str(authenticator))


@receiver(mfa_signals.authentication_failed)
def _second_factor_failed(sender, request, user, **kwargs) -> None:
    record_event(user=user, kind=SecurityEvent.Kind.SECOND_FACTOR_FAILED, request=request)
