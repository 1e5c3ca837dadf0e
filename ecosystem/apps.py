from django.apps import AppConfig


class EcosystemConfig(AppConfig):
    """Ecosystem sign-in: the portal as the OpenID Connect provider of the ecosystem's other
    apps (allauth.idp.oidc), and the person's view of the apps with access."""

    name = "ecosystem"

    def ready(self) -> None:
        from ecosystem import signals  # noqa: F401 - connects the receivers
        from ecosystem.signing import parse_keys_once

        parse_keys_once()
