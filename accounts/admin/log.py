"""The moderation log in admin (read-only)."""

from typing import TYPE_CHECKING

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.models import ModerationAction
from verification.admin import ReadOnlyAdmin

if TYPE_CHECKING:
    pass


@admin.register(ModerationAction)
class ModerationActionAdmin(ReadOnlyAdmin):
    """The moderation log: read-only."""

    list_display = ["created_at", "action", "user", "actor", "short_reason", "shared_with_user"]
    list_filter = [
        "action",
        "shared_with_user",
        "created_at",
        ("actor", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["user__account_id", "actor__account_id", "actor__email"]
    list_select_related = ["user", "actor"]
    fields = (
        "created_at",
        "action",
        "user",
        "actor",
        "reason",
        "shared_with_user",
        "suspended_until",
    )
    readonly_fields = fields

    @admin.display(description=_("reason"))
    def short_reason(self, entry: ModerationAction) -> str:
        return entry.reason[:80]


# allauth's own admin pages for authenticators and sessions would show encrypted secrets and
# let staff edit sessions; the account page shows what staff need of them instead.
for model in (Authenticator, UserSession):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
