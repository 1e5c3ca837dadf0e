"""Sign-up in two steps: where to send the code (and a CAPTCHA), then the code, a password and
consent."""

import time

from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.signup import complete_signup
from captcha.conf import settings as captcha_settings
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts import phones
from accounts.actions.signup import (
    DestinationTaken,
    check_signup_code,
    create_account,
    send_signup_code,
)
from accounts.forms import CreateAccountForm, SendCodeForm
from accounts.views.common import RESENDS_WITHOUT_CAPTCHA, CodeToContactView, resend_wait
from verification.actions.codes import CODE_ERRORS, CodeError
from verification.models import Channel

SESSION_KEY = "portal_signup"
# A CAPTCHA answered right on a first step that sent nothing (the number was mistyped, say):
# the next try of the first step does not ask another. Spent when a code goes out.
CAPTCHA_PASSED = "portal_signup_captcha"


@method_decorator(never_cache, name="dispatch")
@method_decorator(sensitive_post_parameters("password1", "password2", "code"), name="dispatch")
class SignupView(CodeToContactView):
    """Step one: where to send the code, the CAPTCHA, "Send code". Step two: the code, the
    password and consent, "Create account", with "Resend code" (no new CAPTCHA, a few times)
    and a way back to change the number or address. Works without JavaScript: each form posts
    and the page comes back at the right step. The destination the code went to is kept in the
    session, so the second step cannot be pointed elsewhere."""

    template_name = "accounts/signup.html"
    session_key = SESSION_KEY

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("account_home")
        return super().dispatch(request, *args, **kwargs)

    send_code = staticmethod(send_signup_code)
    finish_action = "create"

    def post(self, request: HttpRequest) -> HttpResponse:
        if request.POST.get("action") == "resend":
            return self.post_resend(request, self.channel(request))
        return super().post(request)

    def send_form(self, request: HttpRequest, *, channel: str, data=None, initial=None):
        form = SendCodeForm(data, channel=channel, initial=initial)
        if captcha_passed(request):
            del form.fields["captcha"]
        return form

    def post_send(self, request: HttpRequest, channel: str) -> HttpResponse:
        form = self.send_form(request, channel=channel, data=request.POST)
        pending = self.pending(request, channel)
        sent = self.send_step(request, form, channel=channel, pending=pending)
        if sent is not None:
            request.session.pop(CAPTCHA_PASSED, None)
            return self.signup_page(
                request, channel=channel, pending=sent, send_form=None, sent=True
            )
        if "captcha" in form.fields and "captcha" in form.cleaned_data:
            # Answered right, but nothing went out: the next try needs no new CAPTCHA.
            request.session[CAPTCHA_PASSED] = time.time()
            del form.fields["captcha"]
        return self.signup_page(
            request,
            channel=channel,
            send_form=form,
            pending=pending,
            step=1,
            status=400,
        )

    def post_resend(self, request: HttpRequest, channel: str) -> HttpResponse:
        pending = self.pending(request, channel)
        refused = self.resend_step(request, channel=channel, pending=pending)
        if refused and not pending.get("code_id"):
            return redirect(request.path + ("?method=email" if channel == Channel.EMAIL else ""))
        return self.signup_page(
            request,
            channel=channel,
            pending=pending,
            send_form=None,
            sent=not refused,
            resend_error=refused,
            status=400 if refused else 200,
        )

    def post_finish(self, request: HttpRequest, channel: str) -> HttpResponse:
        pending = self.pending(request, channel)
        destination = pending.get("destination")
        if not destination:
            # No code is pending (it was never sent, or this sign-up's session ended).
            return self.signup_page(
                request,
                channel=channel,
                pending=pending,
                send_form=None,
                step=1,
                problem=str(CODE_ERRORS["missing"]),
                status=400,
            )
        form = CreateAccountForm(request.POST, channel=channel, destination=destination)
        if not form.is_valid():
            # Every error in one answer: the code is checked too (not spent, so it still works
            # once the rest is fixed).
            if "code" in form.cleaned_data:
                try:
                    check_signup_code(
                        destination=destination,
                        code_id=pending.get("code_id"),
                        code=form.cleaned_data["code"],
                    )
                except CodeError as error:
                    form.add_error("code", CODE_ERRORS[error.reason])
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
                    time_zone=form.cleaned_data["time_zone"],
                )
            except CodeError as error:
                form.add_error("code", CODE_ERRORS[error.reason])
            except DestinationTaken:
                form.add_error("code", CODE_ERRORS["used"])
            else:
                request.session.pop(SESSION_KEY, None)
                request.portal_signed_up = True  # type: ignore[attr-defined]
                return complete_signup(request, user=user, redirect_url="/account/")
        return self.signup_page(
            request,
            channel=channel,
            send_form=None,
            finish_form=form,
            pending=pending,
            status=400,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        channel = self.channel(request)
        return self.signup_page(
            request, channel=channel, pending=self.pending(request, channel), send_form=None
        )

    def signup_page(
        self,
        request: HttpRequest,
        *,
        channel: str,
        pending: dict,
        send_form,
        step: int | None = None,
        finish_form=None,
        sent: bool = False,
        resend_error: str = "",
        problem: str = "",
        status: int = 200,
    ) -> HttpResponse:
        """Step one while no code is pending (or the person chose to change where it goes),
        else step two."""
        if step is None:
            changing = request.method == "GET" and "change" in request.GET
            step = 2 if pending.get("code_id") and not changing else 1
        context = {
            "channel": channel,
            "is_email": channel == Channel.EMAIL,
            "step": step,
            "problem": problem,
        }
        if step == 1:
            if send_form is None:
                send_form = self.send_form(request, channel=channel, initial=pending.get("initial"))
            context |= {"send_form": send_form, "captcha_waived": "captcha" not in send_form.fields}
        else:
            if finish_form is None:
                finish_form = CreateAccountForm(
                    channel=channel, destination=pending.get("destination")
                )
                # The code is on its way: the next thing to type is the code.
                finish_form.fields["code"].widget.attrs["autofocus"] = True
            resends_left = RESENDS_WITHOUT_CAPTCHA - pending.get("resends", 0)
            context |= {
                "create_form": finish_form,
                "sent_to": shown(pending),
                "sent": sent,
                "minutes": settings.VERIFICATION_CODE_TTL // 60,
                "resend_error": resend_error,
                "resend_wait": resend_wait(pending),
                "resends_left": max(0, resends_left),
            }
        return render(request, self.template_name, context, status=status)


def captcha_passed(request: HttpRequest) -> bool:
    """Whether this sign-up answered a CAPTCHA right that no code has spent yet (and it is
    not older than a CAPTCHA lives)."""
    passed = float(request.session.get(CAPTCHA_PASSED) or 0)
    return time.time() - passed < int(captcha_settings.CAPTCHA_TIMEOUT) * 60


def shown(pending: dict) -> str:
    """Where the code went, as a person reads it."""
    destination = pending.get("destination", "")
    return phones.display(destination) if pending.get("channel") == Channel.SMS else destination
