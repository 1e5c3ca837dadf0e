from django.urls import path

from ecosystem import views

urlpatterns = [
    path("account/apps/", views.apps, name="connected_apps"),
    # Before allauth's provider URLs: the same address, with the portal's bookkeeping around it.
    path("identity/o/api/token", views.token, name="ecosystem_token"),
]
