"""What several pages say about codes: why one was not accepted, or not sent."""

from django.utils.translation import gettext as _

from verification.actions.codes import ResendTooSoon
from verification.limits import SmsBlocked


def send_error(error: Exception) -> str:
    """What the person reads when a code was not sent."""
    if isinstance(error, ResendTooSoon):
        return _("You can ask for a new code in %(seconds)d seconds.") % {
            "seconds": error.seconds_left
        }
    if isinstance(error, SmsBlocked):
        return _(
            "We can't send a text message to this number right now. Try again later, "
            "or use email instead if you have one."
        )
    return _("Too many codes were requested. Try again later.")


def pending_code(form, *, channel: str, code_id: int) -> dict:
    """What a page keeps in the session once a code went out: where to, which code, and what
    the person typed (so the form comes back filled in)."""
    return {
        "channel": channel,
        "destination": form.cleaned_data["destination"],
        "code_id": code_id,
        "initial": {
            key: value
            for key, value in form.cleaned_data.items()
            if key in ("country", "phone", "email")
        },
    }
