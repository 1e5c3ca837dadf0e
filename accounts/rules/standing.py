"""Whether an account may be signed in, and may keep acting: the one answer every door asks
(the sign-in page, the device API, admin, and whatever signs in next).

An account is refused when staff banned it, suspended it (until the suspension ends, if it
has an end), or asked its owner to choose a new password. The refusal is told only once the
password was right: before that it would tell strangers that the account exists.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User


@dataclass(frozen=True)
class Refusal:
    reason: str  # "banned", "suspended" or "must_reset_password"
    message: Promise

    def __str__(self) -> str:
        return str(self.message)


BANNED = Refusal("banned", _("This account is banned."))
SUSPENDED = Refusal("suspended", _("This account is suspended."))
MUST_RESET_PASSWORD = Refusal(
    "must_reset_password", _("Choose a new password first: use Forgot password? on the web.")
)


def sign_in_refusal(user: User) -> Refusal | None:
    """Why this account may not sign in now, or None when it may."""
    if user.is_restricted:
        return BANNED if user.status == User.Status.BANNED else SUSPENDED
    if user.must_reset_password:
        return MUST_RESET_PASSWORD
    return None


def may_act(user: User) -> bool:
    """Whether a session or token of this account may still act (banned or suspended accounts
    are signed out on their next request)."""
    return user.is_active and not user.is_restricted
