from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.auth.admin_access import admin_login, has_admin_access
from accounts.web import captcha

# Staff sign in through the portal's own sign-in (its limits and its second step), never
# admin's separate form, and admin requires that the session passed a second factor.
admin.site.login = admin_login  # type: ignore[method-assign]
admin.site.has_permission = has_admin_access  # type: ignore[method-assign]
admin.site.site_header = "Account Portal admin"

urlpatterns = [
    # Phones poll and report far more often than people load pages: their URLs are tried first.
    path("api/v1/device/", include("devices.device_urls")),
    path("api/v1/device/", include("cloud.device_urls")),
    path("favicon.ico", lambda request: redirect(static("favicon.svg"), permanent=True)),
    # The portal's own sign-up page comes before allauth's URLs so it takes /accounts/signup/.
    path("", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("verification.urls")),
    path("", include("cloud.urls")),
    path("", include("devices.urls")),
    # The CAPTCHA's audio, in the page's language, and "New picture" with that audio are the
    # portal's (accounts/web/captcha.py); the picture is the library's.
    path("captcha/audio/<slug:language>/<slug:key>.wav", captcha.audio, name="captcha_audio"),
    path("captcha/refresh/", captcha.refresh, name="captcha-refresh"),
    path("captcha/", include("captcha.urls")),
    # Ecosystem sign-in (SPEC 12): the apps page and the token endpoint's bookkeeping, then
    # allauth's provider (discovery, JWKS, authorize, device, token, userinfo).
    path("", include("ecosystem.urls")),
    path("", include("allauth.idp.urls")),
    # Staff change their password where everyone does: re-authentication, log and notice.
    path("admin/password_change/", lambda request: redirect("account_change_password")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view's page has no inline script, so the strict CSP holds for it too.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
]

handler500 = "config.errors.server_error"
