"""Verification codes, outbound messages and the dev outbox."""

import json

from django.db import models
from django.utils import timezone

from config import crypto


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"


class VerificationCode(models.Model):
    """One code sent to one destination for one purpose. Only a keyed hash of the code is kept.

    A resend replaces the code but keeps the record, so the failure count survives it.
    """

    class Purpose(models.TextChoices):
        SIGNUP = "signup", "Sign-up"
        PASSWORD_RESET = "password_reset", "Password reset"
        CONTACT = "contact", "Recovery contact"
        REAUTHENTICATION = "reauthentication", "Re-authentication"

    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    destination = models.CharField(max_length=254)
    code_hash = models.CharField(max_length=64)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    send_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} code #{self.pk}"


class OutboundMessage(models.Model):
    """An SMS or email on its way out, with its outcome.

    The content is kept encrypted only until the message has left (it may carry a code);
    `preview` is the same text with every secret masked, for staff and logs.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        # Rendered and queued like any other, never sent: a code for a number or address with
        # no account (the request does the same work either way; accounts.outgoing).
        WITHHELD = "withheld", "Withheld"

    channel = models.CharField(max_length=8, choices=Channel.choices)
    kind = models.CharField(max_length=64)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=255, blank=True)
    preview = models.TextField(blank=True)
    encrypted_content = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    provider_message_id = models.CharField(max_length=64, blank=True, db_index=True)
    error_code = models.CharField(max_length=32, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # A message carrying a code is worthless once the code has expired: it is then never sent.
    expires_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # When the next attempt is due: a queued message long past it lost its task (the broker
    # was down or lost it) and is enqueued again by `requeue_stuck_messages`.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # An attempt that started and has no known outcome yet (in flight, or its answer was lost):
    # the next attempt asks the provider before sending again.
    unconfirmed_attempt_at = models.DateTimeField(null=True, blank=True)
    # Until then the attempt may still be talking to the provider; no other may start.
    in_flight_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
            # The fraud guard counts recent messages here while Redis is away.
            models.Index(fields=["to", "created_at"]),
            models.Index(fields=["channel", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.kind} #{self.pk}"

    def set_content(self, *, body: str, html: str = "") -> None:
        self.encrypted_content = crypto.encrypt(json.dumps({"body": body, "html": html}))

    def content(self) -> dict[str, str]:
        return json.loads(crypto.decrypt(self.encrypted_content))


class DevOutboxMessage(models.Model):
    """What the outbox backends 'sent', readable at /dev/outbox/ in development only."""

    channel = models.CharField(max_length=8, choices=Channel.choices)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField()
    html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.channel} to {self.to}"


class BlockedSend(models.Model):
    """An SMS the fraud guard refused (verification.limits), for staff to spot a pumping wave."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    destination = models.CharField(max_length=32)
    prefix = models.CharField(max_length=16, db_index=True)
    reason = models.CharField(max_length=200)
    ip = models.GenericIPAddressField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.destination}: {self.reason}"
