"""The device API (token), under /api/v1/device/: first in config/urls.py, since phones call it
far more often than people load pages."""

from django.urls import path

from devices import api

urlpatterns = [
    path("sign-in/", api.SignInApi.as_view(), name="api_device_sign_in"),
    path("sign-in/second-factor/", api.SecondFactorApi.as_view()),
    path("locations/", api.LocationsApi.as_view(), name="api_device_locations"),
    path("commands/", api.PendingCommandsApi.as_view(), name="api_device_commands"),
    path("commands/<uuid:command_id>/ack/", api.AcknowledgeApi.as_view()),
    path("commands/<uuid:command_id>/result/", api.ResultApi.as_view()),
    path("find-device/", api.FindDeviceApi.as_view()),
]
