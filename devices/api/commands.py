"""Commands over the API: the signed-in person issues, follows and cancels them (session); the
device polls for them, acknowledges them and reports their result (token). The rules are
devices.commands'."""

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from devices import commands
from devices.api.base import (
    DeviceApi,
    PortalApi,
    field_error,
    json_error,
    reauthentication_needed,
    validated,
)
from devices.last_seen import note_seen
from devices.models import Command, Device


class CommandOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    device_id = serializers.UUIDField(source="device.public_id", read_only=True)
    detail = serializers.CharField(source="result_detail", read_only=True)
    state = serializers.SerializerMethodField()

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

    @extend_schema_field(serializers.ChoiceField(choices=Command.State.choices))
    def get_state(self, command: Command) -> str:
        """As the device page shows it: past its expiry, "expired" (devices.commands.progress)."""
        return commands.progress(command).state


class CommandInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Command.Kind.choices)
    message = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")


class ResultInput(serializers.Serializer):
    result = serializers.ChoiceField(choices=["succeeded", "failed"])
    detail = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


def owned_device(user, device_id) -> Device:
    device = Device.objects.select_related("user").filter(public_id=device_id, user=user).first()
    if device is None:
        raise exceptions.NotFound(_("No such device on your account."))
    return device


def owned_command(user, command_id, *related: str) -> Command:
    command = (
        Command.objects.select_related(*related)
        .filter(public_id=command_id, device__user=user)
        .first()
    )
    if command is None:
        raise exceptions.NotFound(_("No such command on your account."))
    return command


# --- The person's side ---------------------------------------------------------------------------
class DeviceCommandsApi(PortalApi):
    @extend_schema(
        request=CommandInput,
        responses={202: CommandOutput},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
    )
    def post(self, request: Request, device_id) -> Response:
        device = owned_device(request.user, device_id)
        data = validated(CommandInput, request.data)
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 80:
            return field_error("Idempotency-Key", _("At most 80 characters."))
        try:
            command, created = commands.issue_command(
                device=device,
                by=request.user,
                kind=data["kind"],
                payload={"message": data["message"], "phone": data["phone"]},
                idempotency_key=key,
                request=request._request,
            )
        except commands.CommandRefused as refused:
            if refused.reason == "confirm":
                return reauthentication_needed(reverse("device_detail", args=[device_id]))
            return json_error(
                _("This device was erased: it takes no more commands."), status.HTTP_409_CONFLICT
            )
        except commands.BadPayload as bad:
            return field_error(bad.field, bad.message)
        except commands.KeyUsedElsewhere:
            return field_error(
                "Idempotency-Key",
                _("This key was used for a different command."),
                status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return Response(
            CommandOutput(command).data,
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
        )


class CommandDetailApi(PortalApi):
    @extend_schema(responses=CommandOutput)
    def get(self, request: Request, command_id) -> Response:
        command = owned_command(request.user, command_id, "device")
        return Response(CommandOutput(command).data)


class CancelCommandApi(PortalApi):
    @extend_schema(request=None, responses=CommandOutput)
    def post(self, request: Request, command_id) -> Response:
        command = owned_command(request.user, command_id, "device__user")
        try:
            commands.cancel_command(command=command, request=request._request)
        except commands.CommandConflict:
            return json_error(
                _("Only a pending command can be cancelled."), status.HTTP_409_CONFLICT
            )
        return Response(CommandOutput(command).data)


# --- The device's side ---------------------------------------------------------------------------
class PendingCommandsApi(DeviceApi):
    @extend_schema(responses=CommandOutput(many=True))
    def get(self, request: Request) -> Response:
        note_seen(self.device)
        pending = commands.open_commands_for(self.device)
        return Response(CommandOutput(pending, many=True).data if pending else [])


class AcknowledgeApi(DeviceApi):
    @extend_schema(request=None, responses=CommandOutput)
    def post(self, request: Request, command_id) -> Response:
        try:
            command = commands.acknowledge(device=self.device, command_id=command_id)
        except Command.DoesNotExist:
            raise exceptions.NotFound from None
        return Response(CommandOutput(command).data)


class ResultApi(DeviceApi):
    @extend_schema(request=ResultInput, responses=CommandOutput)
    def post(self, request: Request, command_id) -> Response:
        data = validated(ResultInput, request.data)
        try:
            command = commands.report_result(
                device=self.device,
                command_id=command_id,
                succeeded=data["result"] == "succeeded",
                detail=data["detail"],
            )
        except Command.DoesNotExist:
            raise exceptions.NotFound from None
        except commands.CommandConflict:
            return json_error(
                _("This command already has another result, or is no longer open."),
                status.HTTP_409_CONFLICT,
            )
        return Response(CommandOutput(command).data)
