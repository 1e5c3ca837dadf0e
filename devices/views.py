"""Find Device pages: the list of devices, and a page per device with its last location on a
map and the buttons Locate, Ring, Lock and Erase. Every button is a plain form (works without
JavaScript); with JavaScript the page sends them through the portal API and follows the
commands' states without a reload."""

import uuid
from typing import cast

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
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
            "device": device,
            "commands": device.commands.order_by("-created_at")[:10],
            "keys": {kind: uuid.uuid4() for kind in ("locate", "ring", "lock")},
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
            # What device.js writes when a command changes, in the page's language.
            "command_labels": {
                "kinds": {kind.value: str(kind.label) for kind in Command.Kind},
                "states": {state.value: str(state.label) for state in Command.State},
                # The map's own controls, which Leaflet names in English.
                "map": {
                    "zoom_in": _("Zoom in"),
                    "zoom_out": _("Zoom out"),
                    "marker": _("Where the device was"),
                },
            },
        },
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
