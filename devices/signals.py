"""Receivers: an account that staff sign out everywhere has its devices signed out at once."""

from django.dispatch import receiver

from accounts.signals import signed_out_everywhere
from devices.enrolment import revoke_device_tokens


@receiver(signed_out_everywhere)
def _revoke_tokens(sender, user, phones_too: bool = True, **kwargs) -> None:
    if phones_too:
        revoke_device_tokens(user=user)
