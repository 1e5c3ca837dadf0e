"""Email goes through Django's SMTP backend to a real SMTP server on loopback (aiosmtpd)."""

import pytest
from aiosmtpd.controller import Controller

from tests.processes import free_port
from tests.verification.smtp import Mailbox, queue_email, smtp_at
from verification.actions.messages import queue_message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtp_server(settings):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    smtp_at(settings, controller.port)
    yield mailbox
    controller.stop()


def test_a_code_email_arrives_with_text_and_html_parts(smtp_server, settings):
    message = queue_message(
        channel="email",
        to="asha@example.com",
        template="accounts/messages/signup_code",
        language="en",
        secrets_={"code": "482913"},
    )

    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received["To"] == "asha@example.com"
    assert received["Subject"] == "Your Account Portal verification code"
    assert settings.DEFAULT_FROM_EMAIL.split("<")[1].rstrip(">") in received["From"]
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in received.walk()
        if not part.is_multipart()
    }
    assert "482913 is your Account Portal verification code" in parts["text/plain"]
    assert "482913" in parts["text/html"] and "<p" in parts["text/html"]
    message.refresh_from_db()
    assert message.status == "sent" and "482913" not in message.preview


def test_a_refused_recipient_is_a_permanent_failure(smtp_server):
    smtp_server.refuse_with = "550 No such user"
    message = queue_email(to="nobody@example.com")
    assert message.status == "failed" and message.error_code == "550" and message.attempts == 1


def test_an_unreachable_server_is_retried_then_recorded(settings):
    settings.MESSAGE_DELIVERY_MAX_RETRIES = 2
    smtp_at(settings, free_port(), timeout=2)
    message = queue_email()
    assert message.status == "failed" and message.attempts == 3
    assert "SMTP connection" in message.error_message
