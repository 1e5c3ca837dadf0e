"""allauth's OpenID Connect provider, as the portal shapes it (SPEC 12): the subject is the
account ID, the claims are the portal's phone, email and language, the issuer is the portal's
public address, and the consent page says what an app will see in plain words."""

import secrets
from collections.abc import Iterable
from typing import Any, Literal

from allauth.account.models import EmailAddress
from allauth.idp.oidc.adapter import DefaultOIDCAdapter
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class PortalOIDCAdapter(DefaultOIDCAdapter):
    scope_display = {
        "openid": _("Your account ID"),
        "phone": _("Your phone number"),
        "email": _("Your email address"),
        "profile": _("Your name and language"),
    }

    def generate_client_secret(self) -> str:
        """48 URL-safe characters: pasted into an app's settings as they are."""
        return secrets.token_urlsafe(36)

    def get_issuer(self) -> str:
        return settings.PUBLIC_BASE_URL

    def get_user_sub(self, client, user) -> str:
        """The account ID: stable, never reused, the same for every app."""
        return user.account_id

    def get_user_by_sub(self, client, sub: str) -> User | None:
        return User.objects.filter(account_id=sub, is_active=True).first()

    def get_claims(
        self,
        purpose: Literal["id_token", "userinfo"],
        user,
        client,
        scopes: Iterable[str],
        email: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        scopes = set(scopes)
        claims: dict[str, Any] = {"sub": self.get_user_sub(client, user)}
        if "phone" in scopes and user.phone:
            # A number is proven by a code before the account keeps it.
            claims |= {"phone_number": user.phone.as_e164, "phone_number_verified": True}
        if "email" in scopes and user.email:
            claims |= {
                "email": user.email,
                "email_verified": EmailAddress.objects.filter(
                    user=user, email__iexact=user.email, verified=True
                ).exists(),
            }
        if "profile" in scopes and user.language:
            claims["locale"] = user.language
        return claims
