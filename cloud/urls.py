from django.urls import path

from cloud import api, views

urlpatterns = [
    path("cloud/", views.home, name="cloud_home"),
    path("api/v1/cloud/sync-settings/", api.SyncSettingsApi.as_view(), name="api_cloud_sync"),
]
