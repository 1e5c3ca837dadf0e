"""Accounts in Django admin: find a person by phone, email or account ID and see their consent.

Moderation actions (suspend, ban, reinstate, resets) come with the admin moderation work.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import Consent, User


class ConsentInline(admin.TabularInline):
    model = Consent
    extra = 0
    can_delete = False
    fields = ("terms_version", "privacy_version", "accepted_at", "ip_address", "user_agent")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["account_id", "phone", "email", "status", "is_staff", "date_joined"]
    list_filter = ["status", "is_staff", "is_active", "date_joined"]
    search_fields = ["account_id", "phone", "email"]
    ordering = ["-date_joined"]
    readonly_fields = ["account_id", "date_joined", "last_login"]
    fieldsets = [
        (None, {"fields": ["account_id", "phone", "email", "status", "date_joined", "last_login"]}),
        ("Staff", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
    ]
    filter_horizontal = ["groups"]
    inlines = [ConsentInline]

    def has_add_permission(self, request) -> bool:
        # Accounts are created by their owners (sign-up) or for staff by `manage.py createadmin`.
        return False
