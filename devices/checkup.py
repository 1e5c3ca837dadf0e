"""The Find Device step of the security checkup on /account/."""

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.checkup import Step


def find_device(user) -> Step:
    return Step(
        title=_("Find Device"),
        done=False,
        state=_("No device yet"),
        action=_("Set up"),
        url=reverse("devices_home"),
    )
