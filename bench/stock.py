"""The stock django-allauth site the portal is compared with, generated at run time.

A minimal Django project in a temporary directory, built from the packages of the portal's own
environment: django.contrib.auth and allauth's account app with allauth's defaults (sign-in by
email, its own templates), Django's default password hasher (PBKDF2), sessions in PostgreSQL and
the cache in Redis as the portal has them, served by the same web server. The only change
from allauth's defaults is the per-IP sign-in limit, raised as for the portal, because every
request of the load test comes from one address.

With `STOCK_HASHER=argon2` the same site hashes with Django's own Argon2 hasher (Argon2id) at the
portal's parameters (`ARGON2_MEMORY_KIB`, `ARGON2_TIME_COST`, `ARGON2_PARALLELISM`): beside the
default site, the bench's "stock-argon2" site, so that the sign-in comparison measures the two
stacks with the same hash, not only the two hashers.
"""

from pathlib import Path

SETTINGS = """
import dj_database_url, os
SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
    "django.contrib.messages", "allauth", "allauth.account",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]
if os.environ.get("BENCH_QUERY_COUNT") == "1":
    MIDDLEWARE.insert(0, "bench.middleware.QueryCountMiddleware")
ROOT_URLCONF = "stock_urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                      "LOCATION": os.environ["REDIS_URL"], "KEY_PREFIX": "stock"}}
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# One load generator is one client IP: the per-IP limits are raised as on the portal (allauth
# counts every try against login_failed until it succeeds, so 16 sign-ins in flight from one
# address would pass its default 5 a minute); the per-account ones stay allauth's.
ACCOUNT_RATE_LIMITS = {
    "login": os.environ["SIGN_IN_ATTEMPTS_PER_IP_PER_MINUTE"] + "/m/ip",
    "login_failed": os.environ["SIGN_IN_FAILURES_PER_IP_PER_MINUTE"] + "/m/ip,5/300s/key",
}
if os.environ.get("STOCK_HASHER") == "argon2":
    PASSWORD_HASHERS = ["stock_hashers.SameArgon2idHasher"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
LOGIN_REDIRECT_URL = "/accounts/email/"
"""

HASHERS = """
import os
from django.contrib.auth.hashers import Argon2PasswordHasher

class SameArgon2idHasher(Argon2PasswordHasher):
    # Django's Argon2 hasher (Argon2id, algorithm "argon2") at the portal's parameters.
    time_cost = int(os.environ["ARGON2_TIME_COST"])
    memory_cost = int(os.environ["ARGON2_MEMORY_KIB"])
    parallelism = int(os.environ["ARGON2_PARALLELISM"])
"""

URLS = """
from django.urls import include, path
urlpatterns = [path("accounts/", include("allauth.urls"))]
"""

SEED = """
import sys
import django
django.setup()
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from bench import identities as ids

accounts = int(sys.argv[1])
password = make_password(ids.PASSWORD)
users = User.objects.bulk_create(
    User(username=f"user{i}", email=ids.stock_email(i), password=password)
    for i in range(accounts)
)
EmailAddress.objects.bulk_create(
    EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
)
"""


def generate(directory: Path) -> Path:
    """Write the stock site into `directory`; returns it (its settings module: stock_settings)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "stock_settings.py").write_text(SETTINGS)
    (directory / "stock_urls.py").write_text(URLS)
    (directory / "stock_hashers.py").write_text(HASHERS)
    (directory / "stock_seed.py").write_text(SEED)
    (directory / "manage.py").write_text(
        "import sys\nfrom django.core.management import execute_from_command_line\n"
        "execute_from_command_line(sys.argv)\n"
    )
    return directory
