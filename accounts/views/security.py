"""The account page and its security pages: checkup, security log, sessions, recovery
contacts, re-authentication and deleting the account."""

from typing import cast

from allauth.account.internal.flows.login import record_authentication
from allauth.account.internal.flows.reauthentication import reauthenticate_by_password
from allauth.account.utils import get_next_redirect_url
from allauth.core import ratelimit
from allauth.mfa.base.forms import ReauthenticateForm
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from accounts import phones
from accounts.actions import recovery, security
from accounts.checkup import checkup
from accounts.forms import CodeForm, ContactForm, DeleteAccountForm, PasswordForm
from accounts.forms.time_zone import TimeZoneForm
from accounts.models import User
from accounts.rules import failed_passwords, reauth
from accounts.rules.second_factor import (
    SecondFactorRefused,
    has_sms_second_factor,
    passkey_request,
    second_factor_methods,
    send_sms_code,
    sms_phone,
    verify_second_factor,
)
from accounts.security_log import client_ip
from accounts.time_zones import time_zone_of
from accounts.views.common import send_error
from accounts.web.browsers import describe
from verification.actions.codes import CODE_ERRORS, CodeError, ResendTooSoon
from verification.limits import SendLimitReached
from verification.models import Channel

LOG_PAGE_SIZE = 20


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
def account_home(request: HttpRequest, time_zone_form: TimeZoneForm | None = None) -> HttpResponse:
    """The account page; `time_zone_form` is the time zone form sent with an error
    (accounts.views.pages.change_time_zone)."""
    user = _user(request)
    steps = checkup(user)
    return render(
        request,
        "accounts/account_home.html",
        {
            "phone_display": phones.display(str(user.phone)) if user.phone else "",
            "time_zone_form": time_zone_form or TimeZoneForm(current=time_zone_of(user)),
            "steps": steps,
            "steps_done": sum(step.done for step in steps),
            "checkup_groups": [
                (_("Protect your account"), [step for step in steps if step.group == "security"]),
                (_("Your phones and their data"), [s for s in steps if s.group != "security"]),
            ],
            # The one step the page asks for first: the most protective one not done.
            "next_step": next((step for step in steps if not step.done), None),
        },
    )


