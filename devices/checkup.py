"""Find Device's parts of the account page: its checkup step, and the devices signed in."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.checkup import Step
from devices.models import Device


def find_device(user) -> Step:
    devices = list(
        Device.objects.filter(user=user, token_revoked_at=None).values_list(
            "find_device_enabled", flat=True
        )
    )
    on = sum(devices)
    if on:
        state = ngettext("On for %(count)d device", "On for %(count)d devices", on) % {"count": on}
    elif devices:
        state = _("Off on your devices")
    else:
        state = _("No device yet")
    return Step(
        title=_("Find Device"),
        done=bool(on),
        state=state,
        action=_("Manage") if on else _("Set up"),
        url=reverse("devices_home"),
        group="devices",
    )


def signed_in_devices(user) -> list[dict]:
    """Phones and tablets holding a token of this account, for the sessions page."""
    return [
        {
            "name": device.name,
            "model": device.model,
            "last_seen_at": device.last_seen_at,
            "sign_out_url": reverse("device_sign_out", args=[device.public_id]),
        }
        for device in Device.objects.filter(user=user, token_revoked_at=None).order_by(
            "-last_seen_at"
        )
    ]
