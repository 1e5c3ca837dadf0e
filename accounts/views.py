"""Pages of the accounts app: home, sign-up, the account page and the legal texts."""

from typing import cast

from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.signup import complete_signup
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts import phones
from accounts.actions import DestinationTaken, SendLimitReached, create_account, send_signup_code
from accounts.forms import CreateAccountForm, SendCodeForm
from accounts.models import User
from verification.actions.codes import CodeError, ResendTooSoon
from verification.models import Channel

SESSION_KEY = "portal_signup"

CODE_ERRORS = {
    "wrong": _("That code isn't right. Check the message and try again."),
    "void": _("That code was entered wrong too many times. Send a new code."),
    "expired": _("That code has expired. Send a new code."),
    "used": _("That code was already used. Send a new code."),
    "missing": _("Send a code first, then enter it here."),
}


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("account_home")
    return render(request, "home.html")


class SignupView(View):
    """Sign-up on one page: where to send the code, CAPTCHA, "Send code"; then the code, the
    password and consent, "Create account". Works without JavaScript: each button posts the
    form and the page comes back with the next step open."""

    template_name = "accounts/signup.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("account_home")
        return super().dispatch(request, *args, **kwargs)

    def channel(self, request: HttpRequest) -> str:
        method = request.POST.get("method") or request.GET.get("method")
        return Channel.EMAIL if method == "email" else Channel.SMS

    def pending(self, request: HttpRequest) -> dict:
        return request.session.get(SESSION_KEY) or {}

    def get(self, request: HttpRequest) -> HttpResponse:
        channel = self.channel(request)
        pending = self.pending(request)
        if pending.get("channel") != channel:
            pending = {}
        initial = pending.get("initial", {})
        return self.page(
            request,
            channel=channel,
            send_form=SendCodeForm(channel=channel, initial=initial),
            create_form=self.create_form(request, channel=channel, initial=initial),
            pending=pending,
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        channel = self.channel(request)
        if request.POST.get("action") == "create":
            return self.post_create(request, channel)
        return self.post_send(request, channel)

    def create_form(self, request, *, channel, data=None, initial=None) -> CreateAccountForm:
        return CreateAccountForm(data, channel=channel, initial=initial)

    def post_send(self, request: HttpRequest, channel: str) -> HttpResponse:
        form = SendCodeForm(request.POST, channel=channel)
        pending = self.pending(request)
        notice = ""
        if form.is_valid():
            destination = form.cleaned_data["destination"]
            previous_id = (
                pending.get("code_id") if pending.get("destination") == destination else None
            )
            try:
                record = send_signup_code(
                    channel=channel,
                    destination=destination,
                    client_ip=get_adapter(request).get_client_ip(request),
                    previous_id=previous_id,
                )
            except ResendTooSoon as wait:
                form.add_error(
                    None,
                    _("You can ask for a new code in %(seconds)d seconds.")
                    % {"seconds": wait.seconds_left},
                )
            except SendLimitReached:
                form.add_error(None, _("Too many codes were requested. Try again in an hour."))
            else:
                initial = {
                    key: value
                    for key, value in form.cleaned_data.items()
                    if key in ("country", "phone", "email")
                }
                pending.update(
                    channel=channel, destination=destination, code_id=record.pk, initial=initial
                )
                request.session[SESSION_KEY] = pending
                shown = phones.display(destination) if channel == Channel.SMS else destination
                notice = _(
                    "We sent a 6-digit code to %(destination)s. It expires in 10 minutes."
                ) % {"destination": shown}
                return self.page(
                    request,
                    channel=channel,
                    send_form=SendCodeForm(channel=channel, initial=initial),
                    create_form=self.create_form(request, channel=channel, initial=initial),
                    pending=pending,
                    notice=notice,
                )
        return self.page(
            request,
            channel=channel,
            send_form=form,
            create_form=self.create_form(request, channel=channel, initial=request.POST),
            pending=pending,
            status=400,
            dest_form=form,
        )

    def post_create(self, request: HttpRequest, channel: str) -> HttpResponse:
        pending = self.pending(request)
        form = self.create_form(request, channel=channel, data=request.POST)
        if form.is_valid():
            destination = form.cleaned_data["destination"]
            if pending.get("destination") != destination:
                form.add_error(
                    "code",
                    CODE_ERRORS["missing"]
                    if not pending.get("code_id")
                    else _("The code was sent to a different number or address. Send a new code."),
                )
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
                    )
                except CodeError as error:
                    form.add_error("code", CODE_ERRORS[error.reason])
                except DestinationTaken:
                    form.add_error("code", CODE_ERRORS["used"])
                else:
                    request.session.pop(SESSION_KEY, None)
                    return complete_signup(request, user=user, redirect_url="/account/")
        initial = {key: request.POST.get(key) for key in ("country", "phone", "email")}
        return self.page(
            request,
            channel=channel,
            send_form=SendCodeForm(channel=channel, initial=initial),
            create_form=form,
            pending=pending,
            status=400,
            dest_form=form,
        )

    def page(
        self,
        request,
        *,
        channel,
        send_form,
        create_form,
        pending,
        notice="",
        status=200,
        dest_form=None,
    ):
        code_sent = bool(pending.get("code_id")) and pending.get("channel") == channel
        if code_sent and not create_form.is_bound:
            # The code is on its way: the next thing to type is the code.
            create_form.fields["code"].widget.attrs["autofocus"] = True
        return render(
            request,
            self.template_name,
            {
                "channel": channel,
                "is_email": channel == Channel.EMAIL,
                "send_form": send_form,
                "create_form": create_form,
                # The form whose country/phone/email errors are shown.
                "dest_form": dest_form or send_form,
                "code_sent": code_sent,
                "notice": notice,
            },
            status=status,
        )


@login_required
def account_home(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # login_required
    return render(
        request,
        "accounts/account_home.html",
        {"phone_display": phones.display(str(user.phone)) if user.phone else ""},
    )


def terms(request: HttpRequest) -> HttpResponse:
    return render(request, "legal/terms.html")


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "legal/privacy.html")
