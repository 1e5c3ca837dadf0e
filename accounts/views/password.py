"""Forgot password: a code by SMS or email, then a new password. The pages answer the same
whether or not the phone or email has an account."""

import time

from django.conf import settings
from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from accounts.actions import password_reset
from accounts.actions.recovery import masked
from accounts.forms import ContactWithCaptchaForm, NewPasswordForm
from accounts.views.common import CodeToContactView
from verification.actions.codes import CODE_ERRORS, CodeError

SESSION_KEY = "portal_password_reset"
# Set when the page was opened from a notice's "this wasn't you" link.
WASNT_ME = "portal_password_reset_wasnt_me"


@method_decorator(sensitive_post_parameters("password1", "password2", "code"), name="dispatch")
class PasswordResetView(CodeToContactView):
    """Step one: phone or email and CAPTCHA, "Send code". Step two: the code and a new
    password. When a code proves a contact several accounts share, step two asks which."""

    template_name = "accounts/password_reset.html"
    session_key = SESSION_KEY

    def pending(self, request: HttpRequest, channel: str) -> dict:
        pending = super().pending(request, channel)
        if pending.get("proven_until", 0) < time.time():
            # A proven code lets the person retry the password for the code's lifetime only.
            pending.pop("proven", None)
        return pending

    send_code = staticmethod(password_reset.send_reset_code)
    finish_action = "reset"

    def prove(self, request: HttpRequest, pending: dict, **extra) -> None:
        if not pending.get("proven"):
            pending["proven_until"] = time.time() + settings.VERIFICATION_CODE_TTL
        pending |= {"proven": True, **extra}
        request.session[SESSION_KEY] = pending

    def post_send(self, request: HttpRequest, channel: str) -> HttpResponse:
        form = ContactWithCaptchaForm(request.POST, channel=channel)
        pending = self.pending(request, channel)
        notice = ""
        sent = self.send_step(request, form, channel=channel, pending=pending)
        if sent is not None:
            pending = sent
            destination = pending["destination"]
            notice = _(
                "If %(destination)s belongs to an account, we sent it a 6-digit code. "
                "It expires in %(minutes)d minutes."
            ) % {
                "destination": masked(channel, destination),
                "minutes": settings.VERIFICATION_CODE_TTL // 60,
            }
            form = ContactWithCaptchaForm(channel=channel, initial=pending["initial"])
        return self.page(
            request,
            channel=channel,
            pending=pending,
            send_form=form,
            finish_form=NewPasswordForm(code_required=True),
            notice=notice,
            status=200 if notice else 400,
        )

    def post_finish(self, request: HttpRequest, channel: str) -> HttpResponse:
        pending = self.pending(request, channel)
        form = NewPasswordForm(request.POST, code_required=not pending.get("proven"))
        if form.is_valid():
            if not pending:
                form.add_error("code", CODE_ERRORS["missing"])
            else:
                response = self.reset(request, channel, pending, form)
                if response is not None:
                    return response
        return self.page(
            request,
            channel=channel,
            pending=self.pending(request, channel),
            send_form=ContactWithCaptchaForm(channel=channel, initial=pending.get("initial")),
            finish_form=form,
            status=400,
        )

    def reset(self, request, channel, pending, form) -> HttpResponse | None:
        destination = pending["destination"]
        if not pending.get("proven"):
            try:
                password_reset.prove_reset_code(
                    destination=destination,
                    code_id=pending.get("code_id"),
                    code=form.cleaned_data["code"],
                )
            except CodeError as error:
                form.add_error("code", CODE_ERRORS[error.reason])
                return None
        accounts = password_reset.accounts_reached_at(channel=channel, destination=destination)
        chosen = request.POST.get("account_id", "")
        if len(accounts) > 1:
            # The person proved the contact: they may see which accounts it reaches.
            self.prove(request, pending, accounts=[user.account_id for user in accounts])
            accounts = [user for user in accounts if user.account_id == chosen]
            if not accounts:
                form.add_error(None, _("This contact reaches more than one account: choose one."))
                return None
        if not accounts:
            form.add_error("code", CODE_ERRORS["wrong"])
            return None
        user = accounts[0]
        if not form.check_password_for(user):
            self.prove(request, pending)
            return None
        password_reset.reset_password(
            request,
            user=user,
            password=form.cleaned_data["password1"],
            sign_out_devices=form.cleaned_data["sign_out_devices"],
        )
        request.session.pop(SESSION_KEY, None)
        request.session.pop(WASNT_ME, None)
        flash.success(request, _("Your password was reset. Sign in with your new password."))
        return redirect("account_login")

    def get(self, request: HttpRequest) -> HttpResponse:
        if request.GET.get("wasnt_me"):
            # Opened from a notice of something the person did not do.
            request.session[WASNT_ME] = True
        return super().get(request)

    def finish_context(self, channel: str, pending: dict, form) -> dict:
        if form is None:
            form = NewPasswordForm(code_required=not pending.get("proven"))
        if not form.is_bound:
            form.fields["sign_out_devices"].initial = bool(self.request.session.get(WASNT_ME))
        if pending.get("proven"):
            form.fields["code"].widget = form.fields["code"].hidden_widget()
        return {
            "reset_form": form,
            "sent_to": masked(channel, pending["destination"]) if pending else "",
            "proven": bool(pending.get("proven")),
            "accounts": pending.get("accounts", []),
        }
