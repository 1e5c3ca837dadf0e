from django.contrib import admin

from cloud.models import CloudAccount


@admin.register(CloudAccount)
class CloudAccountAdmin(admin.ModelAdmin):
    """Staff raise an account's storage quota here; the switches are the person's own."""

    list_display = ["user", "quota_bytes", "settings_version"]
    search_fields = ["user__account_id", "user__email", "user__phone"]
    fields = ["user", "quota_bytes", "settings_version"]
    readonly_fields = ["user", "settings_version"]

    def has_add_permission(self, request) -> bool:
        return False
