"""An ID token for the device grant. allauth's provider answers the device grant (RFC 8628) with
access and refresh tokens only: oauthlib's device grant is plain OAuth 2. SPEC 12 wants a TV or
gadget that asked for `openid` to learn who signed in as any OpenID Connect app does, so the
token endpoint adds one, built the way oauthlib builds it for the code grant (audience, time,
the access token's hash) and signed by allauth's own validator (its issuer, claims and key)."""

import time

from allauth.idp.oidc.internal.oauthlib.request_validator import OAuthLibRequestValidator
from allauth.idp.oidc.models import Token
from oauthlib.common import Request
from oauthlib.openid.connect.core.grant_types.base import GrantTypeBase


def for_device_grant(*, token: Token, access_token: str) -> str:
    """The ID token of a device grant that issued `token` (the access token's record)."""
    request = Request(uri="")
    request.user, request.client = token.user, token.client
    request.client_id, request.scopes = token.client.id, token.get_scopes()
    claims = {
        "aud": token.client.id,
        "iat": int(time.time()),
        "at_hash": GrantTypeBase.id_token_hash(None, access_token),  # type: ignore[arg-type]
    }
    return OAuthLibRequestValidator().finalize_id_token(claims, {}, None, request)
