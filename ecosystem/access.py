"""An app's access to an account, one function per rule, called by every door (the token
endpoint, the apps page, and staff's actions through the accounts signal):

- `record_tokens_issued`: a grant (the person allowed the app, on the consent page or for a
  device) is logged, and the first one for an app sends a notice; a refresh marks it used and
  retires the exchanged refresh token.
- `refresh_token_reused`: a retired refresh token shown again ends every token of the grant.
- `remove_access`: the person's "Remove access".
- `end_all_access`: every app of the account, at once (suspended, banned, signed out
  everywhere by staff, a password reset).
"""

from datetime import timedelta

from allauth.idp.oidc.adapter import get_adapter
from allauth.idp.oidc.models import Client, Token
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts import outgoing
from accounts.models import SecurityEvent, User
from accounts.security_log import record_event
from ecosystem.models import AppAccess, RetiredRefreshToken

Kind = SecurityEvent.Kind
GRANTS = ("authorization_code", "urn:ietf:params:oauth:grant-type:device_code")


def _hash(token: str) -> str:
    return get_adapter().hash_token(token)


@transaction.atomic
def record_tokens_issued(
    request: HttpRequest, *, grant: str, access_token: str, exchanged_refresh_token: str | None
) -> Token | None:
    """After the token endpoint issued `access_token` by `grant`; returns its record (None
    for an app acting for itself)."""
    token = (
        Token.objects.select_related("client", "user")
        .filter(type=Token.Type.ACCESS_TOKEN, hash=_hash(access_token))
        .first()
    )
    if token is None or token.user is None or token.client is None:
        return None  # an app acting for itself (client credentials): nobody's access
    user, client, now = token.user, token.client, timezone.now()
    granted = grant in GRANTS
    fields = {"last_used_at": now}
    if granted:
        fields |= {"scopes": token.get_scopes(), "allowed_at": now}
    # A refresh (the common case) finds its row: one UPDATE. A first grant makes it.
    created = False
    if not AppAccess.objects.filter(user=user, client=client).update(**fields):
        _, created = AppAccess.objects.get_or_create(
            user=user, client=client, defaults={"scopes": token.get_scopes(), "allowed_at": now}
        )
    if granted:
        record_event(user=user, kind=Kind.APP_ALLOWED, request=request, app=client.name)
    if created:
        outgoing.send_security_notice(
            user=user, notice="app_allowed", context={"app": client.name, "when": now}
        )
    if exchanged_refresh_token:
        # Just exchanged, so new here: one INSERT (a repeat is ignored, never an error).
        lifetime = settings.IDP_OIDC_REFRESH_TOKEN_EXPIRES_IN or 365 * 24 * 60 * 60
        RetiredRefreshToken.objects.bulk_create(
            [
                RetiredRefreshToken(
                    hash=_hash(exchanged_refresh_token),
                    user=user,
                    client=client,
                    expires_at=now + timedelta(seconds=lifetime),
                )
            ],
            ignore_conflicts=True,
        )
    return token


@transaction.atomic
def refresh_token_reused(request: HttpRequest, *, refresh_token: str) -> bool:
    """Whether `refresh_token` was exchanged before; if so the grant ends: its app gets no
    token for this account until the person signs in to it again."""
    retired = (
        RetiredRefreshToken.objects.select_related("user", "client")
        .filter(hash=_hash(refresh_token), expires_at__gt=timezone.now())
        .first()
    )
    if retired is None:
        return False
    _end(retired.user, retired.client)
    record_event(
        user=retired.user, kind=Kind.APP_ACCESS_ENDED, request=request, app=retired.client.name
    )
    return True


@transaction.atomic
def remove_access(request: HttpRequest, *, user: User, client: Client) -> bool:
    """The person removes an app's access: its tokens end at once. False if it had none."""
    if not AppAccess.objects.filter(user=user, client=client).exists():
        return False
    _end(user, client)
    record_event(user=user, kind=Kind.APP_REMOVED, request=request, app=client.name)
    outgoing.send_security_notice(
        user=user, notice="app_removed", context={"app": client.name, "when": timezone.now()}
    )
    return True


def end_all_access(user: User) -> None:
    """Every app of the account lets go of it (staff's actions, a password reset)."""
    Token.objects.filter(user=user).delete()
    AppAccess.objects.filter(user=user).delete()
    RetiredRefreshToken.objects.filter(user=user).delete()


def _end(user: User, client: Client) -> None:
    Token.objects.filter(user=user, client=client).delete()
    AppAccess.objects.filter(user=user, client=client).delete()
    RetiredRefreshToken.objects.filter(user=user, client=client).delete()


def forget_retired_tokens() -> int:
    deleted, _ = RetiredRefreshToken.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
