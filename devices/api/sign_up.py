"""A phone creates the account from its own settings app (SPEC 13), with the sign-up page's
steps, forms, functions and limits, answered in JSON:

1. `POST sign-up/captcha/`: a CAPTCHA picture to show, and the terms' versions and pages.
2. `POST sign-up/code/`: where the code goes (a phone number or an email) and the CAPTCHA's
   answer; the code is sent as the page sends it (`send_signup_code`: the same cooldown and
   send budgets, shared with the page). The answer carries a `signup` handle, signed, naming
   where the code went (the page keeps that in its session).
3. `POST sign-up/`: the code, the password twice, consent to the terms' version shown and the
   phone's time zone (optional); the account is made as the page makes it (`create_account`)
   and this phone is enrolled and gets its token.
"""

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import time_zones
from accounts.actions.signup import (
    CODE_ERRORS,
    CodeError,
    DestinationTaken,
    create_account,
    send_signup_code,
)
from accounts.forms import CreateAccountForm, SendCodeForm, new_challenge
from accounts.phones import display
from accounts.rules.second_factor import ResendTooSoon, SendLimitReached
from accounts.views.common import send_error
from devices.api.base import field_error, json_error, validated
from devices.api.sign_in import DeviceInfo, EnrolledOutput, _enrolled

SIGNUP_SALT = "devices.sign-up"
METHODS = {"phone": "sms", "email": "email"}
# The form fields of the page, as the API names them.
FIELD_NAMES = {"captcha": "captcha_answer", "__all__": "detail"}


class CaptchaOutput(serializers.Serializer):
    captcha_key = serializers.CharField()
    image_url = serializers.URLField()
    terms_version = serializers.CharField()
    terms_url = serializers.URLField()
    privacy_url = serializers.URLField()


class SendCodeInput(serializers.Serializer):
    method = serializers.ChoiceField(choices=list(METHODS))
    country = serializers.CharField(max_length=2, required=False, default="")
    phone = serializers.CharField(max_length=32, required=False, default="")
    email = serializers.CharField(max_length=254, required=False, default="")
    captcha_key = serializers.CharField(max_length=64)
    captcha_answer = serializers.CharField(max_length=32, allow_blank=True)
    signup = serializers.CharField(
        max_length=2000,
        required=False,
        default="",
        help_text="For a new code to the same number or address: the handle the last one gave",
    )


class SentOutput(serializers.Serializer):
    signup = serializers.CharField(help_text="Send it back with the code")
    sent_to = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds the code lasts")


class CreateAccountInput(serializers.Serializer):
    signup = serializers.CharField(max_length=2000)
    code = serializers.CharField(max_length=32, allow_blank=True)
    password1 = serializers.CharField(max_length=4096, trim_whitespace=False, allow_blank=True)
    password2 = serializers.CharField(max_length=4096, trim_whitespace=False, allow_blank=True)
    terms = serializers.BooleanField(help_text="The person agreed to the terms and privacy policy")
    terms_version = serializers.CharField(max_length=32, help_text="The version they were shown")
    time_zone = serializers.CharField(
        max_length=64,
        required=False,
        default="",
        allow_blank=True,
        help_text="The phone's time zone, an IANA name such as Asia/Kolkata: the account's "
        "pages and notices write times in it (UTC when left out)",
    )
    device = DeviceInfo()

    def validate_time_zone(self, value: str) -> str:
        if value and not time_zones.valid(value):
            raise serializers.ValidationError(
                _("This is not a time zone name we know. Send an IANA name, such as Asia/Kolkata.")
            )
        return value


class CreatedOutput(EnrolledOutput):
    account_id = serializers.CharField()


def form_errors(form) -> Response:
    """The page's form errors, each under the API's name of its field."""
    errors = {
        FIELD_NAMES.get(field, field): [item["message"] for item in items]
        for field, items in form.errors.get_json_data().items()
    }
    return Response(errors, status=status.HTTP_400_BAD_REQUEST)


