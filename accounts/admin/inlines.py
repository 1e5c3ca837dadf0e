"""What admin shows under an account, read-only: its consents, security log and moderation log."""

from typing import TYPE_CHECKING

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.models import Consent, ModerationAction, SecurityEvent

if TYPE_CHECKING:
    pass


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ConsentInline(ReadOnlyInline):
    model = Consent
    fields = (
        "terms_version",
        "privacy_version",
        "accepted_at",
        "ip_address",
        "user_agent",
    )
    readonly_fields = fields


class SecurityEventInline(ReadOnlyInline):
    model = SecurityEvent
    fields = (
        "created_at",
        "kind",
        "detail",
        "ip_address",
        "user_agent",
    )
    readonly_fields = fields
    ordering = ["-created_at", "-id"]
    verbose_name_plural = _("security log (newest first)")


class ModerationActionInline(ReadOnlyInline):
    model = ModerationAction
    fk_name = "user"
    fields = (
        "created_at",
        "action",
        "actor",
        "reason",
        "shared_with_user",
        "suspended_until",
    )
    readonly_fields = fields
    verbose_name_plural = _("moderation log")
