"""Admin is for staff who signed in with their second factor.

Staff sign in through the portal's own sign-in (its limits, its second step); admin then also
requires that this session passed a second factor (at sign-in, or confirmed since: a trusted
browser skips the step at sign-in, so it is asked here), and sends staff without two-factor to
set it up first.
"""

from allauth.account.internal.flows.login import get_authentication_records
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.rules import reauth, standing
from accounts.rules.second_factor import second_factor_methods

_has_permission = admin.site.has_permission


def passed_second_factor(request: HttpRequest) -> bool:
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def has_admin_access(request: HttpRequest) -> bool:
    user = request.user
    return (
        _has_permission(request)
        and standing.may_act(user)  # type: ignore[arg-type]
        and bool(second_factor_methods(user))  # type: ignore[arg-type]
        and passed_second_factor(request)
    )


def admin_login(request: HttpRequest, extra_context=None) -> HttpResponse:
    """Admin's sign-in page, in the portal's hands."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    next_url = next_url or "/admin/"
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(next_url)
    if not (user.is_active and user.is_staff):
        return render(request, "admin/portal_no_access.html", {"reason": "staff"}, status=403)
    if not second_factor_methods(user):  # type: ignore[arg-type]
        return render(request, "admin/portal_no_access.html", {"reason": "2fa"}, status=403)
    if not passed_second_factor(request):
        return redirect(reauth.reauthentication_url(next_url, second_factor=True))
    return redirect(next_url)
