"""The Find Device APIs.

Device API, `/api/v1/device/`: a phone signs in and enrolls (with its second factor when the
account has one), then authenticates with `Authorization: Token <token>` (or `Bearer`) to report
locations, poll and answer commands, and turn Find Device on or off.

Portal API, `/api/v1/`: the signed-in person (session and CSRF) lists their devices, issues
commands with an `Idempotency-Key`, follows and cancels them, and removes devices. A device
that is not theirs does not exist for them (404).
"""

from datetime import datetime, timedelta

from allauth.mfa.base.forms import AuthenticateForm
from django.conf import settings
from django.core import signing
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.forms import SignInForm
from accounts.models import User
from accounts.reauth import recently_reauthenticated
from accounts.second_factor import (
    TOO_MANY_CODES,
    CodeError,
    NoPhone,
    ResendTooSoon,
    SendLimitReached,
    check_sms_code,
    limited,
    second_factor_methods,
    send_sms_code,
)
from accounts.security_log import client_ip
from devices import actions
from devices.models import Command, Device
from verification.limits import SmsBlocked, record_block

FLOW_SALT = "devices.sign-in"
FLOW_MAX_AGE = 10 * 60


# --- Authentication ------------------------------------------------------------------------------
class DeviceTokenAuthentication(BaseAuthentication):
    """`Authorization: Token <token>` or `Bearer <token>`; the device row is the only query."""

    keywords = ("token", "bearer")

    def authenticate(self, request):
        parts = request.META.get("HTTP_AUTHORIZATION", "").split()
        if not parts or parts[0].lower() not in self.keywords:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send the header as: Token <token>."))
        device = actions.device_for_token(parts[1])
        if device is None:
            raise exceptions.AuthenticationFailed(_("This token is not valid or was revoked."))
        # The account is read only by the views that need it.
        return SimpleLazyObject(lambda: device.user), device

    def authenticate_header(self, request) -> str:
        return 'Token realm="device"'


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = DeviceTokenAuthentication
    name = "deviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>` (or `Bearer <token>`) as returned by sign-in.",
        }


class IsDevice(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, Device)


class DeviceApi(APIView):
    authentication_classes = [DeviceTokenAuthentication]
    permission_classes = [IsDevice]
    # Phones read JSON; the browsable API's HTML is for people.
    renderer_classes = [JSONRenderer]

    @property
    def device(self) -> Device:
        return self.request.auth  # type: ignore[return-value]


class PortalApi(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]


def validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- Serializers ---------------------------------------------------------------------------------
class DeviceInfo(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    model = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    platform = serializers.ChoiceField(choices=Device.Platform.choices, default="other")
    hardware_id = serializers.CharField(min_length=8, max_length=200)


class SignInInput(serializers.Serializer):
    login = serializers.CharField(max_length=254, help_text="Phone number, email or account ID")
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    country = serializers.CharField(max_length=2, required=False, default="")
    device = DeviceInfo()


class SecondFactorInput(serializers.Serializer):
    flow = serializers.CharField(max_length=2000)
    method = serializers.ChoiceField(choices=["app", "sms"])
    code = serializers.CharField(max_length=32, required=False, allow_blank=True)
    action = serializers.ChoiceField(choices=["verify", "send"], default="verify")


class EnrolledOutput(serializers.Serializer):
    token = serializers.CharField()
    device_id = serializers.UUIDField()


class FixInput(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lon = serializers.FloatField(min_value=-180, max_value=180)
    accuracy = serializers.FloatField(min_value=0, max_value=100_000, help_text="metres")
    battery = serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True)
    taken_at = serializers.DateTimeField()

    def validate_taken_at(self, value):
        problem = taken_at_problem(value, timezone.now())
        if problem:
            raise serializers.ValidationError(problem)
        return value


def taken_at_problem(value: datetime, now: datetime) -> str:
    if value > now + timedelta(minutes=5):
        return _("This time is in the future.")
    if value < now - timedelta(days=settings.LOCATION_RETENTION_DAYS):
        return _("This time is older than the location history.")
    return ""


class LocationsInput(serializers.Serializer):
    locations = FixInput(many=True, allow_empty=False, max_length=500)


def _number(value, low: float, high: float) -> float | None:
    """A JSON number within bounds, as a float; None for anything else."""
    return float(value) if type(value) in (int, float) and low <= value <= high else None


def plain_fixes(data) -> list[actions.Fix] | None:
    """The batch, when every fix in it is plainly valid (numbers as numbers, times as ISO 8601
    with an offset); None otherwise, and `LocationsInput` then says what is wrong.

    Phones report all day: checking a plain batch by hand costs a fraction of the serializer,
    which stays the definition (and the schema) of what is valid."""
    fixes = data.get("locations") if isinstance(data, dict) else None
    if not isinstance(fixes, list) or not 0 < len(fixes) <= 500:
        return None
    now = timezone.now()
    plain = []
    for fix in fixes:
        if not isinstance(fix, dict):
            return None
        lat = _number(fix.get("lat"), -90, 90)
        lon = _number(fix.get("lon"), -180, 180)
        accuracy = _number(fix.get("accuracy"), 0, 100_000)
        battery, taken_at = fix.get("battery"), fix.get("taken_at")
        if (
            lat is None
            or lon is None
            or accuracy is None
            or not (battery is None or (type(battery) is int and 0 <= battery <= 100))
            or not isinstance(taken_at, str)
        ):
            return None
        try:
            taken = parse_datetime(taken_at)
        except ValueError:
            return None
        if taken is None or taken.tzinfo is None or taken_at_problem(taken, now):
            return None
        plain.append(actions.Fix(lat, lon, accuracy, battery, taken))
    return plain


class CommandOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    device_id = serializers.UUIDField(source="device.public_id", read_only=True)
    detail = serializers.CharField(source="result_detail", read_only=True)

    class Meta:
        model = Command
        fields = [
            "id",
            "device_id",
            "kind",
            "state",
            "payload",
            "created_at",
            "expires_at",
            "delivered_at",
            "finished_at",
            "detail",
        ]


class ResultInput(serializers.Serializer):
    result = serializers.ChoiceField(choices=["succeeded", "failed"])
    detail = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class FindDeviceInput(serializers.Serializer):
    enabled = serializers.BooleanField()


class CommandInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Command.Kind.choices)
    message = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["kind"] == Command.Kind.LOCK:
            problem = actions.lock_problem(attrs["message"].strip(), attrs["phone"].strip())
            if problem is not None:
                raise serializers.ValidationError({problem[0]: problem[1]})
        return attrs


class LastLocation(serializers.Serializer):
    lat = serializers.FloatField(source="last_latitude")
    lon = serializers.FloatField(source="last_longitude")
    accuracy = serializers.FloatField(source="last_accuracy")
    battery = serializers.IntegerField(source="last_battery", allow_null=True)
    taken_at = serializers.DateTimeField(source="last_located_at")


class DeviceOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    last_location = serializers.SerializerMethodField()
    erased = serializers.SerializerMethodField()

    class Meta:
        model = Device
        fields = [
            "id",
            "name",
            "model",
            "platform",
            "find_device_enabled",
            "enrolled_at",
            "last_seen_at",
            "erased",
            "last_location",
        ]

    def get_last_location(self, device: Device) -> dict | None:
        if device.last_located_at is None:
            return None
        return LastLocation(device).data

    def get_erased(self, device: Device) -> bool:
        return device.erased_at is not None


