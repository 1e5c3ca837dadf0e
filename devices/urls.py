from django.urls import path

from devices import views
from devices.api import commands, portal

urlpatterns = [
    path("devices/", views.device_list, name="devices_home"),
    path("devices/<uuid:device_id>/", views.device_detail, name="device_detail"),
    path("devices/<uuid:device_id>/status/", views.device_status, name="device_status"),
    path("devices/<uuid:device_id>/command/", views.issue_command, name="device_command"),
    path("devices/<uuid:device_id>/erase/", views.erase, name="device_erase"),
    path("devices/<uuid:device_id>/remove/", views.remove, name="device_remove"),
    path("devices/<uuid:device_id>/sign-out/", views.sign_out, name="device_sign_out"),
    # Portal API (session)
    path("api/v1/devices/", portal.DevicesApi.as_view(), name="api_devices"),
    path("api/v1/devices/<uuid:device_id>/", portal.DeviceDetailApi.as_view(), name="api_device"),
    path("api/v1/devices/<uuid:device_id>/commands/", commands.DeviceCommandsApi.as_view()),
    path("api/v1/commands/<uuid:command_id>/", commands.CommandDetailApi.as_view()),
    path("api/v1/commands/<uuid:command_id>/cancel/", commands.CancelCommandApi.as_view()),
]
