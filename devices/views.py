"""Find Device pages: the list of devices, and a page per device with its last location on a
map and the buttons Locate, Ring, Lock and Erase. Every button is a plain form (works without
JavaScript); with JavaScript the page sends them through the portal API and follows the
commands' states and the location without a reload, fetching those parts of the page again
(`device_status`)."""

import uuid
from typing import cast

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.rules import reauth
from devices import commands, enrolment
from devices.models import Command, Device


def _owned(request: HttpRequest, device_id) -> Device:
    return get_object_or_404(
        Device.objects.select_related("user"), public_id=device_id, user=request.user
    )


@login_required
def device_list(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # login_required
    devices = Device.objects.filter(user=user).order_by("-last_seen_at", "name")
    return render(request, "devices/home.html", {"devices": devices, "debug": settings.DEBUG})


@login_required
def device_detail(request: HttpRequest, device_id) -> HttpResponse:
    device = _owned(request, device_id)
    return render(
        request,
        "devices/detail.html",
        {
            **_status(device),
            "keys": {kind: uuid.uuid4() for kind in ("locate", "ring", "lock")},
            "tile_url": settings.MAP_TILE_URL,
            # The map's own words, which Leaflet writes in English, in the page's language.
            "map_words": {
                "zoom_in": _("Zoom in"),
                "zoom_out": _("Zoom out"),
                "marker": _("Where the device was"),
                "prefix": format_html(
                    '<a href="https://leafletjs.com" title="{}">Leaflet</a>',
                    _("A JavaScript library for interactive maps"),
                ),
                "attribution": _tile_credit(),
            },
        },
    )


@never_cache
def device_status(request: HttpRequest, device_id) -> HttpResponse:
    """What the page's script fetches every few seconds to follow the device: the same parts
    of the page, rendered the same way (so every time on it is written by the server, in one
    format). Signed out, a 401 rather than the sign-in page, so the script stops asking."""
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    return render(request, "devices/_status.html", _status(_owned(request, device_id)))


def _status(device: Device) -> dict:
    """The parts of the device page that change while it is open: the last location, and the
    recent commands, each with where it stands and since when (devices.commands.progress)."""
    now = timezone.now()
    rows = []
    for command in device.commands.order_by("-created_at")[:10]:
        state, since = commands.progress(command, now=now)
        rows.append(
            {
                "command": command,
                "state": state,
                "label": Command.State(state).label,
                "since": since,
            }
        )
    return {"device": device, "command_rows": rows}


# The default tile server's credit, which its licence asks for, linked to its terms.
_OPENSTREETMAP_CREDIT = "© OpenStreetMap contributors"


def _tile_credit() -> str:
    """The tile server's credit under the map: OpenStreetMap's in the page's language (the ©
    and the name stay, as its licence asks), another server's as configured."""
    if settings.MAP_TILE_ATTRIBUTION != _OPENSTREETMAP_CREDIT:
        return settings.MAP_TILE_ATTRIBUTION
    return format_html(
        '© <a href="https://www.openstreetmap.org/copyright">{}</a>',
        _("OpenStreetMap contributors"),
    )


@login_required
@require_POST
def issue_command(request: HttpRequest, device_id) -> HttpResponse:
    """Locate, Ring and Lock from the page's forms (Erase has its own page)."""
    device = _owned(request, device_id)
    kind = request.POST.get("kind", "")
    if kind not in (Command.Kind.LOCATE, Command.Kind.RING, Command.Kind.LOCK):
        flash.error(request, _("Choose Locate, Ring or Lock."))
        return redirect("device_detail", device_id=device_id)
    payload = {"message": request.POST.get("message", ""), "phone": request.POST.get("phone", "")}
    if _issued(request, device, kind, payload):
        flash.success(request, _("Sent. The device does it when it next goes online."))
    return redirect("device_detail", device_id=device_id)


def _issued(request: HttpRequest, device: Device, kind: str, payload: dict) -> bool:
    """Issue the command through devices.commands; on a refusal, say why. False if refused."""
    try:
        commands.issue_command(
            device=device,
            by=request.user,  # type: ignore[arg-type]
            kind=kind,
            payload=payload,
            idempotency_key=_form_key(request),
            request=request,
        )
    except commands.CommandRefused as refused:
        flash.error(request, _refusal_text(refused.reason))
        return False
    except commands.BadPayload as bad:
        flash.error(request, bad.message)
        return False
    except commands.KeyUsedElsewhere:
        flash.error(request, _("This form was already sent. Reload the page and try again."))
        return False
    return True


def _refusal_text(reason: str) -> str:
    if reason == "erased":
        return _("This device was erased: it takes no more commands.")
    return _("Confirm it's you first.")


def _form_key(request: HttpRequest) -> str:
    """The form's one-time key: a double-submitted form makes one command."""
    key = request.POST.get("idempotency_key", "")
    try:
        return str(uuid.UUID(key))
    except ValueError:
        return ""


@login_required
def erase(request: HttpRequest, device_id) -> HttpResponse:
    """The Erase page: confirm, then Erase. An erased device takes no more commands, and Erase
    needs the second factor confirmed first (devices.commands.refusal)."""
    device = _owned(request, device_id)
    reason = commands.refusal(device=device, kind=Command.Kind.ERASE, request=request)
    if reason == "erased":
        flash.error(request, _refusal_text(reason))
        return redirect("device_detail", device_id=device_id)
    if reason == "confirm":
        return redirect(reauth.reauthentication_url(request.get_full_path(), second_factor=True))
    if request.method == "POST" and request.POST.get("confirm") == "erase":
        if _issued(request, device, Command.Kind.ERASE, {}):
            flash.success(request, _("Erase sent. The device is wiped when it next goes online."))
        return redirect("device_detail", device_id=device_id)
    return render(request, "devices/erase.html", {"device": device, "key": uuid.uuid4()})


@login_required
def remove(request: HttpRequest, device_id) -> HttpResponse:
    """The Remove page: confirm it's you first (devices.enrolment.removal_needs_confirmation),
    then Remove."""
    device = _owned(request, device_id)
    if enrolment.removal_needs_confirmation(request):
        return redirect(reauth.reauthentication_url(request.get_full_path(), second_factor=True))
    if request.method == "POST" and request.POST.get("confirm") == "remove":
        enrolment.remove_device(device=device, request=request)
        flash.success(request, _("Device removed."))
        return redirect("devices_home")
    return render(request, "devices/remove.html", {"device": device})


@login_required
@require_POST
def sign_out(request: HttpRequest, device_id) -> HttpResponse:
    """Revoke the device's token: it must sign in again (it stays on the account)."""
    enrolment.sign_out_device(device=_owned(request, device_id), request=request)
    flash.success(request, _("The device was signed out."))
    return redirect("sessions")
