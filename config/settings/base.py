"""Settings of the portal, read from the environment.

Defaults are safe for development: with no `DATABASE_URL` and no `REDIS_URL` the portal runs on
SQLite, a per-process cache and a Celery broker on the filesystem, so `make run` needs nothing
but Python. Production sets `DEBUG=0`, `SECRET_KEY`, `DATABASE_URL`, `REDIS_URL` and the SMS and
mail settings; the portal refuses to start with development-only parts switched on.
"""

import os
import shutil
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_loopback_url,
    env_str,
)
from config.signing_keys import signing_keys

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

# Django's own part in place of each of the portal's replacements named here (of "sessions",
# "cache", "db", "middleware", "renderer", "sql"): for the bench to measure what each
# replacement wins, in the same run (BENCH_COMPARE_PARTS=1, bench/README.md). Not a tuning
# knob: production leaves it unset, and the behaviour is the same either way.
STOCK_PART_NAMES = ("sessions", "cache", "db", "middleware", "renderer", "sql")
STOCK_PARTS = frozenset(env_list("STOCK_PARTS", []))
if STOCK_PARTS - set(STOCK_PART_NAMES):
    raise ImproperlyConfigured(
        f"STOCK_PARTS takes {', '.join(STOCK_PART_NAMES)}; got {', '.join(sorted(STOCK_PARTS))}."
    )
# The hand-written statements (accounts/, devices/, verification/ queries) as the ORM's.
STOCK_SQL = "sql" in STOCK_PARTS

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "allauth.idp.oidc",
    "captcha",
    "phonenumber_field",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "verification",
    "accounts",
    "devices",
    "cloud",
    "ecosystem",
]

MIDDLEWARE = [
    # Device API requests take a short chain of their own (config/lean.py).
    "config.lean.LeanPathsMiddleware",
    "config.health.HealthMiddleware",
    "config.logging.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.web.browsers.BrowserKeyMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.languages.AccountLanguageMiddleware",
    "accounts.web.middleware.AccountTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "accounts.web.middleware.AccountStandingMiddleware",
    "accounts.web.middleware.IdleTimeoutMiddleware",
]
if "middleware" in STOCK_PARTS:
    MIDDLEWARE.remove("config.lean.LeanPathsMiddleware")

# Token-authenticated paths that skip the session, CSRF and account middleware (config/lean.py).
LEAN_PATHS = ["/api/v1/device/"]
LEAN_PATHS_EXCEPT = ["/api/v1/device/sign-in/", "/api/v1/device/sign-up/"]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.web.context_processors.portal",
            ],
            # `{% load form_fields %}`: the portal's field tag (config/templatetags/), not an app's.
            "libraries": {"form_fields": "config.templatetags.form_fields"},
        },
    },
]
# Widgets render through the templates above, so templates/ can restyle a library's widget
# (templates/captcha/widgets/captcha.html: the CAPTCHA's picture, text and audio); plain inputs
# are written directly, to the same HTML (config/renderers.py).
FORM_RENDERER = (
    "django.forms.renderers.TemplatesSetting"
    if "renderer" in STOCK_PARTS
    else "config.renderers.FormRenderer"
)

# --- Data stores -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
    # .iterator() reads in one go instead of through a server-side cursor (DECLARE, FETCH and
    # CLOSE for a handful of rows), and the portal runs behind a transaction-mode pooler.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and (
        "db" not in STOCK_PARTS
    ):
        # Django's, checking only connections idle for a second (config/postgresql/base.py).
        DATABASES["default"]["ENGINE"] = "config.postgresql"
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "portal.sqlite3"),
            # Web and worker are separate processes: wait for the write lock instead of failing.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Django's database sessions, each written once per request (config/sessions.py).
