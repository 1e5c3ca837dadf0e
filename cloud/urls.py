from django.urls import path

from cloud import api, views

urlpatterns = [
    path("cloud/", views.home, name="cloud_home"),
    path("api/v1/cloud/sync-settings/", api.SyncSettingsApi.as_view(), name="api_cloud_sync"),
    path("api/v1/device/sync-settings/", api.DeviceSyncSettingsApi.as_view()),
    path("api/v1/device/sync-settings/applied/", api.DeviceSyncAppliedApi.as_view()),
    path("api/v1/device/storage/", api.DeviceStorageApi.as_view()),
    path("api/v1/device/deletions/<int:request_id>/confirm/", api.DeviceDeletionApi.as_view()),
]
