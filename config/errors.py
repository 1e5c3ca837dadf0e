"""Error pages that need nothing that may be failing: no database, no session, no user.

A request that meets a database which is away (restarting, failing over) gets a 503 with
Retry-After and words a person understands, instead of a 500; the portal reconnects by itself
on a later request (CONN_HEALTH_CHECKS).
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

RETRY_AFTER_SECONDS = 30


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it inside the `except` that caught the error."""
    error = sys.exc_info()[1]
    unavailable = isinstance(error, OperationalError | InterfaceError)
    status = 503 if unavailable else 500
    if unavailable:
        message = _("The portal is briefly unavailable. Nothing was lost: try again in a minute.")
    else:
        message = _("Something went wrong on our side. Nothing was lost: please try again.")
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=status)
    else:
        page = render_to_string("error.html", {"status": status, "message": message})
        response = HttpResponse(page, status=status)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
