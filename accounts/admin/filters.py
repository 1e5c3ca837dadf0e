"""The account list's filters: two-factor, verified contact, last sign-in."""

from datetime import timedelta
from typing import TYPE_CHECKING

from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    pass


class TwoFactorFilter(admin.SimpleListFilter):
    title = _("two-factor")
    parameter_name = "two_factor"

    def lookups(self, request, model_admin):
        return [("on", _("On")), ("off", _("Off"))]

    def queryset(self, request, queryset):
        on = Q(has_app=True) | Q(has_sms=True)
        if self.value() == "on":
            return queryset.filter(on)
        if self.value() == "off":
            return queryset.exclude(on)
        return queryset


class VerifiedFilter(admin.SimpleListFilter):
    title = _("verified contact")
    parameter_name = "verified"

    def lookups(self, request, model_admin):
        return [("phone", _("Phone")), ("email", _("Email")), ("both", _("Phone and email"))]

    def queryset(self, request, queryset):
        # Sign-up proves the phone or email; a sign-in email is proven by its EmailAddress row.
        email = Q(email_verified=True)
        if self.value() == "phone":
            return queryset.filter(phone__isnull=False)
        if self.value() == "email":
            return queryset.filter(email)
        if self.value() == "both":
            return queryset.filter(email, phone__isnull=False)
        return queryset


class LastSignInFilter(admin.SimpleListFilter):
    title = _("last sign-in")
    parameter_name = "signed_in"

    def lookups(self, request, model_admin):
        return [
            ("1", _("Today")),
            ("7", _("Past 7 days")),
            ("30", _("Past 30 days")),
            ("never", _("Never")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "never":
            return queryset.filter(last_login__isnull=True)
        value = self.value()
        if value in ("1", "7", "30"):
            since = timezone.now() - timedelta(days=int(value))
            return queryset.filter(last_login__gte=since)
        return queryset
