"""Pages anyone can read: the home page and the legal texts."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render


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
