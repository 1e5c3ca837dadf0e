"""The signed-in person's devices over the API: the list, one device with its recent commands,
and removing one (with the second factor confirmed)."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from devices.api.base import PortalApi, reauthentication_needed
from devices.api.commands import CommandOutput, owned_device
from devices.enrolment import ConfirmationNeeded, remove_device
from devices.models import Device


class LastLocation(serializers.Serializer):
    lat = serializers.FloatField(source="last_latitude")
    lon = serializers.FloatField(source="last_longitude")
    accuracy = serializers.FloatField(source="last_accuracy")
    battery = serializers.IntegerField(source="last_battery", allow_null=True)
    taken_at = serializers.DateTimeField(source="last_located_at")


class DeviceOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    last_location = serializers.SerializerMethodField()
    erased = serializers.BooleanField(source="is_erased", read_only=True)

    class Meta:
        model = Device
        fields = ["id", *Device.DESCRIPTION, "erased", "last_location"]

    def get_last_location(self, device: Device) -> dict | None:
        if device.last_located_at is None:
            return None
        return LastLocation(device).data


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
        try:
            remove_device(device=device, request=request._request)
        except ConfirmationNeeded:
            return reauthentication_needed(reverse("device_detail", args=[device_id]))
        return Response(status=status.HTTP_204_NO_CONTENT)
