"""The security checkup on /account/: the next steps after sign-up, each with its state and
where to fix it. Steps owned by other apps (cloud sync, Find Device) are named in the
`ACCOUNT_CHECKUP_STEPS` setting, so accounts does not import them."""

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from accounts import phones
from accounts.models import User
from accounts.rules.second_factor import second_factor_methods


@dataclass(frozen=True)
class Step:
    title: str
    done: bool
    state: str
    action: str
    url: str
    # "security" steps protect the account; "devices" steps are about the phones' data.
    group: str = "security"


def checkup(user: User) -> list[Step]:
    """The steps in the order of `ACCOUNT_CHECKUP_STEPS`: what protects most first."""
    return [import_string(path)(user) for path in settings.ACCOUNT_CHECKUP_STEPS]


def recovery_of_the_other_kind(user: User) -> Step:
    """A recovery contact of the other kind than the account signs in with: a phone account
    is offered a recovery email (a second phone would be lost with the first), an email
    account a recovery phone."""
    return recovery_phone(user) if user.email and not user.phone else recovery_email(user)


def recovery_of_the_same_kind(user: User) -> Step:
    return recovery_email(user) if user.email and not user.phone else recovery_phone(user)


def recovery_phone(user: User) -> Step:
    phone = str(user.recovery_phone) if user.recovery_phone else ""
    return Step(
        title=str(_("Recovery phone")),
        done=bool(phone),
        state=phones.mask(phone) if phone else str(_("Not set")),
        action=str(_("Change") if phone else _("Add a recovery phone")),
        url=reverse("recovery_phone"),
    )


def recovery_email(user: User) -> Step:
    email = user.recovery_email or ""
    return Step(
        title=str(_("Recovery email")),
        done=bool(email),
        state=phones.mask_email(email) if email else str(_("Not set")),
        action=str(_("Change") if email else _("Add a recovery email")),
        url=reverse("recovery_email"),
    )


def _second_factors(user: User) -> list[str]:
    """The account's second factors, asked once for the page: the two-factor step lists them
    and the passkey step looks for a passkey among them."""
    if not hasattr(user, "_checkup_second_factors"):
        user._checkup_second_factors = second_factor_methods(user)  # type: ignore[attr-defined]
    return user._checkup_second_factors  # type: ignore[attr-defined]


def passkey(user: User) -> Step:
    has_one = "passkey" in _second_factors(user)
    return Step(
        title=str(_("Passkey")),
        done=has_one,
        state=str(
            _("Signs in without a password") if has_one else _("Sign in without typing a password")
        ),
        action=str(_("Manage") if has_one else _("Add a passkey")),
        url=reverse("mfa_list_webauthn" if has_one else "mfa_add_webauthn"),
    )


def two_factor(user: User) -> Step:
    methods = _second_factors(user)
    names = {"app": _("authenticator app"), "sms": _("SMS"), "passkey": _("passkey")}
    return Step(
        title=str(_("Two-factor authentication")),
        done=bool(methods),
        state=(
            str(
                _("On: %(methods)s")
                % {"methods": pgettext("list separator", ", ").join(str(names[m]) for m in methods)}
            )
            if methods
            else str(_("Off"))
        ),
        action=str(_("Manage") if methods else _("Turn on")),
        url=reverse("two_factor"),
    )
