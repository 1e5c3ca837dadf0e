"""Cloud pages."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

CATEGORIES = [
    "Gallery",
    "Contacts",
    "Messages",
    "Call history",
    "Notes",
    "Recorder",
    "Calendar",
    "Wi-Fi",
    "Browser",
]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "cloud/home.html", {"categories": CATEGORIES})
