"""The user (one account per person) and the record of their consent to the terms."""

import secrets
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
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
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        BANNED = "banned", _("Banned")

    account_id = models.CharField(_("account ID"), max_length=10, unique=True, editable=False)
    phone = PhoneNumberField(_("phone number"), null=True, blank=True, unique=True)
    # NULL, not "", for "no email": the unique constraint below must ignore phone-only accounts.
    email = models.EmailField(_("email address"), null=True, blank=True)  # noqa: DJ001
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    is_staff = models.BooleanField(_("staff"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    # Recovery contacts: where password-reset codes and security notices may also go. They do
    # not sign anyone in, so they need not be unique.
    recovery_phone = PhoneNumberField(_("recovery phone"), null=True, blank=True, db_index=True)
    recovery_email = models.EmailField(_("recovery email"), null=True, blank=True)  # noqa: DJ001
    # Moderation: a suspension may end by itself; what staff chose to tell the person.
    suspended_until = models.DateTimeField(null=True, blank=True)
    status_message = models.CharField(max_length=500, blank=True)
    must_reset_password = models.BooleanField(default=False)
    must_set_up_second_factor = models.BooleanField(default=False)
    # The language the person reads the portal and their SMS and email in ("" until known).
    language = models.CharField(
        _("language"), max_length=16, choices=settings.LANGUAGES, blank=True, default=""
    )
    # The IANA time zone the person reads times in, on pages and in their SMS and email; the
    # browser's at sign-up, changed on the account page (accounts.time_zones).
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "account_id"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["email"]  # createsuperuser asks for it

    class Meta:
        permissions = [("moderate_user", "Can suspend, ban, reinstate and reset accounts")]
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="unique_user_email", condition=models.Q(email__isnull=False)
            ),
            models.CheckConstraint(
                condition=models.Q(phone__isnull=False) | models.Q(email__isnull=False),
                name="user_has_phone_or_email",
            ),
        ]
        indexes = [
            models.Index(Lower("recovery_email"), name="user_recovery_email"),
            models.Index(fields=["status", "-date_joined"], name="user_status_joined"),
            models.Index(fields=["-date_joined"], name="user_joined"),
            models.Index(fields=["last_login"], name="user_last_login"),
        ]

    def __str__(self) -> str:
        return self.account_id

    def get_full_name(self) -> str:
        return str(self.phone or self.email or self.account_id)

    def get_short_name(self) -> str:
        return self.account_id

    @property
    def is_restricted(self) -> bool:
        """Banned, or suspended (until `suspended_until`, when set)."""
        if self.status == self.Status.BANNED:
            return True
        if self.status == self.Status.SUSPENDED:
            return self.suspended_until is None or self.suspended_until > timezone.now()
        return False


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


SUMMARY_KEYS = (
    "method",
    "contact",
    "device",
    "app",
    "command",
    "category",
    "action",
    "state",
    "reason",
)
# Details stored in English words the portal chose (not names people typed), translated when
# shown: the person may read their log in another language than it was written in.
TRANSLATED_KEYS = ("method", "command", "category", "action", "state")


