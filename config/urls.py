from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

# Staff sign in through the portal's own sign-in (its rate limits, and later its second factor),
# not through admin's separate form.
admin.site.login = login_required(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
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
