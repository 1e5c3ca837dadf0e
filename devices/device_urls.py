"""The device API (token), under /api/v1/device/: first in config/urls.py, since phones call it
far more often than people load pages."""

from django.urls import path

from devices.api import commands, locations, sign_in, sign_up

urlpatterns = [
    path("sign-in/", sign_in.SignInApi.as_view(), name="api_device_sign_in"),
    path("sign-in/second-factor/", sign_in.SecondFactorApi.as_view()),
    path("sign-up/captcha/", sign_up.CaptchaApi.as_view(), name="api_device_sign_up_captcha"),
    path("sign-up/code/", sign_up.SendCodeApi.as_view(), name="api_device_sign_up_code"),
    path("sign-up/", sign_up.CreateAccountApi.as_view(), name="api_device_sign_up"),
    path("locations/", locations.LocationsApi.as_view(), name="api_device_locations"),
    path("commands/", commands.PendingCommandsApi.as_view(), name="api_device_commands"),
    path("commands/<uuid:command_id>/ack/", commands.AcknowledgeApi.as_view()),
    path("commands/<uuid:command_id>/result/", commands.ResultApi.as_view()),
    path("find-device/", locations.FindDeviceApi.as_view()),
]
