"""The user (one account per person) and the record of their consent to the terms."""

import secrets
from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField


def new_account_id() -> str:
    """A random 10-digit public account ID that never starts with 0."""
    return str(1_000_000_000 + secrets.randbelow(9_000_000_000))


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, *, phone=None, email=None, password=None, **extra) -> "User":
        if not phone and not email:
            raise ValueError("An account needs a phone number or an email address.")
        user = self.model(
            account_id=extra.pop("account_id", None) or self.unused_account_id(),
            phone=phone or None,
            email=(email or "").strip().lower() or None,
            **extra,
        )
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, *, email, password, **extra) -> "User":
        return self.create_user(
            email=email, password=password, is_staff=True, is_superuser=True, **extra
        )

    def unused_account_id(self) -> str:
        while True:
            candidate = new_account_id()
            if not self.filter(account_id=candidate).exists():
                return candidate

    def get_by_natural_key(self, account_id: str | None) -> "User":
        return self.get(account_id=account_id)


class User(AbstractBaseUser, PermissionsMixin):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        BANNED = "banned", "Banned"

    account_id = models.CharField("account ID", max_length=10, unique=True, editable=False)
    phone = PhoneNumberField("phone number", null=True, blank=True, unique=True)
    # NULL, not "", for "no email": the unique constraint below must ignore phone-only accounts.
    email = models.EmailField("email address", null=True, blank=True)  # noqa: DJ001
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    is_staff = models.BooleanField("staff", default=False)
    is_active = models.BooleanField("active", default=True)
    date_joined = models.DateTimeField("joined", default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "account_id"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="unique_user_email", condition=models.Q(email__isnull=False)
            ),
            models.CheckConstraint(
                condition=models.Q(phone__isnull=False) | models.Q(email__isnull=False),
                name="user_has_phone_or_email",
            ),
        ]

    def __str__(self) -> str:
        return self.account_id

    def get_full_name(self) -> str:
        return str(self.phone or self.email or self.account_id)

    def get_short_name(self) -> str:
        return self.account_id


class Consent(models.Model):
    """The person accepted these versions of the Terms of Service and Privacy Policy."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    terms_version = models.CharField(max_length=32)
    privacy_version = models.CharField(max_length=32)
    accepted_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.user} accepted terms {self.terms_version}"
