"""The Twilio backend, checked on the HTTP requests the `twilio` library really builds."""

import base64

import pytest
import requests

from tests.doubles import twilio_error
from verification.actions.messages import queue_message
from verification.models import OutboundMessage
from verification.tasks import deliver_message_task

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _twilio_backend(settings):
    settings.SMS_BACKEND = "verification.backends.sms.TwilioSmsBackend"


def queue_code_sms(to="+919876543210", code="482913") -> OutboundMessage:
    return queue_message(
        channel="sms",
        to=to,
        template="accounts/messages/signup_code",
        language="en",
        secrets_={"code": code},
    )


def test_the_request_carries_url_form_fields_and_basic_auth(twilio, settings):
    message = queue_code_sms()

    assert len(twilio.requests) == 1
    request = twilio.requests[0]
    assert request.method == "POST"
    assert request.url == (
        f"https://api.twilio.com/2010-04-01/Accounts/{settings.TWILIO_ACCOUNT_SID}/Messages.json"
    )
    form = twilio.form()
    assert form["To"] == "+919876543210"
    assert form["From"] == "+15005550006"
    assert form["Body"].startswith("482913 is your Account Portal verification code")
    expected = base64.b64encode(f"{settings.TWILIO_ACCOUNT_SID}:test-auth-token".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert twilio.timeouts == [settings.TWILIO_TIMEOUT]
    message.refresh_from_db()
    assert message.status == "sent" and message.provider_message_id == "SM" + "0" * 31 + "1"
    assert message.encrypted_content == ""


def test_a_messaging_service_and_status_callback_are_used_when_configured(twilio, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    settings.PUBLIC_BASE_URL = "https://portal.example.com"
    queue_code_sms()
    form = twilio.form()
    assert form["MessagingServiceSid"] == "MG" + "1" * 32 and "From" not in form
    assert form["StatusCallback"] == "https://portal.example.com/hooks/twilio/status/"


@pytest.mark.parametrize(
    "failure",
    [
        twilio_error(500, 20500, "Internal Server Error"),
        twilio_error(503, 0, "Unavailable"),
        twilio_error(429, 20429, "Too Many Requests"),
        requests.ConnectionError("reset"),
    ],
)
def test_a_transient_failure_is_retried_until_it_goes_through(twilio, failure):
    twilio.answer_with(failure, failure)
    message = queue_code_sms()
    message.refresh_from_db()
    assert len(twilio.requests) == 3
    assert message.status == "sent" and message.attempts == 3


@pytest.mark.parametrize("code", [21211, 21610, 21408])
def test_a_permanent_failure_is_recorded_without_retry(twilio, code):
    twilio.answer_with(twilio_error(400, code, "refused"))
    message = queue_code_sms()
    message.refresh_from_db()
    assert len(twilio.requests) == 1
    assert message.status == "failed" and message.error_code == str(code)
    assert message.encrypted_content == ""


def test_retries_that_never_succeed_end_with_a_recorded_failure(twilio, settings):
    settings.MESSAGE_DELIVERY_MAX_RETRIES = 2
    twilio.answer_with(*[twilio_error(503, 0, "Unavailable")] * 5)
    message = queue_code_sms()
    message.refresh_from_db()
    assert len(twilio.requests) == 3
    assert message.status == "failed" and message.error_code == "503"


def test_a_redelivered_task_sends_once(twilio):
    message = queue_code_sms()
    deliver_message_task.apply(args=[message.pk])
    deliver_message_task.apply(args=[message.pk])
    assert len(twilio.requests) == 1


def test_the_code_never_reaches_the_logs(twilio, caplog):
    caplog.set_level("DEBUG")
    twilio.answer_with(twilio_error(503, 0, "Unavailable"))
    queue_code_sms(code="482913")
    assert "482913" not in caplog.text


def test_one_client_and_its_connection_serve_the_messages_of_a_worker_thread(twilio, settings):
    from verification.backends.sms import get_sms_backend

    backend = get_sms_backend()
    queue_code_sms(to="+919876543210")
    client = backend._client()
    queue_code_sms(to="+919876543211")
    assert len(twilio.requests) == 2 and backend._client() is client
    settings.TWILIO_AUTH_TOKEN = "a-rotated-token"  # a changed setting takes a new client
    queue_code_sms(to="+919876543212")
    assert backend._client() is not client
    assert (
        twilio.requests[-1].headers["Authorization"]
        == "Basic "
        + base64.b64encode(f"{settings.TWILIO_ACCOUNT_SID}:a-rotated-token".encode()).decode()
    )
