"""What the portal keeps about apps of the ecosystem beside allauth's clients and tokens: which
apps each person allowed (for the apps page, the log and the first-time notice), and refresh
tokens already exchanged (shown again, one was copied: the grant ends)."""

from allauth.idp.oidc.models import Client
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppAccess(models.Model):
    """An app a person allowed: what it sees, since when, and when it last got a token."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="app_accesses"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="accesses")
    scopes = models.JSONField(default=list)
    allowed_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("app access")
        verbose_name_plural = _("app accesses")
        constraints = [
            models.UniqueConstraint(fields=["user", "client"], name="one_access_per_app")
        ]

    def __str__(self) -> str:
        return f"{self.client.name} for {self.user}"


class RetiredRefreshToken(models.Model):
    """The hash of a refresh token the app exchanged for a new one, kept until it would have
    expired: presented again, it was copied, and every token of the grant ends."""

    hash = models.CharField(max_length=255, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    client = models.ForeignKey(Client, on_delete=models.CASCADE)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"retired refresh token of {self.client_id} for {self.user_id}"