SESSION_ENGINE = (
    "django.contrib.sessions.backends.db" if "sessions" in STOCK_PARTS else "config.sessions"
)

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis cache, reading as empty while Redis is away (config/cache.py).
            "BACKEND": (
                "django.core.cache.backends.redis.RedisCache"
                if "cache" in STOCK_PARTS
                else "config.cache.ResilientRedisCache"
            ),
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "portal"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery --------------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Longer than the longest retry countdown, so a delayed retry is never redelivered early.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Tasks wait on Twilio and SMTP, not the CPU: threads, many of them (bench/README.md measures a
# worker's SMS a second against a slow provider). Network timeouts on
# both clients stand in for task time limits, which only prefork enforces. Choose the pool here:
# with this set, celery's command line takes `--pool=prefork` for its default and ignores it.
CELERY_WORKER_POOL = env_choice("WORKER_POOL", "threads", {"threads", "prefork", "solo"})
CELERY_WORKER_CONCURRENCY = env_int("WORKER_CONCURRENCY", 16, minimum=1)
# Celery's Django fixup closes every database connection before and after each task unless this
# is set, so each task opened a PostgreSQL connection of its own (a new server process: a third
# of a delivery's CPU). Tasks keep theirs as requests do instead (config/celery.py).
CELERY_DB_REUSE_MAX = 10**9
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "purge-expired-codes": {
        "task": "verification.tasks.purge_expired_codes",
        "schedule": 15 * 60,
    },
    "requeue-stuck-messages": {
        "task": "verification.tasks.requeue_stuck_messages",
        "schedule": env_int("MESSAGE_REQUEUE_EVERY", 60, minimum=1),
    },
    "purge-old-locations": {"task": "devices.tasks.purge_old_locations", "schedule": 60 * 60},
    "expire-commands": {"task": "devices.tasks.expire_commands", "schedule": 60},
    "write-last-seen": {"task": "devices.tasks.write_last_seen", "schedule": 60},
    "forget-old-sign-in-failures": {
        "task": "accounts.tasks.forget_old_sign_in_failures",
        "schedule": 24 * 60 * 60,
    },
    "forget-retired-refresh-tokens": {
        "task": "ecosystem.tasks.forget_retired_refresh_tokens",
        "schedule": 24 * 60 * 60,
    },
}
# Cloud storage each account gets unless staff give it more (bytes; default 5 GB).
CLOUD_DEFAULT_QUOTA_BYTES = env_int("CLOUD_DEFAULT_QUOTA_BYTES", 5 * 10**9, minimum=1)
# Find Device keeps each device's location history this many days.
LOCATION_RETENTION_DAYS = env_int("LOCATION_RETENTION_DAYS", 7, minimum=1)
# Map tiles on the device page ({s}, {z}, {x}, {y} as Leaflet expects); empty for no map tiles.
MAP_TILE_URL = env_str("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "© OpenStreetMap contributors")

# --- Accounts and passwords ----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "allauth.account.auth_backends.AuthenticationBackend",
    "accounts.auth.backends.AccountIdBackend",
]
# Argon2id (accounts.auth.hashers). The default is OWASP's first choice for Argon2id: 19 MiB,
# 2 passes, 1 lane (Django's own, 100 MiB, 2 passes, 8 lanes, cost about eight times as much a
# hash; docs/security.md, "Password hashing"). Hashes made with other parameters still verify
# and are rewritten with these at the next sign-in.
PASSWORD_HASHERS = [
    "accounts.auth.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

ARGON2_MEMORY_KIB = env_int("ARGON2_MEMORY_KIB", 19 * 1024, minimum=19 * 1024)
ARGON2_TIME_COST = env_int("ARGON2_TIME_COST", 2, minimum=1)
ARGON2_PARALLELISM = env_int("ARGON2_PARALLELISM", 1, minimum=1)
if ARGON2_TIME_COST < 2 and ARGON2_MEMORY_KIB < 46 * 1024:
    raise ImproperlyConfigured(
        "ARGON2_TIME_COST=1 needs ARGON2_MEMORY_KIB of at least 47104 (OWASP's minimum)."
    )
# Password hashes running at once in one web process (each holds a core while it runs): by
# default the cores shared among the web server's WEB_CONCURRENCY processes (config/server.py).
PASSWORD_HASHES_AT_ONCE = env_int(
    "PASSWORD_HASHES_AT_ONCE",
    max(1, (os.cpu_count() or 1) // env_int("WEB_CONCURRENCY", 2, minimum=1)),
    minimum=1,
)

# "classes": at least 8 characters with upper case, lower case, digit and symbol.
# "nist": at least 15 characters, no composition rule (NIST SP 800-63B).
PASSWORD_POLICY = env_choice("PASSWORD_POLICY", "classes", {"classes", "nist"})
PASSWORD_MIN_LENGTH = env_int(
    "PASSWORD_MIN_LENGTH", 15 if PASSWORD_POLICY == "nist" else 8, minimum=8
)
PASSWORD_MAX_LENGTH = 128
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {
        "NAME": "accounts.rules.password_policy.MaximumLengthValidator",
        "OPTIONS": {"max_length": PASSWORD_MAX_LENGTH},
    },
    *(
        [{"NAME": "accounts.rules.password_policy.CharacterClassValidator"}]
        if PASSWORD_POLICY == "classes"
        else []
    ),
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "accounts.rules.password_policy.PersonalDataValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "account_home"

ACCOUNT_ADAPTER = "accounts.auth.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "accounts.forms.SignInForm",
    "change_password": "accounts.forms.ChangePasswordForm",
}
ACCOUNT_LOGIN_METHODS = {"phone", "email"}
# Sign-up is the portal's own flow (accounts.views.SignupView), which asks for a phone number OR
# an email. allauth can only say "required" or "optional" per field, so both are optional here
# (a required phone would send email-only accounts to phone verification at every sign-in) and
# its check that some login method is required is silenced.
ACCOUNT_SIGNUP_FIELDS = ["phone", "email", "password1*", "password2*"]
SILENCED_SYSTEM_CHECKS = ["account.W001"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_USER_MODEL_EMAIL_FIELD = "email"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PHONE_VERIFICATION_TIMEOUT = 10 * 60
ACCOUNT_PHONE_VERIFICATION_MAX_ATTEMPTS = 5
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_TIMEOUT = 10 * 60
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_MAX_ATTEMPTS = 5
ALLAUTH_USER_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
# Failed sign-ins (accounts.rules.failed_passwords): per IP, per account and IP (allauth's key), and
# per account from anywhere with a growing delay; at 100 in a row a reset by code is needed.
# Sign-in attempts (right or wrong) per client IP a minute is allauth's "login" limit. A load
# test from one address raises both per-IP numbers (bench/README.md); nothing else should.
SIGN_IN_ATTEMPTS_PER_IP_PER_MINUTE = env_int("SIGN_IN_ATTEMPTS_PER_IP_PER_MINUTE", 30, minimum=1)
SIGN_IN_FAILURES_PER_IP_PER_MINUTE = env_int("SIGN_IN_FAILURES_PER_IP_PER_MINUTE", 10, minimum=1)
# Sign-in attempts per IP, and failed ones per IP and per account and IP, in allauth's format;
# counted by accounts/rules/sign_in_limits.py (in one Redis round trip, and letting sign-in go on
# while Redis is away) instead of by allauth, which no longer counts passwords.
SIGN_IN_RATE_LIMITS = {
    "login": f"{SIGN_IN_ATTEMPTS_PER_IP_PER_MINUTE}/m/ip",
    "login_failed": f"{SIGN_IN_FAILURES_PER_IP_PER_MINUTE}/m/ip,5/300s/key",
}
# allauth counts only what it still checks itself under "login_failed": authenticator-app and
# recovery codes (the second step of a sign-in, device sign-in and re-authentication): 5 tries
# without a right one per account in 5 minutes, and the per-IP failures above. While Redis is
# away these codes are refused. SMS codes have their own limits (verification/).
ACCOUNT_RATE_LIMITS = {"login": None, "login_failed": SIGN_IN_RATE_LIMITS["login_failed"]}
SIGN_IN_FREE_FAILURES = env_int("SIGN_IN_FREE_FAILURES", 5, minimum=1)
SIGN_IN_FIRST_DELAY = env_int("SIGN_IN_FIRST_DELAY", 30, minimum=1)
SIGN_IN_MAX_DELAY = env_int("SIGN_IN_MAX_DELAY", 300, minimum=1)
SIGN_IN_LOCK_AFTER = env_int("SIGN_IN_LOCK_AFTER", 100, minimum=10)
# A streak of failures idle this long is forgotten, for known and unknown identifiers alike.
SIGN_IN_FAILURES_FORGOTTEN_AFTER = env_int(
    "SIGN_IN_FAILURES_FORGOTTEN_AFTER", 30 * 24 * 60 * 60, minimum=60 * 60
)
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
# Passkeys (allauth's WebAuthn): "Sign in with a passkey" with no password, and a passkey as a
# second factor. WebAuthn needs https and a host name (not an IP address): in development,
# http://localhost.
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
MFA_ADAPTER = "accounts.auth.adapter.MFAAdapter"
MFA_TOTP_ISSUER = "Account Portal"
MFA_RECOVERY_CODES_SHOW_ONCE = True
# "Trust this browser" at the second step of sign-in skips it for 30 days in that browser.
MFA_TRUST_ENABLED = True
MFA_TRUST_COOKIE_AGE = timedelta(days=30)
ACCOUNT_REAUTHENTICATION_TIMEOUT = env_int("REAUTHENTICATION_TIMEOUT", 5 * 60, minimum=30)
# Codes texted as the second factor live this long (pyotp HOTP, accounts.rules.second_factor).
SECOND_FACTOR_SMS_TTL = env_int("SECOND_FACTOR_SMS_TTL", 5 * 60, minimum=60)
# The security checkup on /account/; cloud and devices own their steps.
ACCOUNT_CHECKUP_STEPS = [
    # What protects most first: a second factor, then a recovery contact of the other kind.
    "accounts.checkup.two_factor",
    "accounts.checkup.passkey",
    "accounts.checkup.recovery_of_the_other_kind",
    "accounts.checkup.recovery_of_the_same_kind",
    # The phones' data, apart.
    "cloud.checkup.cloud_sync",
    "devices.checkup.find_device",
]
# Phones and tablets listed beside browsers on the sessions page.
ACCOUNT_SIGNED_IN_DEVICES = "devices.checkup.signed_in_devices"

# --- Phone numbers and codes ---------------------------------------------------------------------
PHONENUMBER_DB_FORMAT = "E164"
PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION", "IN").upper()
PHONENUMBER_DEFAULT_REGION = PHONE_DEFAULT_REGION
# Countries and regions whose numbers may sign up (SMS is sent only there).
DEFAULT_PHONE_COUNTRIES = (
    "IN US CA GB CN HK SG MY ID TH VN PH JP KR AU NZ DE FR ES IT NL PL PT BR MX AE SA TR ZA NG"
).split()
PHONE_COUNTRIES = [code.upper() for code in env_list("PHONE_COUNTRIES", DEFAULT_PHONE_COUNTRIES)]
if PHONE_DEFAULT_REGION not in PHONE_COUNTRIES:
    raise ImproperlyConfigured("PHONE_DEFAULT_REGION must be one of PHONE_COUNTRIES.")

VERIFICATION_SENDS_PER_ACCOUNT_PER_HOUR = env_int(
    "VERIFICATION_SENDS_PER_ACCOUNT_PER_HOUR", 10, minimum=1
)
# SMS fraud guard (verification.limits): countries SMS may go to, sends per number prefix
# (the first SMS_PREFIX_DIGITS national digits) per hour, and all SMS per day.
SMS_COUNTRIES = [c.upper() for c in env_list("SMS_COUNTRIES", PHONE_COUNTRIES)]
SMS_PREFIX_DIGITS = env_int("SMS_PREFIX_DIGITS", 4, minimum=1)
SMS_SENDS_PER_PREFIX_PER_HOUR = env_int("SMS_SENDS_PER_PREFIX_PER_HOUR", 60, minimum=1)
SMS_DAILY_BUDGET = env_int("SMS_DAILY_BUDGET", 5000, minimum=1)
# One client's share of the day's SMS (an IPv4 address or an IPv6 /64): no single client can
# spend the day's budget for everyone.
SMS_SENDS_PER_IP_PER_DAY = env_int("SMS_SENDS_PER_IP_PER_DAY", 100, minimum=1)
VERIFICATION_CODE_TTL = env_int("VERIFICATION_CODE_TTL", 10 * 60, minimum=60)
VERIFICATION_CODE_MAX_ATTEMPTS = 5
# Wrong codes allowed per purpose and destination (or per person for two-factor) in a day,
# across codes: past it, no new code is sent that day.
VERIFICATION_WRONG_CODES_PER_DAY = env_int("VERIFICATION_WRONG_CODES_PER_DAY", 20, minimum=5)
VERIFICATION_RESEND_COOLDOWN = env_int("VERIFICATION_RESEND_COOLDOWN", 60, minimum=1)
# Sends of a code in a one-hour window: per client IP, per destination and IP, per destination.
VERIFICATION_SENDS_PER_IP_PER_HOUR = env_int("VERIFICATION_SENDS_PER_IP_PER_HOUR", 20, minimum=1)
VERIFICATION_SENDS_PER_DESTINATION_PER_IP = env_int(
    "VERIFICATION_SENDS_PER_DESTINATION_PER_IP", 5, minimum=1
)
VERIFICATION_SENDS_PER_DESTINATION_PER_HOUR = env_int(
    "VERIFICATION_SENDS_PER_DESTINATION_PER_HOUR", 30, minimum=1
)

TERMS_VERSION = env_str("TERMS_VERSION", "2026-11-01")
PRIVACY_VERSION = env_str("PRIVACY_VERSION", "2026-11-01")

# --- Delivery ------------------------------------------------------------------------------------
_SMS_BACKENDS = {
    "twilio": "verification.backends.sms.TwilioSmsBackend",
    "console": "verification.backends.sms.ConsoleSmsBackend",
    "outbox": "verification.backends.sms.OutboxSmsBackend",
}
SMS_BACKEND = _SMS_BACKENDS[
    env_choice("SMS_BACKEND", "outbox" if DEBUG else "twilio", set(_SMS_BACKENDS))
]
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER")
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID")
TWILIO_TIMEOUT = env_int("TWILIO_TIMEOUT", 10, minimum=1)
# The HTTP client the twilio library sends through; tests put a recording transport here.
TWILIO_HTTP_CLIENT = env_str("TWILIO_HTTP_CLIENT", "twilio.http.http_client.TwilioHttpClient")
# A stand-in for Twilio's API on this machine (staging, the bench): its client and address.
# The requests carry the auth token and the codes, so only a loopback address is accepted.
TWILIO_LOOPBACK_CLIENT = "verification.backends.loopback_http.LoopbackTwilioHttpClient"
TWILIO_LOOPBACK_URL = env_loopback_url("TWILIO_LOOPBACK_URL")
if TWILIO_HTTP_CLIENT == TWILIO_LOOPBACK_CLIENT and not TWILIO_LOOPBACK_URL:
    raise ImproperlyConfigured(
        "TWILIO_HTTP_CLIENT is the loopback client: set TWILIO_LOOPBACK_URL to the stand-in's "
        "address, such as http://127.0.0.1:8781."
    )
if TWILIO_HTTP_CLIENT.startswith("tests.") and not DEBUG:
    raise ImproperlyConfigured("TWILIO_HTTP_CLIENT from tests/ needs DEBUG=1; see .env.example.")
# Public base URL of the portal, for Twilio status callbacks and links in messages.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

_MAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "outbox": "verification.backends.email.OutboxEmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}
EMAIL_DELIVERY = env_choice("EMAIL_DELIVERY", "outbox" if DEBUG else "smtp", set(_MAIL_BACKENDS))
MAILERS = {
    "default": {
        "BACKEND": _MAIL_BACKENDS[EMAIL_DELIVERY],
        "OPTIONS": (
            {
                "host": env_str("SMTP_HOST", "127.0.0.1"),
                "port": env_int("SMTP_PORT", 25, minimum=1),
                "username": env_str("SMTP_USER") or None,
                "password": env_str("SMTP_PASSWORD") or None,
                "use_tls": env_bool("SMTP_STARTTLS", False),
                "use_ssl": env_bool("SMTP_SSL", False),
                "timeout": env_int("SMTP_TIMEOUT", 10, minimum=1),
            }
            if EMAIL_DELIVERY == "smtp"
            else {}
        ),
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Account Portal <no-reply@portal.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
MESSAGE_DELIVERY_MAX_RETRIES = env_int("MESSAGE_DELIVERY_MAX_RETRIES", 6, minimum=0)
MESSAGE_RETRY_BASE_DELAY = env_float("MESSAGE_RETRY_BASE_DELAY", 5.0, minimum=0)
# An attempt is presumed dead this many seconds after its provider's timeout (a worker killed
# mid-send); the next one then asks the provider whether the message went out.
MESSAGE_IN_FLIGHT_MARGIN = env_int("MESSAGE_IN_FLIGHT_MARGIN", 15, minimum=0)
# A queued message whose attempt is this many seconds overdue lost its task: enqueued again.
MESSAGE_REQUEUE_AFTER = env_int("MESSAGE_REQUEUE_AFTER", 60, minimum=1)

# --- CAPTCHA -------------------------------------------------------------------------------------
CAPTCHA_TEST_MODE = env_bool("CAPTCHA_TEST_MODE", False)
CAPTCHA_LENGTH = 5
CAPTCHA_TIMEOUT = 10
# Characters no one mistakes for one another (accounts/web/captcha.py says which and why), large,
# turned a little, under light dots: read at a glance by a person (templates/captcha/widgets/).
CAPTCHA_CHALLENGE_FUNCT = "accounts.web.captcha.challenge"
CAPTCHA_IMAGE_SIZE = (180, 60)
CAPTCHA_FONT_SIZE = 36
CAPTCHA_LETTER_ROTATION = (-10, 11)
CAPTCHA_NOISE_FUNCTIONS = ("accounts.web.captcha.noise_light_dots",)
# The audio CAPTCHA (the characters read aloud in the page's language) needs espeak-ng, the
# Debian package `espeak-ng`; without it the page offers no audio rather than a broken link.
# (No CAPTCHA_FLITE_PATH: the library's English-only flite audio is never used.)
CAPTCHA_SPEECH_PATH = shutil.which("espeak-ng")

# Parts that exist only to develop with: they expose codes or skip checks.
if not DEBUG:
    if CAPTCHA_TEST_MODE:
        raise ImproperlyConfigured("CAPTCHA_TEST_MODE is for development only; it needs DEBUG=1.")
    if _SMS_BACKENDS["twilio"] != SMS_BACKEND:
        raise ImproperlyConfigured("SMS_BACKEND=outbox or console needs DEBUG=1; use twilio.")
    if EMAIL_DELIVERY != "smtp":
        raise ImproperlyConfigured("EMAIL_DELIVERY=outbox or console needs DEBUG=1; use smtp.")

# --- API -----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON of any depth gets an answer: too deep is a 400 (config/parsers.py), never a 500.
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Account Portal API",
    "DESCRIPTION": (
        "Device API under /api/v1/device/ (`Authorization: Token <token>`, from sign-in); "
        "portal API under /api/v1/ (the signed-in session, with the CSRF token)."
    ),
    "VERSION": "1.0.0",
    # The docs' assets come from the portal's own static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Internationalisation, static files, logging -------------------------------------------------
LANGUAGE_CODE = "en"
# The portal speaks these; a browser's Accept-Language picks one, the switcher in the page
# header changes it, and a signed-in person's choice is kept on their account (User.language).
LANGUAGES = [
    ("en", "English"),
    ("zh-hans", "简体中文"),
    ("hi", "हिन्दी"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# The long-lived cookie that tells a known browser from a new one (accounts/web/browsers.py).
BROWSER_COOKIE_NAME = "portal_browser"
# Flash messages ride in the session, not in a cookie of their own.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
# Within NIST SP 800-63B AAL2: a session lasts at most a day, and ends after an idle hour.
SESSION_COOKIE_AGE = env_int("SESSION_MAX_AGE", 24 * 60 * 60, minimum=60)
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 60 * 60, minimum=60)

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOG_FORMAT = env_choice("LOG_FORMAT", "plain", {"plain", "json"})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "config.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # The twilio client logs request bodies (which carry the code) at DEBUG and INFO.
        "twilio": {"level": "WARNING"},
        # One line a request (config/logging.py), whatever LOG_LEVEL is; ACCESS_LOG=0: none.
        "portal.access": {"level": "INFO" if env_bool("ACCESS_LOG", True) else "WARNING"},
    },
}

# --- Keys (config/crypto.py) ----------------------------------------------------------------------
# ENCRYPTION_KEYS: newest first, comma-separated, each a long random string (not SECRET_KEY).
# Every purpose (secrets at rest, code hashes, device tokens, browser keys) gets its own key
# derived from them through HKDF. To rotate: put a new key first, run `manage.py reencrypt`,
# then drop the old one. SECRET_KEY_FALLBACKS: the SECRET_KEYs replaced, still accepted for
# what they signed and for the values keyed by SECRET_KEY before ENCRYPTION_KEYS.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])
ENCRYPTION_KEYS = env_list("ENCRYPTION_KEYS", [])
if not ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("ENCRYPTION_KEYS must be set when DEBUG is off.")
    ENCRYPTION_KEYS = ["dev-only-encryption-key-do-not-use-in-production"]
if not DEBUG and any(len(key) < 32 for key in ENCRYPTION_KEYS):
    raise ImproperlyConfigured("Each of ENCRYPTION_KEYS must have at least 32 characters.")

# --- Ecosystem sign-in: the OpenID Connect provider (allauth.idp.oidc; docs/ecosystem.md) ---------
IDP_OIDC_ADAPTER = "ecosystem.adapter.PortalOIDCAdapter"
# PEM files, newest first: the newest signs ID tokens, all are published (config/signing_keys.py).
# Production requires it; in development a key is made once under VAR_DIR.
OIDC_SIGNING_KEYS = env_list("OIDC_SIGNING_KEYS", [])
IDP_OIDC_PRIVATE_KEYS = signing_keys(OIDC_SIGNING_KEYS, var_dir=VAR_DIR, debug=DEBUG)
IDP_OIDC_ID_TOKEN_EXPIRES_IN = 5 * 60
IDP_OIDC_ACCESS_TOKEN_EXPIRES_IN = env_int("OIDC_ACCESS_TOKEN_TTL", 60 * 60, minimum=60)
# A refresh token is used once: each use returns a new one (a reused one ends the grant).
IDP_OIDC_ROTATE_REFRESH_TOKEN = True
IDP_OIDC_REFRESH_TOKEN_EXPIRES_IN = env_int("OIDC_REFRESH_TOKEN_TTL", 90 * 24 * 60 * 60, minimum=60)
IDP_OIDC_AUTHORIZATION_CODE_EXPIRES_IN = 60
IDP_OIDC_DEVICE_CODE_EXPIRES_IN = 10 * 60
IDP_OIDC_DEVICE_CODE_INTERVAL = 5
# Failed token requests (a wrong code or refresh token, a bad client) per IP and minute; then the
# IP waits (429). Successful ones are not counted: an app's server refreshes for all its users.
OIDC_TOKEN_FAILURES_PER_IP_PER_MINUTE = env_int(
    "OIDC_TOKEN_FAILURES_PER_IP_PER_MINUTE", 20, minimum=1
)
