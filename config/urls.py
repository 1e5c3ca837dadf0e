from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    # The portal's own sign-up page comes before allauth's URLs so it takes /accounts/signup/.
    path("", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("verification.urls")),
    path("captcha/", include("captcha.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
]