class CaptchaApi(APIView):
    """A CAPTCHA to show before "Send code", and the terms the person will agree to."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(request=None, responses={201: CaptchaOutput})
    def post(self, request: Request) -> Response:
        key = new_challenge()
        return Response(
            {
                "captcha_key": key,
                "image_url": request.build_absolute_uri(reverse("captcha-image", args=[key])),
                "terms_version": settings.TERMS_VERSION,
                "terms_url": request.build_absolute_uri(reverse("legal_terms")),
                "privacy_url": request.build_absolute_uri(reverse("legal_privacy")),
            },
            status=status.HTTP_201_CREATED,
        )


class SendCodeApi(APIView):
    """Send the sign-up code, as the page's "Send code" does."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(request=SendCodeInput, responses={202: SentOutput})
    def post(self, request: Request) -> Response:
        data = validated(SendCodeInput, request.data)
        channel = METHODS[data["method"]]
        typed = {"country": data["country"], "phone": data["phone"]}
        if channel == "email":
            typed = {"email": data["email"]}
        form = SendCodeForm(
            {**typed, "captcha_0": data["captcha_key"], "captcha_1": data["captcha_answer"]},
            channel=channel,
        )
        if not form.is_valid():
            return form_errors(form)
        destination = form.cleaned_data["destination"]
        earlier = _pending(data["signup"]) if data["signup"] else {}
        try:
            record = send_signup_code(
                channel=channel,
                destination=destination,
                client_ip=get_adapter(request._request).get_client_ip(request._request),
                previous_id=earlier.get("code_id")
                if earlier.get("destination") == destination
                else None,
                language=get_language(),
            )
        except (ResendTooSoon, SendLimitReached) as error:
            return json_error(send_error(error), status.HTTP_429_TOO_MANY_REQUESTS)
        handle = signing.dumps(
            {"channel": channel, "destination": destination, "code_id": record.pk},
            salt=SIGNUP_SALT,
        )
        return Response(
            {
                "signup": handle,
                "sent_to": display(destination) if channel == "sms" else destination,
                "expires_in": settings.VERIFICATION_CODE_TTL,
            },
            status=status.HTTP_202_ACCEPTED,
        )


def _pending(handle: str) -> dict:
    try:
        return signing.loads(
            handle, salt=SIGNUP_SALT, max_age=settings.VERIFICATION_CODE_TTL + 10 * 60
        )
    except signing.BadSignature:
        return {}


class CreateAccountApi(APIView):
    """Create the account with the code, a password and consent, and enroll this phone."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(request=CreateAccountInput, responses={201: CreatedOutput})
    def post(self, request: Request) -> Response:
        data = validated(CreateAccountInput, request.data)
        pending = _pending(data["signup"])
        if not pending:
            return field_error("signup", _("This sign-up has expired. Ask for a new code."))
        if data["terms"] and data["terms_version"] != settings.TERMS_VERSION:
            return field_error(
                "terms_version", _("The terms have changed. Show them again, then agree.")
            )
        form = CreateAccountForm(
            {
                "code": data["code"],
                "password1": data["password1"],
                "password2": data["password2"],
                "terms": "on" if data["terms"] else "",
            },
            channel=pending["channel"],
            destination=pending["destination"],
        )
        if not form.is_valid():
            return form_errors(form)
        try:
            user = create_account(
                channel=pending["channel"],
                destination=pending["destination"],
                code_id=pending["code_id"],
                code=form.cleaned_data["code"],
                password=form.cleaned_data["password1"],
                client_ip=get_adapter(request._request).get_client_ip(request._request),
                user_agent=request.headers.get("User-Agent", ""),
                language=get_language(),
                time_zone=data["time_zone"],
            )
        except CodeError as error:
            return field_error("code", CODE_ERRORS[error.reason])
        except DestinationTaken:
            return field_error("code", CODE_ERRORS["used"])
        enrolled = _enrolled(request, user, data["device"])
        if enrolled.status_code == status.HTTP_201_CREATED:
            enrolled.data["account_id"] = user.account_id
        return enrolled
