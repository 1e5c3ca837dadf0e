"""Staff see each message's outcome and a masked preview; never a code, never the content."""

from django.contrib import admin

from verification.models import OutboundMessage


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "channel", "kind", "to", "status", "attempts", "error_code", "created_at"]
    list_filter = ["channel", "status", "kind"]
    search_fields = ["to", "provider_message_id"]
    fields = (
        "channel",
        "kind",
        "to",
        "subject",
        "preview",
        "status",
        "attempts",
        "provider_message_id",
        "error_code",
        "error_message",
        "created_at",
        "sent_at",
        "delivered_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
