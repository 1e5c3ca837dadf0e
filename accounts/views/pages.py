"""Pages anyone can read: the home page and the legal texts; the language switcher."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import check_for_language
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from accounts.languages import remember_language


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
