"""Receivers: a suspended or banned account's devices are signed out at once."""

from django.dispatch import receiver

from accounts.signals import account_restricted
from devices.actions import revoke_device_tokens


@receiver(account_restricted)
def _revoke_tokens(sender, user, **kwargs) -> None:
    revoke_device_tokens(user=user)
