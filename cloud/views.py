"""The /cloud/ page: a switch per category (each its own small form, so it works without
JavaScript; with it, a switch saves without a reload) and the storage each category uses."""

from typing import cast

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from cloud import actions
from cloud.models import Category

WARN_AT = 0.9
TURNED_OFF = {
    "delete": gettext_lazy(
        "%(label)s sync is off. What is stored is deleted when your devices next check in."
    ),
    "keep": gettext_lazy("%(label)s sync is off. What is stored stays."),
    "nothing": gettext_lazy("%(label)s sync is off."),
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    if request.method == "POST":
        category = request.POST.get("category", "")
        if category not in Category.values:
            flash.error(request, _("Choose a category from the list."))
            return redirect("cloud_home")
        enabled = request.POST.get("enabled") == "on"
        if not enabled and actions.switches(user)[category]:
            data = request.POST.get("data")
            if data not in ("keep", "delete") and not actions.used_by_category(user)[category]:
                data = "nothing"  # nothing stored: nothing to ask about
            if data not in ("keep", "delete", "nothing"):
                # Turning a category off: first ask what becomes of what is stored.
                return render(
                    request,
                    "cloud/turn_off.html",
                    {"category": category, "label": Category(category).label},
                )
            actions.change_switches(
                user=user,
                changes={category: False},
                delete={category} if data == "delete" else set(),
                request=request,
            )
            flash.success(request, TURNED_OFF[data] % {"label": Category(category).label})
        else:
            actions.change_switches(user=user, changes={category: enabled}, request=request)
        return redirect("cloud_home")
    return render(request, "cloud/home.html", page_context(user))


def page_context(user: User) -> dict:
    account = actions.cloud_account(user)
    used = actions.used_by_category(user)
    total = sum(used.values())
    quota = account.quota
    switches = actions.switches(user)
    deleting = actions.pending_deletions(user)
    rows = [
        {
            "category": category.value,
            "label": category.label,
            "enabled": switches[category.value],
            "deleting": category.value in deleting,
            "used": used[category.value],
            "percent": min(100.0, 100.0 * used[category.value] / quota) if quota else 0,
        }
        for category in Category
    ]
    return {
        "rows": rows,
        "used": total,
        "quota": quota,
        "free": max(0, quota - total),
        "percent": min(100.0, 100.0 * total / quota) if quota else 0,
        "nearly_full": total >= WARN_AT * quota,
        "over": total > quota,
        "any_on": any(switches.values()),
    }
