"""Moderation in admin: the form that asks for a reason, and the list's bulk actions."""

from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import ModerationAction

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


Action = ModerationAction.Action


class ModerationForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
        help_text=_("Why. Kept in the moderation log."),
    )
    share_reason = forms.BooleanField(
        required=False,
        label=_("Tell the person this reason"),
        help_text=_(
            "Shown in their security log, and in the notice and on the sign-in page "
            "where the action has them."
        ),
    )
    # Read in the staff member's own time zone (AccountTimeZoneMiddleware), as admin shows times.
    until = forms.DateTimeField(required=False, label=_("Suspended until"))

    def __init__(self, *args, action: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if action != Action.SUSPEND:
            del self.fields["until"]
        else:
            self.fields["until"].help_text = _(
                "In your time zone, %(zone)s. Empty: until reinstated. Format: 2026-12-31 18:00"
            ) % {"zone": timezone.get_current_timezone_name()}

    def clean_until(self):
        until = self.cleaned_data.get("until")
        if until is not None and until <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future."))
        return until


def bulk_action(action: str, label: "StrOrPromise"):
    def run(modeladmin, request, queryset):
        return modeladmin.moderation_page(request, action, queryset)

    run.__name__ = f"moderate_{action}"
    return admin.action(description=label, permissions=["moderate"])(run)


MODERATION_LABELS = {
    Action.SUSPEND: _("Suspend"),
    Action.BAN: _("Ban"),
    Action.REINSTATE: _("Reinstate"),
    Action.REQUIRE_PASSWORD_RESET: _("Require a password reset"),
    Action.RESET_SECOND_FACTOR: _("Reset two-factor"),
    Action.END_SESSIONS: _("Sign out everywhere"),
}
