"""Production settings: `DJANGO_SETTINGS_MODULE=config.settings.production`.

Everything in base.py applies (read from the environment); on top, production refuses to start
without a secret key, allowed hosts, a database and Redis, and turns on HTTPS-only cookies
with the `__Host-` prefix, HSTS, a strict Content Security Policy and the other headers OWASP
ASVS level 2 asks for. `manage.py check --deploy --fail-level WARNING` passes with it.
"""

import os

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("LOG_FORMAT", "json")

from config.env import env_bool, env_int, env_str  # noqa: E402
from config.health import static_headers  # noqa: E402
from config.settings.base import *  # noqa: E402,F403
from config.settings.base import DEBUG, MAP_TILE_URL, MIDDLEWARE  # noqa: E402

if DEBUG:
    raise ImproperlyConfigured("Production settings run with DEBUG=0.")
for required in (
    "SECRET_KEY",
    "ENCRYPTION_KEYS",
    "OIDC_SIGNING_KEYS",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
):
    if not env_str(required):
        raise ImproperlyConfigured(f"{required} must be set in production.")

# --- HTTPS ---------------------------------------------------------------------------------------
# Behind a proxy that terminates TLS, it says so with this header (set PROXY_SSL_HEADER=0 when
# the portal itself terminates TLS).
if env_bool("PROXY_SSL_HEADER", True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 365 * 24 * 60 * 60, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Cookies: Secure, HttpOnly where scripts need not read them, and `__Host-` (no Domain,
# path /) so a sibling subdomain cannot set them -------------------------------------------------
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True  # pages send the token from the form, never from the cookie
CSRF_COOKIE_NAME = "__Host-csrftoken"
BROWSER_COOKIE_NAME = "__Host-portal_browser"
MFA_TRUST_COOKIE_SECURE = True
MFA_TRUST_COOKIE_NAME = "__Host-mfa_trusted"
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True

# --- Content Security Policy: only the portal's own scripts and styles; images also from the
# map tile host (MAP_TILE_URL) and data: URIs (the authenticator QR code) ------------------------
_tile_origin = ""
if MAP_TILE_URL:
    _scheme, _, _rest = MAP_TILE_URL.partition("://")
    _tile_origin = f"{_scheme}://{_rest.split('/', 1)[0]}".replace("{s}", "*")
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", *([_tile_origin] if _tile_origin else [])],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Right after SecurityMiddleware (after the lean paths, the health probes and the request id).
_after_security = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1
MIDDLEWARE = [
    *MIDDLEWARE[:_after_security],
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    *MIDDLEWARE[_after_security:],
]

# --- Static files: hashed names, compressed, cached for a year (whitenoise) ----------------------
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 365 * 24 * 60 * 60
WHITENOISE_ADD_HEADERS_FUNCTION = static_headers
