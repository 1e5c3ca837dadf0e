"""The ecosystem's doors beside allauth's provider: its token endpoint with the portal's
bookkeeping around it (limits, access records, reused refresh tokens), and the person's apps
page."""

import json
import time
from typing import cast

from allauth.core.internal import ratelimit
from allauth.idp.oidc import views as provider
from allauth.idp.oidc.models import Client
from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.models import User
from ecosystem import access, id_tokens
from ecosystem.actions import SCOPES
from ecosystem.adapter import PortalOIDCAdapter
from ecosystem.models import AppAccess

_FAILURES = "token_failed"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _failure_limits() -> dict[str, str]:
    return {_FAILURES: f"{settings.OIDC_TOKEN_FAILURES_PER_IP_PER_MINUTE}/m/ip"}


def _token_error(error: str, description: str, status: int) -> JsonResponse:
    return JsonResponse({"error": error, "error_description": description}, status=status)


@csrf_exempt
def token(request: HttpRequest) -> HttpResponse:
    """allauth's token endpoint. Before it: an IP with too many failed requests waits, and a
    refresh token exchanged before ends its grant. After it: the grant or its use is recorded
    (ecosystem.access)."""
    if request.method != "POST":
        return provider.token(request)
    common = {"app": "ecosystem", "action": _FAILURES, "config": _failure_limits()}
    if _failed_too_often(request, **common):
        return _token_error("too_many_requests", "Too many failed requests: wait a minute.", 429)
    grant = request.POST.get("grant_type", "")
    refresh_token = request.POST.get("refresh_token") if grant == "refresh_token" else None
    if refresh_token and access.refresh_token_reused(request, refresh_token=refresh_token):
        ratelimit.consume(request, **common)
        return _token_error(
            "invalid_grant", "This refresh token was used before: sign in again.", 400
        )
    response = provider.token(request)
    if response.status_code == 200:
        body = json.loads(response.content)
        issued = access.record_tokens_issued(
            request,
            grant=grant,
            access_token=body["access_token"],
            exchanged_refresh_token=refresh_token,
        )
        if grant == DEVICE_GRANT and issued and "openid" in issued.get_scopes():
            body["id_token"] = id_tokens.for_device_grant(
                token=issued, access_token=body["access_token"]
            )
            response.content = json.dumps(body).encode()
    elif response.status_code >= 400 and not _still_waiting(response):
        ratelimit.consume(request, **common)
    return response


def _failed_too_often(request: HttpRequest, **common) -> bool:
    """Whether this IP used up its failed token requests. Read without allauth's lock: a check
    that writes nothing needs none, and allauth's `consume(dry_run=True)` answers "limited" when
    it cannot take the lock within a second, which an app's servers refreshing many tokens from
    one IP made happen (16 at once refused now and then), as does a Redis that is away."""
    now = time.time()
    for rate in ratelimit.get_rates(
        app=common["app"], action=common["action"], config=common["config"]
    ):
        key = ratelimit.get_cache_key(
            request, app=common["app"], action=common["action"], rate=rate
        )
        allowed, _ = ratelimit.apply_rate(list(cache.get(key, [])), now, rate, dry_run=True)
        if not allowed:
            return True
    return False


def _still_waiting(response: HttpResponse) -> bool:
    """A device polling while the person decides is not failing."""
    try:
        error = json.loads(response.content).get("error")
    except ValueError:
        return False
    return error in ("authorization_pending", "slow_down")


@login_required
@require_http_methods(["GET", "POST"])
def apps(request: HttpRequest) -> HttpResponse:
    """Apps with access to the account: what each sees, since when, last used; Remove access."""
    user = cast(User, request.user)
    if request.method == "POST":
        client = Client.objects.filter(pk=request.POST.get("app", "")).first()
        if client is not None and access.remove_access(request, user=user, client=client):
            flash.success(
                request,
                _("%(app)s no longer has access to your account.") % {"app": client.name},
            )
        else:
            flash.error(request, _("That app has no access to your account."))
        return redirect("connected_apps")
    shown = PortalOIDCAdapter.scope_display
    accesses = [
        {
            "access": entry,
            "sees": [shown[scope] for scope in SCOPES if scope in entry.scopes],
        }
        for entry in AppAccess.objects.filter(user=user)
        .select_related("client")
        .order_by("-last_used_at")
    ]
    return render(request, "ecosystem/apps.html", {"accesses": accesses})
