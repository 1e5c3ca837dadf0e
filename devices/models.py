"""Devices signed in to an account, where they have been, and the commands sent to them."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Device(models.Model):
    """A phone or tablet enrolled with an account. Its token and hardware identifier are kept
    only as keyed hashes. An erased device stays bound to the account (activation lock) until
    the owner removes it."""

    class Platform(models.TextChoices):
        ANDROID = "android", "Android"
        IOS = "ios", "iOS"
        OTHER = "other", _("Other")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices"
    )
    name = models.CharField(max_length=80)
    model = models.CharField(max_length=80, blank=True)
    platform = models.CharField(max_length=16, choices=Platform.choices, default=Platform.OTHER)
    hardware_id_hash = models.CharField(max_length=64, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    token_issued_at = models.DateTimeField(default=timezone.now)
    token_revoked_at = models.DateTimeField(null=True, blank=True)
    find_device_enabled = models.BooleanField(default=True)
    enrolled_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    # Commands not yet finished: polling reads this from the device row it already loaded,
    # so a poll with nothing pending costs no query of its own.
    open_commands = models.PositiveIntegerField(default=0)
    # The newest location, copied here so lists show it without a query per device.
    last_latitude = models.FloatField(null=True, blank=True)
    last_longitude = models.FloatField(null=True, blank=True)
    last_accuracy = models.FloatField(null=True, blank=True)
    last_battery = models.PositiveSmallIntegerField(null=True, blank=True)
    last_located_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [("view_location", "Can see where a device is")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "hardware_id_hash"], name="one_device_per_hardware_per_account"
            )
        ]

    # What describes a device to its owner and to staff (the API and admin show these).
    DESCRIPTION = (
        "name",
        "model",
        "platform",
        "find_device_enabled",
        "enrolled_at",
        "last_seen_at",
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @property
    def is_erased(self) -> bool:
        """Erased (an Erase it reported done): it takes no more commands, and its hardware
        stays locked to this account until the device is removed."""
        return self.erased_at is not None


class Location(models.Model):
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="locations")
    latitude = models.FloatField()
    longitude = models.FloatField()
    accuracy = models.FloatField(help_text="metres")
    battery = models.PositiveSmallIntegerField(null=True, blank=True)
    taken_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # A report sent twice (a retry, or twice in one batch) is stored once.
            models.UniqueConstraint(fields=["device", "taken_at"], name="one_location_per_instant")
        ]
        indexes = [models.Index(fields=["taken_at"])]

    def __str__(self) -> str:
        return f"{self.device} at {timezone.localtime(self.taken_at):%Y-%m-%d %H:%M}"


class Command(models.Model):
    class Kind(models.TextChoices):
        LOCATE = "locate", _("Locate")
        RING = "ring", _("Ring")
        LOCK = "lock", _("Lock")
        ERASE = "erase", _("Erase")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (State.PENDING, State.DELIVERED)
    # Locate and ring are pointless later; lock and erase wait for the device to check in.
    LIFETIME = {Kind.LOCATE: timedelta(minutes=10), Kind.RING: timedelta(minutes=10)}

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="commands")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    payload = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    idempotency_key = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result_detail = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["requested_by", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="one_command_per_idempotency_key",
            ),
            # A command has a result exactly when it is closed: one result, set once.
            models.CheckConstraint(
                condition=(
                    models.Q(state__in=["pending", "delivered"], finished_at__isnull=True)
                    | (
                        ~models.Q(state__in=["pending", "delivered"])
                        & models.Q(finished_at__isnull=False)
                    )
                ),
                name="finished_exactly_when_closed",
            ),
        ]
        indexes = [
            models.Index(fields=["device", "state"]),
            models.Index(fields=["state", "expires_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.device} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN
