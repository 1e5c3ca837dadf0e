"""A phone signs in with the account's identifier and password and enrolls, with its second
factor when the account has one: the same rules as the sign-in page (the sign-in form and its
limits, the account's standing, `verify_second_factor`), answered in JSON."""

from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.actions.sign_in import remember_browser
from accounts.forms import SignInForm, new_challenge
from accounts.models import User
from accounts.rules import standing
from accounts.rules.second_factor import (
    NoPhone,
    ResendTooSoon,
    SecondFactorRefused,
    SendLimitReached,
    methods_without_a_browser,
    second_factor_methods,
    send_sms_code,
    verify_second_factor,
)
from accounts.security_log import client_ip
from devices.api.base import field_error, json_error, validated
from devices.enrolment import ActivationLocked, enroll_device
from devices.models import Device

FLOW_SALT = "devices.sign-in"
FLOW_MAX_AGE = 10 * 60


class DeviceInfo(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    model = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    platform = serializers.ChoiceField(choices=Device.Platform.choices, default="other")
    hardware_id = serializers.CharField(min_length=8, max_length=200)
    client_key = serializers.CharField(
        min_length=16,
        max_length=200,
        required=False,
        default="",
        help_text="A random secret the app makes at its first sign-in and keeps: with it, a "
        "phone that signed in before is known, as a browser is, and strangers' wrong passwords "
        "never hold it up",
    )


class SignInInput(serializers.Serializer):
    login = serializers.CharField(max_length=254, help_text="Phone number, email or account ID")
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    country = serializers.CharField(max_length=2, required=False, default="")
    captcha_key = serializers.CharField(
        max_length=64,
        required=False,
        default="",
        help_text="After the account's free failures the answer is 401 with a `captcha` (its "
        "key and picture): send the key and what the person read",
    )
    captcha_answer = serializers.CharField(max_length=32, required=False, default="")
    device = DeviceInfo()


class SecondFactorInput(serializers.Serializer):
    flow = serializers.CharField(max_length=2000)
    method = serializers.ChoiceField(choices=["app", "sms"])
    code = serializers.CharField(max_length=32, required=False, allow_blank=True)
    action = serializers.ChoiceField(choices=["verify", "send"], default="verify")


class EnrolledOutput(serializers.Serializer):
    token = serializers.CharField()
    device_id = serializers.UUIDField()


def _with_client_key(request: Request, device_info: dict) -> dict:
    """The device's fields for enrolment; its client key, if any, names it as a browser's
    cookie does (accounts.web.browsers)."""
    device_info = dict(device_info)
    client_key = device_info.pop("client_key", "")
    if client_key:
        request._request.phone_client_key = client_key  # type: ignore[attr-defined]
    return device_info


def _enrolled(request: Request, user: User, device_info: dict) -> Response:
    device_info = _with_client_key(request, device_info)
    try:
        device, token = enroll_device(user=user, request=request._request, **device_info)
    except ActivationLocked:
        return json_error(
            _("This device is locked to another account. Its owner must remove it."),
            status.HTTP_409_CONFLICT,
        )
    if getattr(request._request, "phone_client_key", ""):
        remember_browser(request._request, user)  # known from now on, as a browser is
    return Response(
        {"token": token, "device_id": str(device.public_id)}, status=status.HTTP_201_CREATED
    )


class SignInApi(APIView):
    """Sign in with the account's identifier and password and enroll this device. With two-
    factor on, the answer is a `flow` to finish at `sign-in/second-factor/`."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(request=SignInInput, responses={201: EnrolledOutput})
    def post(self, request: Request) -> Response:
        data = validated(SignInInput, request.data)
        _with_client_key(request, data["device"])
        form = SignInForm(
            data={
                "login": data["login"],
                "password": data["password"],
                "country": data["country"],
                "captcha_0": data["captcha_key"],
                "captcha_1": data["captcha_answer"],
            },
            request=request._request,
        )
        if not form.is_valid():
            errors = form.errors.get_json_data()
            message = (errors.get("__all__") or next(iter(errors.values())))[0]["message"]
            body: dict = {"detail": message}
            if form.person_check:
                # The person proves it with a CAPTCHA (as in a browser), then signs in at once.
                key = new_challenge()
                body["captcha"] = {
                    "key": key,
                    "image_url": request.build_absolute_uri(reverse("captcha-image", args=[key])),
                }
            return Response(body, status=status.HTTP_401_UNAUTHORIZED)
        user: User = form.user  # type: ignore[assignment]
        refusal = standing.sign_in_refusal(user)
        if refusal is not None:
            return json_error(str(refusal), status.HTTP_403_FORBIDDEN)
        methods = methods_without_a_browser(second_factor_methods(user))
        if not methods:
            return _enrolled(request, user, data["device"])
        flow = signing.dumps({"user": user.pk, "device": data["device"]}, salt=FLOW_SALT)
        return Response({"second_factor_required": True, "methods": methods, "flow": flow})


class SecondFactorApi(APIView):
    """Finish a device sign-in: a code from the authenticator app, a recovery code, or an SMS
    code (`"action": "send"` texts one)."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(request=SecondFactorInput, responses={201: EnrolledOutput})
    def post(self, request: Request) -> Response:
        data = validated(SecondFactorInput, request.data)
        expired = field_error("flow", _("This sign-in has expired. Sign in again."))
        try:
            flow = signing.loads(data["flow"], salt=FLOW_SALT, max_age=FLOW_MAX_AGE)
            user = User.objects.get(pk=flow["user"], is_active=True)
        except (signing.BadSignature, User.DoesNotExist, KeyError, TypeError):
            return expired
        # Suspended, banned or asked to reset the password since the first step: signing in
        # again says which.
        if standing.sign_in_refusal(user) is not None:
            return expired
        if data["method"] not in methods_without_a_browser(second_factor_methods(user)):
            return field_error("method", _("Not on for this account."))
        if data["action"] == "send":
            return self.send(request, user, data["method"])
        try:
            verify_second_factor(
                request._request,
                user,
                method=data["method"],
                code=data.get("code") or "",
                step="device_sign_in",
            )
        except SecondFactorRefused as refused:
            if refused.reason == "limited":
                return json_error(refused.message, status.HTTP_429_TOO_MANY_REQUESTS)
            return field_error("code", refused.message)
        return _enrolled(request, user, flow["device"])

    @staticmethod
    def send(request: Request, user: User, method: str) -> Response:
        if method != "sms":
            return field_error("action", _("Only SMS codes are sent."))
        try:
            send_sms_code(user=user, client_ip=client_ip(request._request) or "", purpose="sign_in")
        except ResendTooSoon as wait:
            return json_error(
                _("Wait %(seconds)d seconds before asking again.") % {"seconds": wait.seconds_left},
                status.HTTP_429_TOO_MANY_REQUESTS,
            )
        except (SendLimitReached, NoPhone):
            return json_error(_("No code can be sent now."), status.HTTP_429_TOO_MANY_REQUESTS)
        return Response({"sent": True}, status=status.HTTP_202_ACCEPTED)
