"""Cloud sync: what each account backs up (one switch per category), the storage its devices
report, and requests to delete what is stored for a category."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    GALLERY = "gallery", _("Gallery")
    CONTACTS = "contacts", _("Contacts")
    MESSAGES = "messages", _("Messages")
    CALL_HISTORY = "call_history", _("Call history")
    NOTES = "notes", _("Notes")
    RECORDER = "recorder", _("Recorder")
    CALENDAR = "calendar", _("Calendar")
    WIFI = "wifi", _("Wi-Fi")
    BROWSER = "browser", _("Browser")


ON_AT_FIRST = {Category.CONTACTS, Category.MESSAGES, Category.CALL_HISTORY, Category.NOTES}


class CloudAccount(models.Model):
    """The account's cloud: its quota, and a version that changes with every switch."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cloud"
    )
    quota_bytes = models.BigIntegerField(default=0, help_text="0 means the default quota")
    settings_version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"Cloud of {self.user}"

    @property
    def quota(self) -> int:
        return self.quota_bytes or settings.CLOUD_DEFAULT_QUOTA_BYTES


class SyncSwitch(models.Model):
    """A category the person switched; categories never switched keep their first state."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=16, choices=Category.choices)
    enabled = models.BooleanField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "category"], name="one_switch_per_category")
        ]

    def __str__(self) -> str:
        return f"{self.category} {'on' if self.enabled else 'off'}"


class StorageUse(models.Model):
    """Bytes one device keeps in the cloud for one category, as it last reported."""

    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=16, choices=Category.choices)
    bytes_used = models.BigIntegerField()
    reported_at = models.DateTimeField(default=timezone.now)
    # The account was over its quota with this report: kept all the same, never lost.
    over_quota = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "category"], name="one_use_per_category")
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.bytes_used} bytes"


class DeletionRequest(models.Model):
    """The person turned a category off and chose to delete what is stored for it; devices
    see it, and the category's usage drops to zero once one confirms the deletion."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=16, choices=Category.choices)
    requested_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"delete {self.category}"


class DeviceSyncState(models.Model):
    """The settings version a device says it has applied."""

    device = models.OneToOneField("devices.Device", on_delete=models.CASCADE, related_name="+")
    applied_version = models.PositiveIntegerField()
    applied_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"applied version {self.applied_version}"
