"""Pages anyone can read: the home page and the legal texts; the language switcher, and the
account page's time zone."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from accounts.forms.time_zone import TimeZoneForm
from accounts.languages import remember_language
from accounts.time_zones import remember_time_zone, time_zone_of
from accounts.views.security import account_home


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("account_home")
    return render(request, "home.html")


def not_yet(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """allauth's email and phone management pages, closed until the account page manages the
    recovery email and phone itself (they would skip the portal's checks on numbers)."""
    raise Http404


def terms(request: HttpRequest) -> HttpResponse:
    return render(request, "legal/terms.html")


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "legal/privacy.html")


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the language cookie, then back to `next`); a signed-in person's
    choice is also kept on their account, for their next visits and their messages."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and check_for_language(language):
        remember_language(user=request.user, language=language)
    return response


@login_required
@require_POST
def change_time_zone(request: HttpRequest) -> HttpResponse:
    """The account page's time zone form: the zone is kept on the account, and every later page
    and notice writes times in it. A zone not known is said on the account page, beside the
    list."""
    form = TimeZoneForm(request.POST, current=time_zone_of(request.user))
    if not form.is_valid():
        response = account_home(request, time_zone_form=form)
        response.status_code = 400
        return response
    zone = form.cleaned_data["time_zone"]
    remember_time_zone(user=request.user, time_zone=zone)
    flash.success(request, _("Times are now written in the time zone %(zone)s.") % {"zone": zone})
    return redirect("account_home")
