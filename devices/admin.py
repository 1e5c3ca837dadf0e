"""Devices in admin, read-only: staff see what is enrolled and when it was last seen; where it
is only with the separate `devices.view_location` permission; never a token."""

from django.contrib import admin

from accounts.admin import ReadOnlyInline, UserAdmin
from devices.models import Command, Device

BASE_FIELDS = [*Device.DESCRIPTION, "erased_at", "token_revoked_at"]
LOCATION_FIELDS = ["last_latitude", "last_longitude", "last_accuracy", "last_located_at"]


def _fields(request) -> list[str]:
    if request.user.has_perm("devices.view_location"):
        return [*BASE_FIELDS, *LOCATION_FIELDS]
    return BASE_FIELDS


class DeviceInline(ReadOnlyInline):
    model = Device

    def get_fields(self, request, obj=None):
        return _fields(request)

    def get_readonly_fields(self, request, obj=None):
        return _fields(request)


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "model", "platform", "find_device_enabled", "last_seen_at"]
    list_filter = ["platform", "find_device_enabled"]
    search_fields = ["user__account_id", "name"]
    list_select_related = ["user"]

    def get_fields(self, request, obj=None):
        return ["user", *_fields(request)]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class CommandInline(ReadOnlyInline):
    model = Command
    fields = ("created_at", "kind", "state", "finished_at", "result_detail")
    readonly_fields = fields


DeviceAdmin.inlines = [CommandInline]
# The account page in admin lists the account's devices too.
UserAdmin.inlines = [*UserAdmin.inlines, DeviceInline]
