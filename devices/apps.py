from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "devices"

    def ready(self) -> None:
        from devices import signals  # noqa: F401 - connects the receivers
