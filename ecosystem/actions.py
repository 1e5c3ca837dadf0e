"""Registering an app of the ecosystem: one function for `manage.py register_app` (and
whatever else registers apps), so every app gets the same scopes, grants and checks."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.idp.oidc.adapter import get_adapter
from allauth.idp.oidc.models import Client
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

# What an app may ask to see (SPEC 12).
SCOPES = ["openid", "phone", "email", "profile"]
Grant = Client.GrantType


@dataclass(frozen=True)
class Registered:
    client: Client
    secret: str | None  # shown once, for a confidential app; stored only hashed


def check_redirect_uri(uri: str) -> None:
    """An app's redirect URI: https, or http to the app's own machine (a native app's
    loopback, RFC 8252); no fragment, no wildcard. It is then matched exactly."""
    parts = urlsplit(uri)
    loopback = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")
    if not (parts.scheme == "https" or loopback) or not parts.netloc:
        raise ValidationError(
            _("%(uri)s: a redirect URI must be https:// (or http:// to 127.0.0.1).") % {"uri": uri}
        )
    if parts.fragment or "*" in uri:
        raise ValidationError(_("%(uri)s: no fragment (#) and no wildcard (*).") % {"uri": uri})


@transaction.atomic
def register_app(
    *,
    name: str,
    redirect_uris: list[str],
    public: bool = False,
    first_party: bool = False,
    device_grant: bool = False,
    logo: str = "",
) -> Registered:
    """Register an app. Raises ValidationError with a message a person understands."""
    client = Client()
    configure_app(
        client,
        name=name,
        redirect_uris=redirect_uris,
        public=public,
        first_party=first_party,
        device_grant=device_grant,
        logo=logo,
    )
    secret = None if public else new_secret(client)
    client.save()
    return Registered(client=client, secret=secret)


def new_secret(client: Client) -> str:
    """A new secret for a confidential app: returned to be shown once, kept only hashed."""
    secret = get_adapter().generate_client_secret()
    client.set_secret(secret)
    return secret


def configure_app(
    client: Client,
    *,
    name: str,
    redirect_uris: list[str],
    public: bool,
    first_party: bool,
    device_grant: bool,
    logo: str = "",
) -> None:
    """Set what staff decide about an app (new or registered), checked; not saved. Every app
    may ask for the same scopes, answers with codes, and may refresh its tokens."""
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the app a name."))
    if not redirect_uris and not device_grant:
        raise ValidationError(
            _("Give at least one redirect URI, or allow the device grant (--device-grant).")
        )
    for uri in redirect_uris:
        check_redirect_uri(uri)
    grants = [Grant.REFRESH_TOKEN]
    if redirect_uris:
        grants.insert(0, Grant.AUTHORIZATION_CODE)
    if device_grant:
        grants.insert(0, Grant.DEVICE_CODE)
    client.name = name
    client.type = Client.Type.PUBLIC if public else Client.Type.CONFIDENTIAL
    client.skip_consent = first_party
    client.allow_uri_wildcards = False
    client.set_redirect_uris(redirect_uris)
    client.set_scopes(SCOPES)
    client.set_default_scopes(["openid"])
    client.set_grant_types([str(grant) for grant in grants])
    client.set_response_types(["code"])
    client.data = {**(client.data or {}), "logo": logo} if logo else client.data
    client.full_clean(exclude=["secret", "id"])


def logo_of(client: Client) -> str:
    """The app's logo as a data: URI (a PNG made from what staff uploaded), or ""."""
    return (client.data or {}).get("logo", "") if isinstance(client.data, dict) else ""
