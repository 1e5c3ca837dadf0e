from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.admin_access import admin_login, has_admin_access

# Staff sign in through the portal's own sign-in (its limits and its second step), never
# admin's separate form, and admin requires that the session passed a second factor.
admin.site.login = admin_login  # type: ignore[method-assign]
admin.site.has_permission = has_admin_access  # type: ignore[method-assign]
admin.site.site_header = "Account Portal admin"

urlpatterns = [
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    # The portal's own sign-up page comes before allauth's URLs so it takes /accounts/signup/.
    path("", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("verification.urls")),
    path("", include("cloud.urls")),
    path("", include("devices.urls")),
    path("captcha/", include("captcha.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
]
