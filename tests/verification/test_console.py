"""The console SMS backend writes the message to standard output (development only)."""

import pytest

from verification.actions.messages import queue_message
from verification.models import OutboundMessage

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_console_backend_prints_the_sms(settings, capsys):
    settings.SMS_BACKEND = "verification.backends.sms.ConsoleSmsBackend"
    message = queue_message(
        channel="sms",
        to="+919876543210",
        template="accounts/messages/signup_code",
        language="en",
        secrets_={"code": "482913"},
    )
    out = capsys.readouterr().out
    assert "SMS to +919876543210" in out and "482913 is your Account Portal" in out
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
