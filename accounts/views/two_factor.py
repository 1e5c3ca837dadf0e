"""Two-factor pages: the overview, the SMS method, recovery codes, and the second step of
sign-in (the login stage that replaces allauth's, so SMS codes sit beside app codes)."""

from typing import cast

from allauth.account.internal.decorators import login_stage_required
from allauth.mfa.models import Authenticator
from allauth.mfa.totp import views as totp_views
from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters

from accounts import phones
from accounts.actions import security
from accounts.auth.stages import SecondFactorStage
from accounts.forms import CodeForm
from accounts.models import SmsSecondFactor, User
from accounts.rules import reauth
from accounts.rules.second_factor import (
    NoPhone,
    SecondFactorRefused,
    passkey_request,
    second_factor_methods,
    send_sms_code,
    sms_phone,
    start_sms_setup,
    verify_second_factor,
)
from accounts.rules.trusted_browsers import trust_browser
from accounts.security_log import client_ip
from accounts.views.common import send_error
from verification.actions.codes import CODE_ERRORS, CodeError, ResendTooSoon
from verification.limits import SendLimitReached


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _unused_recovery_codes(user: User) -> int | None:
    codes = Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).first()
    return len(codes.wrap().get_unused_codes()) if codes else None


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    methods = second_factor_methods(user)
    phone = sms_phone(user)
    return render(
        request,
        "accounts/two_factor.html",
        {
            "app_on": "app" in methods,
            "sms_on": "sms" in methods,
            "sms_phone": phones.mask(phone) if phone else "",
            "recovery_codes_left": _unused_recovery_codes(user) if methods else None,
            "passkeys": Authenticator.objects.filter(
                user=user, type=Authenticator.Type.WEBAUTHN
            ).count(),
        },
    )


@reauth.reauthentication_required(second_factor=True)
@sensitive_post_parameters("code")
def sms(request: HttpRequest) -> HttpResponse:
    """Turn the SMS method on (a code to the phone proves it) or off."""
    user = _user(request)
    phone = sms_phone(user)
    is_on = "sms" in second_factor_methods(user)
    form = CodeForm()
    notice = ""
    status = 200
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "off" and is_on:
        security.disable_sms_second_factor(request, user=user)
        flash.success(request, _("Two-factor by SMS is off."))
        return redirect("two_factor")
    if action == "send" and not is_on:
        try:
            start_sms_setup(user)
            send_sms_code(user=user, client_ip=client_ip(request) or "", purpose="setup")
        except NoPhone:
            return redirect("two_factor_sms")
        except (ResendTooSoon, SendLimitReached) as error:
            flash.error(request, send_error(error))
            status = 400
        else:
            notice = _("We sent a 6-digit code to %(phone)s.") % {"phone": phones.mask(phone)}
    if action == "verify" and not is_on:
        form = CodeForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                made_codes = security.enable_sms_second_factor(
                    request, user=user, code=form.cleaned_data["code"]
                )
            except CodeError as error:
                form.add_error("code", CODE_ERRORS[error.reason])
            else:
                flash.success(request, _("Two-factor by SMS is on."))
                if made_codes:
                    return redirect("mfa_view_recovery_codes")
                return redirect("two_factor")
    return render(
        request,
        "accounts/two_factor_sms.html",
        {
            "is_on": is_on,
            "phone": phones.mask(phone) if phone else "",
            "form": form,
            "notice": notice,
            "code_sent": SmsSecondFactor.objects.filter(user=user, enabled_at=None).exists()
            and request.method == "POST",
        },
        status=status,
    )


@reauth.reauthentication_required(second_factor=True)
def deactivate_app(request: HttpRequest) -> HttpResponse:
    """allauth's page to turn the authenticator app off. allauth then deletes the recovery
    codes, not knowing that SMS codes are still on: new ones are made and shown."""
    response = totp_views.deactivate_totp(request)
    if request.method == "POST" and security.restore_recovery_codes(user=_user(request)):
        return redirect("mfa_view_recovery_codes")
    return response


@reauth.reauthentication_required(second_factor=True)
def regenerate_recovery_codes(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not second_factor_methods(user):
        return redirect("two_factor")
    if request.method == "POST":
        security.regenerate_recovery_codes(request, user=user)
        return redirect("mfa_view_recovery_codes")
    return render(
        request,
        "accounts/recovery_codes_generate.html",
        {"left": _unused_recovery_codes(user)},
    )


# --- The second step of sign-in ------------------------------------------------------------------
class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Verification code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
        error_messages={"required": gettext_lazy("Enter the code.")},
    )
    trust = forms.BooleanField(label=gettext_lazy("Trust this browser"), required=False)


@login_stage_required(stage=SecondFactorStage.key, redirect_urlname="account_login")
@sensitive_post_parameters("code")
def authenticate(request: HttpRequest) -> HttpResponse:
    """Asked after the password in a browser not trusted: a code from the authenticator app,
    a recovery code, or a code by SMS."""
    stage = request._login_stage  # type: ignore[attr-defined]
    user = cast(User, stage.login.user)
    methods = second_factor_methods(user)
    if not methods:
        return stage.exit()
    method = request.POST.get("method") or request.GET.get("method") or methods[0]
    if method not in [*methods, "recovery"]:
        method = methods[0]
    form = SecondFactorForm()
    notice = ""
    status = 200
    if request.method == "POST" and request.POST.get("action") == "send" and method == "sms":
        try:
            send_sms_code(user=user, client_ip=client_ip(request) or "", purpose="sign_in")
        except (ResendTooSoon, SendLimitReached) as error:
            flash.error(request, send_error(error))
            status = 400
        else:
            notice = _("We sent a 6-digit code to %(phone)s.") % {
                "phone": phones.mask(sms_phone(user))
            }
    elif request.method == "POST":
        passkey = method == "passkey"
        # A passkey's answer comes from the browser (a hidden field); a code is typed.
        data = request.POST.copy()
        if passkey:
            data["code"] = "passkey"
        form = SecondFactorForm(data)
        if form.is_valid():
            try:
                verify_second_factor(
                    request,
                    user,
                    method=method,
                    code=request.POST.get("credential", "")
                    if passkey
                    else form.cleaned_data["code"],
                    step="sign_in",
                )
            except SecondFactorRefused as refused:
                form.add_error(None if passkey else "code", refused.message)
            else:
                response = stage.exit()
                if form.cleaned_data["trust"]:
                    trust_browser(request, user, response)
                return response
        status = 400
    return render(
        request,
        "accounts/second_factor.html",
        {
            "form": form,
            "method": method,
            "methods": methods,
            "phone": phones.mask(sms_phone(user)) if "sms" in methods else "",
            "notice": notice,
            "js_data": passkey_request(user) if "passkey" in methods else None,
        },
        status=status,
    )
