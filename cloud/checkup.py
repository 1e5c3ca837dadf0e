"""The cloud-sync step of the security checkup on /account/."""

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.checkup import Step


def cloud_sync(user) -> Step:
    # Sync switches live on devices' accounts; none can report one yet, so sync is off.
    return Step(
        title=_("Cloud sync"),
        done=False,
        state=_("Off"),
        action=_("Set up"),
        url=reverse("cloud_home"),
    )
