"""Accounts jobs: periodic ones (celery beat), and what a request leaves to the worker."""

from celery import shared_task
from django.utils.dateparse import parse_datetime

from accounts import security_log
from accounts.models import SecurityEvent
from accounts.rules import failed_passwords


@shared_task
def forget_old_sign_in_failures() -> int:
    return failed_passwords.forget_old_failures()


@shared_task
def record_failed_sign_ins(
    *, user_ids: list[int], locked_ids: list[int], ip: str | None, user_agent: str, at: str
) -> None:
    """The security log of a wrong password: "Failed sign-in" for each account it named, and
    "Sign-in locked" for those it locked. Enqueued for every wrong password, naming an account
    or not, so that the answer does the same work either way (accounts.rules.failed_passwords)."""
    when = parse_datetime(at)
    for kind, accounts in (
        (SecurityEvent.Kind.SIGN_IN_FAILED, user_ids),
        (SecurityEvent.Kind.SIGN_IN_LOCKED, locked_ids),
    ):
        security_log.record_events_from(
            user_ids=accounts, kind=kind, ip=ip, user_agent=user_agent, created_at=when
        )
