"""Moderation: what staff do to an account, each with a reason, in the moderation log and in
the person's own security log ("Action by support", with the reason when staff share it)."""

from datetime import datetime

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts import outgoing
from accounts.models import ModerationAction, SecurityEvent, SmsSecondFactor, User
from accounts.security_log import record_event
from accounts.signals import signed_out_everywhere

Action = ModerationAction.Action

NOTICES: dict[str, str] = {
    Action.SUSPEND: "account_suspended",
    Action.BAN: "account_banned",
    Action.REINSTATE: "account_reinstated",
    Action.REQUIRE_PASSWORD_RESET: "password_reset_required",
    Action.RESET_SECOND_FACTOR: "second_factor_reset",
}


# What ends the device tokens too. A reset second factor (the person lost their phone) keeps
# them: Find Device may be what finds it.
SIGNED_OUT_EVERYWHERE = (
    Action.SUSPEND,
    Action.BAN,
    Action.END_SESSIONS,
    Action.REQUIRE_PASSWORD_RESET,
)


def end_all_sessions(user: User) -> None:
    for session in UserSession.objects.filter(user=user):
        session.end()


@transaction.atomic
def may_moderate(actor: User, user: User) -> bool:
    """Whether `actor` (who holds the moderate permission) may act on `user`: staff accounts
    only by superusers. Admin asks it before showing a form, and `moderate` before acting."""
    return actor.is_superuser or not (user.is_staff or user.is_superuser)


def moderate(
    *,
    user: User,
    actor: User,
    action: str,
    reason: str,
    share_reason: bool = False,
    until: datetime | None = None,
    request: HttpRequest | None = None,
) -> ModerationAction:
    """Apply one moderation action. Only superusers may act on staff accounts."""
    if not may_moderate(actor, user):
        raise PermissionDenied("Only superusers can moderate staff accounts.")
    reason = reason.strip()
    if not reason:
        raise ValueError("A moderation action needs a reason.")
    shared = reason if share_reason else ""
    fields: list[str] = []
    if action in (Action.SUSPEND, Action.BAN):
        user.status = User.Status.SUSPENDED if action == Action.SUSPEND else User.Status.BANNED
        user.suspended_until = until if action == Action.SUSPEND else None
        user.status_message = shared
        fields = ["status", "suspended_until", "status_message"]
    elif action == Action.REINSTATE:
        user.status, user.suspended_until, user.status_message = User.Status.ACTIVE, None, ""
        fields = ["status", "suspended_until", "status_message"]
    elif action == Action.REQUIRE_PASSWORD_RESET:
        user.must_reset_password = True
        fields = ["must_reset_password"]
    elif action == Action.RESET_SECOND_FACTOR:
        Authenticator.objects.filter(user=user).delete()
        SmsSecondFactor.objects.filter(user=user).delete()
        user.must_set_up_second_factor = True
        fields = ["must_set_up_second_factor"]
    elif action != Action.END_SESSIONS:
        raise ValueError(f"unknown moderation action {action!r}")
    if fields:
        user.save(update_fields=fields)
    if action in SIGNED_OUT_EVERYWHERE or action == Action.RESET_SECOND_FACTOR:
        end_all_sessions(user)
    if action in SIGNED_OUT_EVERYWHERE:
        # Devices (and anything else holding credentials) let go of the account at once.
        signed_out_everywhere.send(sender=User, user=user)
    entry = ModerationAction.objects.create(
        user=user,
        actor=actor,
        action=action,
        reason=reason,
        shared_with_user=share_reason,
        suspended_until=user.suspended_until if action == Action.SUSPEND else None,
    )
    # The person's log shows what support did, never the staff member's IP or browser.
    record_event(
        user=user,
        kind=SecurityEvent.Kind.SUPPORT_ACTION,
        action=Action(action).label,
        reason=shared,
    )
    if action in NOTICES:
        outgoing.send_security_notice(
            user=user,
            notice=NOTICES[action],
            context={
                "reason": shared,
                "until": until or "",
                "when": timezone.now(),
            },
        )
    return entry
