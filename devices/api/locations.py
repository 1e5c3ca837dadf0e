"""A device reports where it is, and turns Find Device on or off."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from devices.api.base import DeviceApi, json_error, validated
from devices.enrolment import set_find_device
from devices.locations import FindDeviceOff, Fix, record_locations


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


class FindDeviceInput(serializers.Serializer):
    enabled = serializers.BooleanField()


def _number(value, low: float, high: float) -> float | None:
    """A JSON number within bounds, as a float; None for anything else."""
    return float(value) if type(value) in (int, float) and low <= value <= high else None


def plain_fixes(data) -> list[Fix] | None:
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
        plain.append(Fix(lat, lon, accuracy, battery, taken))
    return plain


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
                Fix(
                    latitude=fix["lat"],
                    longitude=fix["lon"],
                    accuracy=fix["accuracy"],
                    battery=fix.get("battery"),
                    taken_at=fix["taken_at"],
                )
                for fix in data["locations"]
            ]
        try:
            stored = record_locations(device=self.device, fixes=fixes)
        except FindDeviceOff:
            return json_error(_("Find Device is off on this device."), status.HTTP_409_CONFLICT)
        return Response({"stored": stored}, status=status.HTTP_202_ACCEPTED)


class FindDeviceApi(DeviceApi):
    @extend_schema(request=FindDeviceInput, responses=FindDeviceInput)
    def put(self, request: Request) -> Response:
        data = validated(FindDeviceInput, request.data)
        set_find_device(device=self.device, enabled=data["enabled"], request=request._request)
        return Response({"enabled": self.device.find_device_enabled})

    @extend_schema(responses=FindDeviceInput)
    def get(self, request: Request) -> Response:
        return Response({"enabled": self.device.find_device_enabled})
