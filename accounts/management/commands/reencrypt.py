"""`manage.py reencrypt`: every secret kept encrypted (authenticator-app keys, recovery-code
seeds, SMS second-factor secrets, queued messages' content) is encrypted again under the
newest of ENCRYPTION_KEYS, so an older key can then be dropped (config/crypto.py)."""

from allauth.mfa.models import Authenticator
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import SmsSecondFactor
from config import crypto
from verification.models import OutboundMessage

# The encrypted field of each kind of allauth authenticator.
ENCRYPTED_DATA = {Authenticator.Type.TOTP: "secret", Authenticator.Type.RECOVERY_CODES: "seed"}


class Command(BaseCommand):
    help = "Encrypt every secret at rest again under the newest of ENCRYPTION_KEYS."

    def handle(self, *args, **options) -> None:
        counts = {"authenticators": 0, "sms second factors": 0, "messages": 0}
        with transaction.atomic():
            for authenticator in Authenticator.objects.select_for_update().filter(
                type__in=list(ENCRYPTED_DATA)
            ):
                field = ENCRYPTED_DATA[Authenticator.Type(authenticator.type)]
                authenticator.data[field] = crypto.reencrypt(authenticator.data[field])
                authenticator.save(update_fields=["data"])
                counts["authenticators"] += 1
            for factor in SmsSecondFactor.objects.select_for_update():
                factor.encrypted_secret = crypto.reencrypt(factor.encrypted_secret)
                factor.save(update_fields=["encrypted_secret"])
                counts["sms second factors"] += 1
            messages = OutboundMessage.objects.select_for_update().exclude(encrypted_content="")
            for message in messages:
                message.encrypted_content = crypto.reencrypt(message.encrypted_content)
                message.save(update_fields=["encrypted_content"])
                counts["messages"] += 1
        self.stdout.write(
            "Encrypted again under the newest key: "
            + ", ".join(f"{count} {kind}" for kind, count in counts.items())
            + "."
        )