class SecurityEvent(models.Model):
    """One line of the person's security log. `detail` never holds a secret: contacts in it
    are masked, codes and passwords never appear."""

    class Kind(models.TextChoices):
        SIGNED_UP = "signed_up", _("Account created")
        SIGNED_IN = "signed_in", _("Signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("Failed sign-in")
        SIGN_IN_LOCKED = "sign_in_locked", _("Sign-in locked after too many failed attempts")
        SECOND_FACTOR_FAILED = "second_factor_failed", _("Wrong two-factor code")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset with a code")
        TWO_FACTOR_ON = "two_factor_on", _("Two-factor authentication turned on")
        TWO_FACTOR_OFF = "two_factor_off", _("Two-factor authentication turned off")
        RECOVERY_CODES_GENERATED = "recovery_codes_generated", _("New recovery codes")
        RECOVERY_PHONE_SET = "recovery_phone_set", _("Recovery phone set")
        RECOVERY_PHONE_REMOVED = "recovery_phone_removed", _("Recovery phone removed")
        RECOVERY_EMAIL_SET = "recovery_email_set", _("Recovery email set")
        RECOVERY_EMAIL_REMOVED = "recovery_email_removed", _("Recovery email removed")
        SESSION_ENDED = "session_ended", _("Signed out of a session")
        OTHER_SESSIONS_ENDED = "other_sessions_ended", _("Signed out of all other sessions")
        DEVICE_ENROLLED = "device_enrolled", _("Device signed in")
        DEVICE_REMOVED = "device_removed", _("Device removed")
        DEVICE_COMMAND = "device_command", _("Find Device")
        CLOUD_SYNC = "cloud_sync", _("Cloud sync changed")
        SUPPORT_ACTION = "support_action", _("Action by support")
        PASSKEY_ADDED = "passkey_added", _("Passkey added")
        PASSKEY_REMOVED = "passkey_removed", _("Passkey removed")
        APP_ALLOWED = "app_allowed", _("App allowed to sign you in")
        APP_REMOVED = "app_removed", _("App's access removed")
        APP_ACCESS_ENDED = "app_access_ended", _("App's access ended: a used token was sent again")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="security_events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at", "-id"], name="security_log")]

    def __str__(self) -> str:
        return f"{self.user} {self.kind} at {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"

    @property
    def summary(self) -> str:
        """The details a person reads beside the event: what, which device or category."""
        shown = [
            gettext(value) if key in TRANSLATED_KEYS and isinstance(value, str) else value
            for key, value in ((key, self.detail.get(key)) for key in SUMMARY_KEYS)
        ]
        return " · ".join(str(value) for value in shown if value)


class KnownBrowser(models.Model):
    """A browser this account has signed in from, known by the keyed hash of its browser
    cookie. A sign-in from any other browser sends a notice; failures from a known browser do
    not make its owner wait behind an attacker's failures."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="known_browsers")
    key_hash = models.CharField(max_length=64)
    user_agent = models.CharField(max_length=300, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key_hash"], name="unique_known_browser")
        ]

    def __str__(self) -> str:
        return f"{self.user} browser since {timezone.localtime(self.first_seen_at):%Y-%m-%d}"


class SmsSecondFactor(models.Model):
    """Two-factor by SMS: an HOTP secret per person (pyotp). Each code sent uses the next
    counter; a code is accepted once, within its lifetime, and is void after 5 wrong tries."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="sms_second_factor")
    encrypted_secret = models.TextField()
    enabled_at = models.DateTimeField(null=True, blank=True)  # None while being set up
    counter = models.PositiveIntegerField(default=0)
    code_sent_at = models.DateTimeField(null=True, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    code_failed_attempts = models.PositiveSmallIntegerField(default=0)
    code_used = models.BooleanField(default=True)
    # What the live code is for ("sign_in", "confirm", "setup"): a code sent to sign in does
    # not confirm a change, and the reverse.
    code_purpose = models.CharField(max_length=16, blank=True)

    def __str__(self) -> str:
        return f"SMS two-factor of {self.user}"

    @property
    def enabled(self) -> bool:
        return self.enabled_at is not None


class SignInFailures(models.Model):
    """Consecutive failed sign-ins for one account, or for one identifier that names no
    account, under the keyed hash of either: both kinds are kept and forgotten alike, so the
    limits never tell whether an account exists."""

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = _("sign-in failures")
        indexes = [models.Index(fields=["last_failed_at"])]

    def __str__(self) -> str:
        return f"{self.failures} failures"


class ModerationAction(models.Model):
    """What staff did to an account, and why: the moderation log (read-only)."""

    class Action(models.TextChoices):
        SUSPEND = "suspend", _("Suspended")
        BAN = "ban", _("Banned")
        REINSTATE = "reinstate", _("Reinstated")
        REQUIRE_PASSWORD_RESET = "require_password_reset", _("Password reset required")
        RESET_SECOND_FACTOR = "reset_second_factor", _("Two-factor reset")
        END_SESSIONS = "end_sessions", _("Signed out everywhere")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="moderation_actions")
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=32, choices=Action.choices)
    reason = models.TextField()
    shared_with_user = models.BooleanField(default=False)
    suspended_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.user} by {self.actor}"
