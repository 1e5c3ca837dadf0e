"""Twilio status callbacks (signed only), and the dev outbox (DEBUG only)."""

import pytest
from twilio.request_validator import RequestValidator

from verification.actions.messages import queue_message
from verification.models import DevOutboxMessage, OutboundMessage

pytestmark = pytest.mark.django_db(transaction=True)

CALLBACK = "https://portal.example.com/hooks/twilio/status/"


@pytest.fixture
def sent_sms(settings, twilio) -> OutboundMessage:
    settings.SMS_BACKEND = "verification.backends.sms.TwilioSmsBackend"
    settings.PUBLIC_BASE_URL = "https://portal.example.com"
    message = queue_message(
        channel="sms",
        to="+919876543210",
        template="accounts/messages/account_exists",
        language="en",
    )
    message.refresh_from_db()
    return message


def post_status(client, params: dict, *, token="test-auth-token"):
    signature = RequestValidator(token).compute_signature(CALLBACK, params)
    return client.post("/hooks/twilio/status/", params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_a_signed_callback_records_delivery(client, sent_sms):
    response = post_status(
        client, {"MessageSid": sent_sms.provider_message_id, "MessageStatus": "delivered"}
    )
    assert response.status_code == 204
    sent_sms.refresh_from_db()
    assert sent_sms.status == "delivered" and sent_sms.delivered_at is not None


def test_callbacks_out_of_order_never_move_a_message_back(client, sent_sms):
    post_status(client, {"MessageSid": sent_sms.provider_message_id, "MessageStatus": "delivered"})
    post_status(client, {"MessageSid": sent_sms.provider_message_id, "MessageStatus": "sent"})
    sent_sms.refresh_from_db()
    assert sent_sms.status == "delivered"


def test_an_undelivered_report_marks_the_message_failed(client, sent_sms):
    post_status(
        client,
        {
            "MessageSid": sent_sms.provider_message_id,
            "MessageStatus": "undelivered",
            "ErrorCode": "30003",
        },
    )
    sent_sms.refresh_from_db()
    assert sent_sms.status == "failed" and sent_sms.error_code == "30003"


@pytest.mark.parametrize("token", ["someone-elses-token", None])
def test_a_callback_without_a_valid_signature_is_refused(client, sent_sms, token):
    params = {"MessageSid": sent_sms.provider_message_id, "MessageStatus": "delivered"}
    if token:
        response = post_status(client, params, token=token)
    else:
        response = client.post("/hooks/twilio/status/", params)
    assert response.status_code == 403
    sent_sms.refresh_from_db()
    assert sent_sms.status == "sent"


def test_the_dev_outbox_lists_messages_newest_first_as_html_and_json(client, settings):
    settings.DEBUG = True
    queue_message(
        channel="sms",
        to="+919876543210",
        template="accounts/messages/account_exists",
        language="en",
    )
    queue_message(
        channel="email",
        to="asha@example.com",
        template="accounts/messages/signup_code",
        language="en",
        secrets_={"code": "482913"},
    )

    items = client.get("/dev/outbox.json").json()
    assert [item["channel"] for item in items] == ["email", "sms"]
    assert set(items[0]) == {"channel", "to", "subject", "body", "created_at"}
    assert set(items[1]) == {"channel", "to", "body", "created_at"}
    assert "482913" in items[0]["body"]
    page = client.get("/dev/outbox/").content.decode()
    assert page.index("asha@example.com") < page.index("+919876543210")


def test_the_dev_outbox_does_not_exist_without_debug(client, settings):
    settings.DEBUG = False
    DevOutboxMessage.objects.create(channel="sms", to="+919876543210", body="123456")
    assert client.get("/dev/outbox/").status_code == 404
    assert client.get("/dev/outbox.json").status_code == 404
