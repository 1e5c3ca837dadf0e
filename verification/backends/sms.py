"""SMS backends: Twilio for production, the dev outbox and the console for development."""

import sys
import threading
from datetime import datetime
from functools import lru_cache

import requests
from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from verification.backends import PermanentDeliveryError, TransientDeliveryError
from verification.models import Channel, DevOutboxMessage

# Twilio error codes that will never succeed for this message.
# https://www.twilio.com/docs/api/errors
PERMANENT_TWILIO_ERRORS = {
    21211,  # invalid 'To' number
    21408,  # permission to send to this region not enabled
    21610,  # recipient replied STOP
    21612,  # 'To' number not reachable by this sender
    21614,  # 'To' is not a mobile number
    21617,  # body too long
}
TRANSIENT_TWILIO_ERRORS = {20429}  # too many requests


def get_sms_backend() -> "SmsBackend":
    return _backend(settings.SMS_BACKEND)


@lru_cache(maxsize=4)
def _backend(path: str) -> "SmsBackend":
    return import_string(path)()


class SmsBackend:
    def send(self, *, to: str, body: str) -> str:
        """Send one SMS; return the provider's message id."""
        raise NotImplementedError

    def find_sent(self, *, to: str, body: str, since: datetime) -> str | None:
        """The id of this SMS if the provider has it from `since` on; None when it has not
        (or cannot tell: the message is then sent again)."""
        return None


class TwilioSmsBackend(SmsBackend):
    """Twilio Programmable Messaging through the official client.

    Each worker thread keeps its client, and with it a connection to Twilio's API that stays
    open between messages (no new TCP and TLS handshake per SMS)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _client(self) -> Client:
        config = (
            settings.TWILIO_HTTP_CLIENT,
            settings.TWILIO_TIMEOUT,
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
        )
        if getattr(self._local, "config", None) != config:
            http_client = import_string(config[0])(timeout=config[1])
            self._local.client = Client(config[2], config[3], http_client=http_client)
            self._local.config = config
        return self._local.client

    def send(self, *, to: str, body: str) -> str:
        options: dict[str, str] = {"to": to, "body": body}
        if settings.TWILIO_MESSAGING_SERVICE_SID:
            options["messaging_service_sid"] = settings.TWILIO_MESSAGING_SERVICE_SID
        else:
            options["from_"] = settings.TWILIO_FROM_NUMBER
        if settings.PUBLIC_BASE_URL.startswith("https://"):
            options["status_callback"] = settings.PUBLIC_BASE_URL + reverse("twilio_status")
        try:
            message = self._client().messages.create(**options)
        except TwilioRestException as exc:
            raise _classify(exc) from exc
        except TwilioException as exc:
            # Service exceptions (not REST errors since twilio 9.10) carry no HTTP status.
            raise TransientDeliveryError(str(exc)) from exc
        except requests.ConnectTimeout as exc:
            raise TransientDeliveryError("network: ConnectTimeout") from exc
        except requests.RequestException as exc:
            # The request may have reached Twilio before the answer was lost.
            raise TransientDeliveryError(
                f"network: {type(exc).__name__}", outcome_unknown=True
            ) from exc
        return str(message.sid)

    def find_sent(self, *, to: str, body: str, since: datetime) -> str | None:
        """Twilio's newest messages to `to`, searched for this body (an attempt whose answer
        never came may still have been accepted)."""
        try:
            recent = self._client().messages.list(to=to, limit=20)
        except (TwilioException, requests.RequestException) as exc:
            raise TransientDeliveryError(f"looking up earlier attempt: {exc}") from exc
        for message in recent:
            created = message.date_created
            if body in (message.body or "") and (created is None or created >= since):
                return str(message.sid)
        return None


def _classify(exc: TwilioRestException) -> Exception:
    code = int(exc.code) if exc.code else None
    label = str(code or exc.status)
    text = f"Twilio {exc.status} error {code}: {exc.msg}"
    if code in PERMANENT_TWILIO_ERRORS:
        return PermanentDeliveryError(text, code=label)
    if code in TRANSIENT_TWILIO_ERRORS or exc.status == 429 or exc.status >= 500:
        return TransientDeliveryError(text, code=label)
    return PermanentDeliveryError(text, code=label)


class OutboxSmsBackend(SmsBackend):
    """Keeps the message for /dev/outbox/ (development only)."""

    def send(self, *, to: str, body: str) -> str:
        entry = DevOutboxMessage.objects.create(channel=Channel.SMS, to=to, body=body)
        return f"outbox-{entry.pk}"

    def find_sent(self, *, to: str, body: str, since: datetime) -> str | None:
        entry = DevOutboxMessage.objects.filter(
            channel=Channel.SMS, to=to, body=body, created_at__gte=since
        ).first()
        return f"outbox-{entry.pk}" if entry else None


class ConsoleSmsBackend(SmsBackend):
    """Writes the message to standard output (development only)."""

    def send(self, *, to: str, body: str) -> str:
        sys.stdout.write(f"--- SMS to {to} ---\n{body}\n---\n")
        sys.stdout.flush()
        return "console"
