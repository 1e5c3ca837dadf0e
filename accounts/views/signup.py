"""Sign-up on one page: where to send the code, then the code, a password and consent."""

from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.signup import complete_signup
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from accounts import phones
from accounts.actions.signup import (
    DestinationTaken,
    create_account,
    send_signup_code,
)
from accounts.forms import CreateAccountForm, SendCodeForm
from accounts.views.common import CodeToContactView
from verification.actions.codes import CODE_ERRORS, CodeError
from verification.models import Channel

SESSION_KEY = "portal_signup"


@method_decorator(sensitive_post_parameters("password1", "password2", "code"), name="dispatch")
class SignupView(CodeToContactView):
    """Sign-up on one page, in two forms: where to send the code, CAPTCHA, "Send code"; then
    the code, the password and consent, "Create account". Works without JavaScript: each form
    posts and the page comes back with the next step ready. The destination the code went to
    is kept in the session, so the second form cannot be pointed elsewhere."""

    template_name = "accounts/signup.html"
    session_key = SESSION_KEY

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("account_home")
        return super().dispatch(request, *args, **kwargs)

    send_code = staticmethod(send_signup_code)
    finish_action = "create"

    def post_send(self, request: HttpRequest, channel: str) -> HttpResponse:
        form = SendCodeForm(request.POST, channel=channel)
        pending = self.pending(request, channel)
        sent = self.send_step(request, form, channel=channel, pending=pending)
        if sent is not None:
            pending = sent
            notice = _(
                "We sent a 6-digit code to %(destination)s. It expires in %(minutes)d minutes."
            ) % {"destination": shown(pending), "minutes": settings.VERIFICATION_CODE_TTL // 60}
            return self.page(
                request,
                channel=channel,
                send_form=SendCodeForm(channel=channel, initial=pending["initial"]),
                pending=pending,
                notice=notice,
            )
        return self.page(
            request,
            channel=channel,
            send_form=form,
            pending=pending,
            status=400,
        )

    def post_finish(self, request: HttpRequest, channel: str) -> HttpResponse:
        pending = self.pending(request, channel)
        destination = pending.get("destination")
        form = CreateAccountForm(request.POST, channel=channel, destination=destination)
        if form.is_valid():
            if not destination:
                form.add_error("code", CODE_ERRORS["missing"])
            else:
                try:
                    user = create_account(
                        channel=channel,
                        destination=destination,
                        code_id=pending.get("code_id"),
                        code=form.cleaned_data["code"],
                        password=form.cleaned_data["password1"],
                        client_ip=get_adapter(request).get_client_ip(request),
                        user_agent=request.headers.get("User-Agent", ""),
                        language=get_language(),
                    )
                except CodeError as error:
                    form.add_error("code", CODE_ERRORS[error.reason])
                except DestinationTaken:
                    form.add_error("code", CODE_ERRORS["used"])
                else:
                    request.session.pop(SESSION_KEY, None)
                    request.portal_signed_up = True  # type: ignore[attr-defined]
                    return complete_signup(request, user=user, redirect_url="/account/")
        return self.page(
            request,
            channel=channel,
            send_form=SendCodeForm(channel=channel, initial=pending.get("initial")),
            finish_form=form,
            pending=pending,
            status=400,
        )

    def finish_context(self, channel: str, pending: dict, form) -> dict:
        if form is None:
            form = CreateAccountForm(channel=channel, destination=pending.get("destination"))
        if pending.get("code_id") and not form.is_bound:
            # The code is on its way: the next thing to type is the code.
            form.fields["code"].widget.attrs["autofocus"] = True
        return {
            "create_form": form,
            "sent_to": shown(pending) if pending.get("code_id") else "",
        }


def shown(pending: dict) -> str:
    """Where the code went, as a person reads it."""
    destination = pending.get("destination", "")
    return phones.display(destination) if pending.get("channel") == Channel.SMS else destination