# --- Device sign-in ------------------------------------------------------------------------------
def _enrolled(request: Request, user: User, device_info: dict) -> Response:
    try:
        device, token = actions.enroll_device(user=user, request=request._request, **device_info)
    except actions.ActivationLocked:
        return Response(
            {"detail": _("This device is locked to another account. Its owner must remove it.")},
            status=status.HTTP_409_CONFLICT,
        )
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
        form = SignInForm(
            data={"login": data["login"], "password": data["password"], "country": data["country"]},
            request=request._request,
        )
        if not form.is_valid():
            errors = form.errors.get_json_data()
            message = (errors.get("__all__") or next(iter(errors.values())))[0]["message"]
            return Response({"detail": message}, status=status.HTTP_401_UNAUTHORIZED)
        user: User = form.user  # type: ignore[assignment]
        if user.is_restricted:
            return Response(
                {
                    "detail": _("This account is banned.")
                    if user.status == User.Status.BANNED
                    else _("This account is suspended.")
                },
                status=status.HTTP_403_FORBIDDEN,
            )
        if user.must_reset_password:
            return Response(
                {"detail": _("Choose a new password first: use Forgot password? on the web.")},
                status=status.HTTP_403_FORBIDDEN,
            )
        methods = second_factor_methods(user)
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
        expired = Response(
            {"flow": [_("This sign-in has expired. Sign in again.")]},
            status=status.HTTP_400_BAD_REQUEST,
        )
        try:
            flow = signing.loads(data["flow"], salt=FLOW_SALT, max_age=FLOW_MAX_AGE)
            user = User.objects.get(pk=flow["user"], is_active=True)
        except (signing.BadSignature, User.DoesNotExist, KeyError, TypeError):
            return expired
        # Suspended, banned or asked to reset the password since the first step: signing in
        # again says which.
        if user.is_restricted or user.must_reset_password:
            return expired
        if data["method"] not in second_factor_methods(user):
            return Response({"method": [_("Not on for this account.")]}, status=400)
        if data["action"] == "send":
            if data["method"] != "sms":
                return Response({"action": [_("Only SMS codes are sent.")]}, status=400)
            try:
                send_sms_code(
                    user=user, client_ip=client_ip(request._request) or "", purpose="sign_in"
                )
            except ResendTooSoon as wait:
                return Response(
                    {
                        "detail": _("Wait %(seconds)d seconds before asking again.")
                        % {"seconds": wait.seconds_left}
                    },
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                )
            except (SendLimitReached, NoPhone) as error:
                if isinstance(error, SmsBlocked):
                    record_block(error, ip=client_ip(request._request))
                return Response({"detail": _("No code can be sent now.")}, status=429)
            return Response({"sent": True}, status=status.HTTP_202_ACCEPTED)
        code = (data.get("code") or "").replace(" ", "")
        refusal = self.refusal(user, data["method"], code)
        if refusal is not None:
            return refusal
        return _enrolled(request, user, flow["device"])

    def refusal(self, user: User, method: str, code: str) -> Response | None:
        """None when the code is right; else the answer to give."""
        wrong = Response({"code": [_("That code isn't right.")]}, status=400)
        if method == "sms" and len(code) == 6:
            try:
                check_sms_code(user=user, code=code, purpose="sign_in")
            except CodeError:
                return wrong
            return None
        # Authenticator-app codes, and recovery codes with either method: allauth's check, with
        # its limit of tries per account and per IP (ACCOUNT_RATE_LIMITS).
        form = AuthenticateForm(user=user, data={"code": code})
        if form.is_valid():
            form.authenticator.record_usage()
            return None
        if limited(form):
            return Response({"detail": TOO_MANY_CODES}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        return wrong


# --- Device API ----------------------------------------------------------------------------------
class LocationsApi(DeviceApi):
    @extend_schema(
        request=LocationsInput,
        responses={202: inline_serializer("Accepted", {"stored": serializers.IntegerField()})},
    )
    def post(self, request: Request) -> Response:
        fixes = plain_fixes(request.data)
        if fixes is None:
            data = validated(LocationsInput, request.data)
            fixes = [
                actions.Fix(
                    latitude=fix["lat"],
                    longitude=fix["lon"],
                    accuracy=fix["accuracy"],
                    battery=fix.get("battery"),
                    taken_at=fix["taken_at"],
                )
                for fix in data["locations"]
            ]
        try:
            stored = actions.record_locations(device=self.device, fixes=fixes)
        except actions.FindDeviceOff:
            return Response(
                {"detail": _("Find Device is off on this device.")}, status=status.HTTP_409_CONFLICT
            )
        return Response({"stored": stored}, status=status.HTTP_202_ACCEPTED)


class PendingCommandsApi(DeviceApi):
    @extend_schema(responses=CommandOutput(many=True))
    def get(self, request: Request) -> Response:
        actions.note_seen(self.device)
        commands = actions.open_commands_for(self.device)
        return Response(CommandOutput(commands, many=True).data if commands else [])


class AcknowledgeApi(DeviceApi):
    @extend_schema(request=None, responses=CommandOutput)
    def post(self, request: Request, command_id) -> Response:
        try:
            command = actions.acknowledge(device=self.device, command_id=command_id)
        except Command.DoesNotExist:
            raise exceptions.NotFound from None
        return Response(CommandOutput(command).data)


class ResultApi(DeviceApi):
    @extend_schema(request=ResultInput, responses=CommandOutput)
    def post(self, request: Request, command_id) -> Response:
        data = validated(ResultInput, request.data)
        try:
            command = actions.report_result(
                device=self.device,
                command_id=command_id,
                succeeded=data["result"] == "succeeded",
                detail=data["detail"],
            )
        except Command.DoesNotExist:
            raise exceptions.NotFound from None
        except actions.CommandConflict:
            return Response(
                {"detail": _("This command already has another result, or is no longer open.")},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(CommandOutput(command).data)


class FindDeviceApi(DeviceApi):
    @extend_schema(request=FindDeviceInput, responses=FindDeviceInput)
    def put(self, request: Request) -> Response:
        data = validated(FindDeviceInput, request.data)
        actions.set_find_device(
            device=self.device, enabled=data["enabled"], request=request._request
        )
        return Response({"enabled": self.device.find_device_enabled})

    @extend_schema(responses=FindDeviceInput)
    def get(self, request: Request) -> Response:
        return Response({"enabled": self.device.find_device_enabled})


# --- Portal API ----------------------------------------------------------------------------------
def owned_device(user, device_id) -> Device:
    return get_object_or_404(Device.objects.select_related("user"), public_id=device_id, user=user)


def reauthentication_needed(request: Request, next_url: str) -> Response:
    url = reverse("reauthenticate") + "?" + urlencode({"factor": "2", "next": next_url})
    return Response(
        {
            "detail": _("Confirm it's you first."),
            "code": "reauthentication_required",
            "reauthenticate_url": url,
        },
        status=status.HTTP_403_FORBIDDEN,
    )


class DevicesApi(PortalApi):
    @extend_schema(responses=DeviceOutput(many=True))
    def get(self, request: Request) -> Response:
        devices = Device.objects.filter(user=request.user).order_by("-last_seen_at", "name")
        return Response(DeviceOutput(devices, many=True).data)


class DeviceDetailApi(PortalApi):
    @extend_schema(responses=DeviceOutput)
    def get(self, request: Request, device_id) -> Response:
        device = owned_device(request.user, device_id)
        body = DeviceOutput(device).data
        recent = device.commands.order_by("-created_at")[:10]
        body["commands"] = CommandOutput(recent, many=True).data
        return Response(body)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, device_id) -> Response:
        device = owned_device(request.user, device_id)
        if not recently_reauthenticated(request._request, second_factor=True):
            return reauthentication_needed(request, reverse("device_detail", args=[device_id]))
        actions.remove_device(device=device, request=request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeviceCommandsApi(PortalApi):
    @extend_schema(
        request=CommandInput,
        responses={202: CommandOutput},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
    )
    def post(self, request: Request, device_id) -> Response:
        device = owned_device(request.user, device_id)
        data = validated(CommandInput, request.data)
        if device.erased_at is not None:
            return Response(
                {"detail": _("This device was erased: it takes no more commands.")},
                status=status.HTTP_409_CONFLICT,
            )
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 80:
            return Response({"Idempotency-Key": ["At most 80 characters."]}, status=400)
        if data["kind"] == Command.Kind.ERASE and not recently_reauthenticated(
            request._request, second_factor=True
        ):
            return reauthentication_needed(request, reverse("device_detail", args=[device_id]))
        payload = {}
        if data["kind"] == Command.Kind.LOCK:
            payload = {"message": data["message"].strip(), "phone": data["phone"].strip()}
        try:
            command, created = actions.issue_command(
                device=device,
                by=request.user,
                kind=data["kind"],
                payload=payload,
                idempotency_key=key,
                request=request._request,
            )
        except actions.KeyUsedElsewhere:
            return Response(
                {"Idempotency-Key": [_("This key was used for a different command.")]},
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return Response(
            CommandOutput(command).data,
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
        )


class CommandDetailApi(PortalApi):
    @extend_schema(responses=CommandOutput)
    def get(self, request: Request, command_id) -> Response:
        command = get_object_or_404(
            Command.objects.select_related("device"),
            public_id=command_id,
            device__user=request.user,
        )
        return Response(CommandOutput(command).data)


class CancelCommandApi(PortalApi):
    @extend_schema(request=None, responses=CommandOutput)
    def post(self, request: Request, command_id) -> Response:
        command = get_object_or_404(
            Command.objects.select_related("device__user"),
            public_id=command_id,
            device__user=request.user,
        )
        try:
            actions.cancel_command(command=command, request=request._request)
        except actions.CommandConflict:
            return Response(
                {"detail": _("Only a pending command can be cancelled.")},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(CommandOutput(command).data)
