"""Cloud sync APIs: devices read the switches (with an ETag), say they applied them, report
storage and confirm deletions; the signed-in person reads and changes the switches."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from cloud import actions
from cloud.models import Category, DeletionRequest
from devices.api.base import DeviceApi, PortalApi, validated

MAX_BYTES = 10**15  # a petabyte: anything above is a broken report, not a backup

CATEGORY_HELP = ", ".join(category.value for category in Category)


def _known_categories(value: dict) -> dict:
    unknown = [key for key in value if key not in Category.values]
    if unknown:
        raise serializers.ValidationError(
            {
                key: [_("Unknown category. Known: %(known)s.") % {"known": CATEGORY_HELP}]
                for key in unknown
            }
        )
    return value


class UsageInput(serializers.Serializer):
    usage = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=MAX_BYTES),
        allow_empty=False,
        help_text=f"bytes per category ({CATEGORY_HELP})",
    )

    def validate_usage(self, value):
        return _known_categories(value)


class AppliedInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1)


class SwitchesInput(serializers.Serializer):
    categories = serializers.DictField(child=serializers.BooleanField(), allow_empty=False)
    delete = serializers.ListField(
        child=serializers.ChoiceField(choices=Category.values), required=False, default=list
    )

    def validate_categories(self, value):
        return _known_categories(value)


SyncView = inline_serializer(
    "SyncSettings",
    {
        "version": serializers.IntegerField(),
        "categories": serializers.DictField(child=serializers.BooleanField()),
        "deletion_requests": serializers.ListField(child=serializers.DictField()),
    },
)


# --- Device side ---------------------------------------------------------------------------------
class DeviceSyncSettingsApi(DeviceApi):
    """The switches, with an ETag: `If-None-Match` with the same tag gets a 304 that costs one
    database query (the token)."""

    @extend_schema(responses={200: SyncView, 304: None})
    def get(self, request: Request) -> Response:
        user_id = self.device.user_id
        asked = request.headers.get("If-None-Match", "")
        etag = actions.cached_etag(user_id)
        if etag and etag in asked:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        body = actions.device_view(self.device.user)
        etag = actions.etag_for(body)
        actions.remember_etag(user_id, etag)
        if etag in asked:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(body, headers={"ETag": etag})


class DeviceSyncAppliedApi(DeviceApi):
    @extend_schema(request=AppliedInput, responses={204: None})
    def post(self, request: Request) -> Response:
        data = validated(AppliedInput, request.data)
        actions.record_applied(device=self.device, version=data["version"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeviceStorageApi(DeviceApi):
    @extend_schema(
        request=UsageInput,
        responses={
            202: inline_serializer("UsageStored", {"over_quota": serializers.BooleanField()})
        },
    )
    def post(self, request: Request) -> Response:
        data = validated(UsageInput, request.data)
        over = actions.report_usage(device=self.device, usage=data["usage"])
        return Response({"over_quota": over}, status=status.HTTP_202_ACCEPTED)


class DeviceDeletionApi(DeviceApi):
    @extend_schema(request=None, responses={200: None})
    def post(self, request: Request, request_id: int) -> Response:
        if request_id > 2**63 - 1:  # no such row can exist; the database would refuse the number
            raise exceptions.NotFound
        try:
            item = actions.confirm_deletion(device=self.device, request_id=request_id)
        except DeletionRequest.DoesNotExist:
            raise exceptions.NotFound from None
        return Response({"id": item.pk, "category": item.category, "confirmed": True})


# --- Portal side ---------------------------------------------------------------------------------
class SyncSettingsApi(PortalApi):
    @extend_schema(responses=SyncView)
    def get(self, request: Request) -> Response:
        return Response(self.body(request))

    @extend_schema(request=SwitchesInput, responses=SyncView)
    def patch(self, request: Request) -> Response:
        data = validated(SwitchesInput, request.data)
        actions.change_switches(
            user=request.user,
            changes=data["categories"],
            delete=set(data["delete"]),
            request=request._request,
        )
        return Response(self.body(request))

    def body(self, request: Request) -> dict:
        account = actions.cloud_account(request.user)
        return {
            "version": account.settings_version,
            "categories": actions.switches(request.user),
            "used_bytes": actions.used_by_category(request.user),
            "quota_bytes": account.quota,
        }
