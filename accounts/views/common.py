"""What the pages that send codes share: the "Send code" step, and what they say when a code
was not sent."""

import math
import time
from collections.abc import Callable

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View

from accounts.forms import ContactWithCaptchaForm
from verification.actions.codes import ResendTooSoon
from verification.limits import SendLimitReached, SmsBlocked
from verification.models import Channel, VerificationCode


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


class CodeToContactView(View):
    """A page whose first step sends a code to a phone or an email the person types (sign-up,
    forgot password): the channel chosen, the code in progress kept in the session under
    `session_key`, and the "Send code" step. Subclasses say how the code is sent
    (`send_code`)."""

    template_name = ""
    session_key = ""
    # The action that sends the code: send_signup_code or send_reset_code (both take channel,
    # destination, client_ip, previous_id and language).
    send_code: Callable[..., VerificationCode]
    # The "action" value of the second step's form, handled by `post_finish`.
    finish_action = ""

    def get(self, request: HttpRequest) -> HttpResponse:
        channel = self.channel(request)
        pending = self.pending(request, channel)
        send_form = self.send_form(request, channel=channel, initial=pending.get("initial"))
        return self.page(request, channel=channel, pending=pending, send_form=send_form)

    def send_form(self, request: HttpRequest, *, channel: str, data=None, initial=None):
        """Where to send the code, with the CAPTCHA (a subclass may waive it)."""
        return ContactWithCaptchaForm(data, channel=channel, initial=initial)

    def post(self, request: HttpRequest) -> HttpResponse:
        channel = self.channel(request)
        if request.POST.get("action") == self.finish_action:
            return self.post_finish(request, channel)
        return self.post_send(request, channel)

    def post_send(self, request: HttpRequest, channel: str) -> HttpResponse:
        raise NotImplementedError

    def post_finish(self, request: HttpRequest, channel: str) -> HttpResponse:
        raise NotImplementedError

    def channel(self, request: HttpRequest) -> str:
        method = request.POST.get("method") or request.GET.get("method")
        return Channel.EMAIL if method == "email" else Channel.SMS

    def pending(self, request: HttpRequest, channel: str) -> dict:
        """The code in progress for this channel: destination, code record, typed values."""
        pending = request.session.get(self.session_key) or {}
        return pending if pending.get("channel") == channel else {}

    def page(
        self, request: HttpRequest, *, channel: str, pending: dict, send_form, **finish
    ) -> HttpResponse:
        """The page: the send form, and the second step as the subclass shows it
        (`finish_context`, given the second step's form, or None for a fresh one)."""
        notice, status = finish.pop("notice", ""), finish.pop("status", 200)
        context = {
            "channel": channel,
            "is_email": channel == Channel.EMAIL,
            "send_form": send_form,
            "notice": notice,
            **self.finish_context(channel, pending, finish.pop("finish_form", None)),
        }
        return render(request, self.template_name, context, status=status)

    def finish_context(self, channel: str, pending: dict, form) -> dict:
        raise NotImplementedError

    def send_step(self, request: HttpRequest, form, *, channel: str, pending: dict) -> dict | None:
        """Send the code to the valid form's destination (a resend when it is the pending one's)
        and keep it in the session; returns the new pending code, or None when the form is not
        valid or the send was refused (the form then says why)."""
        if not form.is_valid():
            return None
        destination = form.cleaned_data["destination"]
        previous_id = pending.get("code_id") if pending.get("destination") == destination else None
        try:
            record = self.send_to(request, channel, destination, previous_id)
        except (ResendTooSoon, SendLimitReached) as error:
            form.add_error(None, send_error(error))
            return None
        pending = pending_code(form, channel=channel, code_id=record.pk)
        request.session[self.session_key] = pending
        return pending

    def send_to(self, request: HttpRequest, channel: str, destination: str, previous_id):
        """The page's code to `destination` (a resend of `previous_id`'s when given), asked
        from this request's address, written in the page's language."""
        return type(self).send_code(
            channel=channel,
            destination=destination,
            client_ip=get_adapter(request).get_client_ip(request),
            previous_id=previous_id,
            language=get_language(),
        )

    def resend_step(self, request: HttpRequest, *, channel: str, pending: dict) -> str:
        """Send the pending code again, to the same destination, without a new CAPTCHA, at most
        RESENDS_WITHOUT_CAPTCHA times (then the person goes back to the first step, and its
        CAPTCHA). Returns "" when sent, else what the person reads."""
        if not pending.get("code_id"):
            return _("Enter where to send the code first.")
        if pending.get("resends", 0) >= RESENDS_WITHOUT_CAPTCHA:
            return _("To get another code, go back and answer a new CAPTCHA.")
        try:
            record = self.send_to(request, channel, pending["destination"], pending["code_id"])
        except (ResendTooSoon, SendLimitReached) as error:
            return send_error(error)
        pending |= {
            "code_id": record.pk,
            "sent_at": time.time(),
            "resends": pending.get("resends", 0) + 1,
        }
        request.session[self.session_key] = pending
        return ""


# A sign-up may ask for the code again this many times on the code's step; then a new CAPTCHA.
RESENDS_WITHOUT_CAPTCHA = 3


def resend_wait(pending: dict) -> int:
    """Seconds until the pending code may be sent again (the cooldown after the last send)."""
    sent_at = pending.get("sent_at")
    if not sent_at:
        return 0
    return max(0, math.ceil(sent_at + settings.VERIFICATION_RESEND_COOLDOWN - time.time()))


def pending_code(form, *, channel: str, code_id: int) -> dict:
    """What a page keeps in the session once a code went out: where to, which code, when, and
    what the person typed (so the form comes back filled in)."""
    return {
        "channel": channel,
        "destination": form.cleaned_data["destination"],
        "code_id": code_id,
        "sent_at": time.time(),
        "resends": 0,
        "initial": {
            key: value
            for key, value in form.cleaned_data.items()
            if key in ("country", "phone", "email")
        },
    }
