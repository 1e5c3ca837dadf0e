"""Receivers: when staff sign an account out everywhere (suspended, banned, sessions ended, a
password reset required) or its password is reset, every app lets go of it."""

from django.dispatch import receiver

from accounts.signals import signed_out_everywhere
from ecosystem.access import end_all_access


@receiver(signed_out_everywhere)
def _end_app_access(sender, user, **kwargs) -> None:
    end_all_access(user)
