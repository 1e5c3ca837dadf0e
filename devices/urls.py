from django.urls import path

from devices import api, views

urlpatterns = [
    path("devices/", views.device_list, name="devices_home"),
    path("devices/<uuid:device_id>/", views.device_detail, name="device_detail"),
    path("devices/<uuid:device_id>/command/", views.issue_command, name="device_command"),
    path("devices/<uuid:device_id>/erase/", views.erase, name="device_erase"),
    path("devices/<uuid:device_id>/remove/", views.remove, name="device_remove"),
    path("devices/<uuid:device_id>/sign-out/", views.sign_out, name="device_sign_out"),
    # Device API (token)
    path("api/v1/device/sign-in/", api.SignInApi.as_view(), name="api_device_sign_in"),
    path("api/v1/device/sign-in/second-factor/", api.SecondFactorApi.as_view()),
    path("api/v1/device/locations/", api.LocationsApi.as_view(), name="api_device_locations"),
    path("api/v1/device/commands/", api.PendingCommandsApi.as_view(), name="api_device_commands"),
    path("api/v1/device/commands/<uuid:command_id>/ack/", api.AcknowledgeApi.as_view()),
    path("api/v1/device/commands/<uuid:command_id>/result/", api.ResultApi.as_view()),
    path("api/v1/device/find-device/", api.FindDeviceApi.as_view()),
    # Portal API (session)
    path("api/v1/devices/", api.DevicesApi.as_view(), name="api_devices"),
    path("api/v1/devices/<uuid:device_id>/", api.DeviceDetailApi.as_view(), name="api_device"),
    path("api/v1/devices/<uuid:device_id>/commands/", api.DeviceCommandsApi.as_view()),
    path("api/v1/commands/<uuid:command_id>/", api.CommandDetailApi.as_view()),
    path("api/v1/commands/<uuid:command_id>/cancel/", api.CancelCommandApi.as_view()),
]