@login_required
def security_log(request: HttpRequest) -> HttpResponse:
    events = _user(request).security_events.order_by("-created_at", "-id")
    page = Paginator(events, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    for event in page:
        # A browser in words; for what a device did on its own, the device.
        event.browser = (  # type: ignore[attr-defined]
            describe(event.user_agent) if event.user_agent else event.detail.get("device", "")
        )
    return render(request, "accounts/security_log.html", {"page": page})


@login_required
def sessions(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method == "POST":
        if request.POST.get("action") == "end_others":
            ended = security.end_other_sessions(request, user=user)
            flash.success(request, _("Signed out of %(count)d other sessions.") % {"count": ended})
            return redirect("sessions")
        try:
            session_id = int(request.POST.get("session", ""))
        except ValueError:
            session_id = 0
        if not security.end_session(request, user=user, session_id=session_id):
            flash.error(request, _("That session has already ended."))
        elif not request.user.is_authenticated:
            return redirect("account_login")
        else:
            flash.success(request, _("Signed out of that session."))
        return redirect("sessions")
    rows = UserSession.objects.purge_and_list(user)
    rows.sort(key=lambda row: row.last_seen_at, reverse=True)
    listed = [
        {
            "id": row.pk,
            "browser": describe(row.user_agent),
            "ip": row.ip,
            "last_seen_at": row.last_seen_at,
            "created_at": row.created_at,
            "current": row.is_current(),
        }
        for row in rows
    ]
    listed.sort(key=lambda row: not row["current"])
    devices = import_string(settings.ACCOUNT_SIGNED_IN_DEVICES)(user)
    return render(request, "accounts/sessions.html", {"sessions": listed, "devices": devices})


# --- Re-authentication ---------------------------------------------------------------------------
REAUTH_CODE = "portal_reauth_code"


@login_required
@sensitive_post_parameters("password", "code")
def reauthenticate(request: HttpRequest, second_factor: bool = False) -> HttpResponse:
    """Prove it's you again: by password, a second factor, or (with no password) a code."""
    user = _user(request)
    # "factor=2" asks for the second factor only of people who have one.
    wants_factor = second_factor or request.GET.get("factor") == "2"
    second_factor = wants_factor and bool(second_factor_methods(user))
    methods = reauth.methods_for(user, second_factor=wants_factor)
    next_url = get_next_redirect_url(request) or "/account/"
    method = request.POST.get("method") or request.GET.get("method") or methods[0]
    if method not in methods:
        method = methods[0]
    forms = {
        "password": PasswordForm(),
        "app": ReauthenticateForm(user=user),
        "code": CodeForm(),
    }
    notice = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "verify")
        if action == "send" and method in ("sms", "code"):
            try:
                notice = _send_reauth_code(request, user, method)
            except (ResendTooSoon, SendLimitReached) as error:
                flash.error(request, send_error(error))
                status = 400
        elif not ratelimit.consume(request, action="reauthenticate", user=user):
            flash.error(request, _("Too many tries. Wait a minute and try again."))
            status = 429
        elif _verify(request, user, method, forms):
            return redirect(next_url)
        else:
            status = 400
    return render(
        request,
        "accounts/reauthenticate.html",
        {
            "methods": methods,
            "method": method,
            "forms": forms,
            "notice": notice,
            "next": next_url,
            "second_factor": second_factor,
            "factor_param": wants_factor,
            "code_destination": _code_destination_shown(user, method),
            "js_data": passkey_request(user) if method == "passkey" else None,
        },
        status=status,
    )


def _code_destination_shown(user: User, method: str) -> str:
    if method == "sms":
        return phones.mask(sms_phone(user))
    if method == "code":
        channel, destination = reauth.code_destination(user)
        return recovery.masked(channel, destination) if destination else ""
    return ""


def _send_reauth_code(request: HttpRequest, user: User, method: str) -> str:
    ip = client_ip(request) or ""
    if method == "sms":
        send_sms_code(user=user, client_ip=ip, purpose="confirm")
    else:
        record = reauth.send_reauthentication_code(
            user=user, client_ip=ip, previous_id=request.session.get(REAUTH_CODE)
        )
        request.session[REAUTH_CODE] = record.pk
    return _("We sent a 6-digit code to %(destination)s.") % {
        "destination": _code_destination_shown(user, method)
    }


def _verify(request: HttpRequest, user: User, method: str, forms: dict) -> bool:
    if method == "password":
        password_form = forms["password"] = PasswordForm(request.POST)
        if not password_form.is_valid():
            return False
        try:
            failed_passwords.confirm_password(
                request, user=user, password=password_form.cleaned_data["password"]
            )
        except failed_passwords.PasswordRefused as refused:
            password_form.add_error("password", refused.message)
            return False
        reauthenticate_by_password(request)
        return True
    if method == "passkey":
        try:
            verify_second_factor(
                request,
                user,
                method="passkey",
                code=request.POST.get("credential", ""),
                step="reauthentication",
            )
        except SecondFactorRefused as refused:
            forms["code"].add_error(None, refused.message)
            return False
        return True
    if method in ("app", "recovery"):
        # The form shows the code field and its error; the check is verify_second_factor's.
        form = forms["app"] = ReauthenticateForm(user=user)
    else:
        form = forms["code"] = CodeForm(request.POST)
        if not form.is_valid():
            return False
    try:
        if method == "code":
            reauth.use_reauthentication_code(
                user=user, code_id=request.session.get(REAUTH_CODE), code=form.cleaned_data["code"]
            )
            request.session.pop(REAUTH_CODE, None)
            record_authentication(request, user, "code", reauthenticated=True)
        else:
            verify_second_factor(
                request,
                user,
                method=method,
                code=request.POST.get("code", ""),
                step="reauthentication",
            )
    except (CodeError, SecondFactorRefused) as error:
        form.errors["code"] = form.error_class([error.message])
        return False
    return True


# --- Recovery contacts ---------------------------------------------------------------------------
def recovery_contact(request: HttpRequest, channel: str) -> HttpResponse:
    user = _user(request)
    session_key = f"portal_recovery_{channel}"
    pending = request.session.get(session_key) or {}
    contact_form = ContactForm(channel=channel)
    code_form = CodeForm()
    notice = ""
    status = 200
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "remove":
        try:
            recovery.remove_recovery_contact(request, user=user, channel=channel)
        except recovery.ContactInUse:
            flash.error(
                request,
                _("Two-factor codes are texted to this number. Turn off two-factor by SMS first."),
            )
        else:
            flash.success(request, _("Removed."))
            return redirect("account_home")
    elif action == "send":
        contact_form = ContactForm(request.POST, channel=channel)
        status = 400
        if contact_form.is_valid():
            destination = contact_form.cleaned_data["destination"]
            try:
                record = recovery.send_contact_code(
                    user=user,
                    channel=channel,
                    destination=destination,
                    client_ip=client_ip(request) or "",
                    previous_id=pending.get("code_id")
                    if pending.get("destination") == destination
                    else None,
                )
            except recovery.SameAsAccount:
                field = "phone" if channel == Channel.SMS else "email"
                contact_form.add_error(
                    field, _("This is already your account's. Enter a different one.")
                )
            except (ResendTooSoon, SendLimitReached) as error:
                contact_form.add_error(None, send_error(error))
            else:
                pending = {"destination": destination, "code_id": record.pk}
                request.session[session_key] = pending
                notice = _("We sent a 6-digit code to %(destination)s.") % {
                    "destination": recovery.masked(channel, destination)
                }
                status = 200
    elif action == "verify":
        code_form = CodeForm(request.POST)
        status = 400
        if code_form.is_valid():
            if not pending:
                code_form.add_error("code", CODE_ERRORS["missing"])
            else:
                try:
                    recovery.set_recovery_contact(
                        request,
                        user=user,
                        channel=channel,
                        destination=pending["destination"],
                        code_id=pending.get("code_id"),
                        code=code_form.cleaned_data["code"],
                    )
                except CodeError as error:
                    code_form.add_error("code", CODE_ERRORS[error.reason])
                else:
                    request.session.pop(session_key, None)
                    flash.success(request, _("Saved."))
                    return redirect("account_home")
    current = recovery.current(user, channel)
    return render(
        request,
        "accounts/recovery_contact.html",
        {
            "is_phone": channel == Channel.SMS,
            "current": recovery.masked(channel, current) if current else "",
            "contact_form": contact_form,
            "code_form": code_form,
            "sent_to": recovery.masked(channel, pending["destination"]) if pending else "",
            "notice": notice,
        },
        status=status,
    )


@login_required
def recovery_phone(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    # When two-factor codes are texted to this number, changing it changes two-factor.
    carries_second_factor = has_sms_second_factor(user) and not user.phone
    if not reauth.recently_reauthenticated(request, second_factor=carries_second_factor):
        return redirect(
            reauth.reauthentication_url(
                request.get_full_path(), second_factor=carries_second_factor
            )
        )
    return recovery_contact(request, Channel.SMS)


@reauth.reauthentication_required
def recovery_email(request: HttpRequest) -> HttpResponse:
    return recovery_contact(request, Channel.EMAIL)


# --- Deleting the account ------------------------------------------------------------------------
@reauth.reauthentication_required(second_factor=True)
def delete_account(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        security.delete_account(request, user=_user(request))
        flash.success(request, _("Your account was deleted."))
        return redirect("home")
    return render(
        request,
        "accounts/delete_account.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
