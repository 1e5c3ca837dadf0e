"""The cloud-sync step of the security checkup on /account/."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.checkup import Step
from cloud.actions import switches
from cloud.models import Category


def cloud_sync(user) -> Step:
    on = [Category(category).label for category, enabled in switches(user).items() if enabled]
    return Step(
        title=_("Cloud sync"),
        done=bool(on),
        state=_("On: %(categories)s")
        % {"categories": pgettext("list separator", ", ").join(str(c) for c in on)}
        if on
        else _("Off"),
        action=_("Manage") if on else _("Turn on"),
        url=reverse("cloud_home"),
        group="devices",
    )
