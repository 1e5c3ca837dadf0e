"""Cloud sync's part of the device API (token), under /api/v1/device/ (config/urls.py)."""

from django.urls import path

from cloud import api

urlpatterns = [
    path("sync-settings/", api.DeviceSyncSettingsApi.as_view()),
    path("sync-settings/applied/", api.DeviceSyncAppliedApi.as_view()),
    path("storage/", api.DeviceStorageApi.as_view()),
    path("deletions/<int:request_id>/confirm/", api.DeviceDeletionApi.as_view()),
]
