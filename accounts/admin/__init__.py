"""Accounts in Django admin: find a person, judge the account at a glance, and moderate it.

Search takes a phone number in any format (matched in E.164), an email or an account ID.
Moderation actions (suspend, ban, reinstate, require a password reset, reset two-factor, end
sessions) ask for a reason, work on one account or many, and land in the moderation log and
the person's security log. Staff never see a password, code, secret or token.
"""

from accounts.admin import log, users
from accounts.admin.inlines import ReadOnlyInline
from accounts.admin.users import UserAdmin

__all__ = ["ReadOnlyInline", "UserAdmin", "log", "users"]
