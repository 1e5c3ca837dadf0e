from django.contrib import admin

from cloud.models import CloudAccount


@admin.register(CloudAccount)
class CloudAccountAdmin(admin.ModelAdmin):
    """Staff raise an account's storage quota here; the switches are the person's own."""

    list_display = ["user", "quota_bytes", "settings_version"]
    search_fields = ["user__account_id", "user__email", "user__phone"]
    fields = ["user", "quota_bytes", "settings_version"]
    autocomplete_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):
        # An account's cloud is created here when staff give it a quota before its first use.
        return ["user", "settings_version"] if obj else ["settings_version"]
