"""Creating the account on the phone (SPEC 13) through the device API, with a real client
(requests) against a live portal: the page's steps, forms and limits, answered in JSON; the
phone ends enrolled with its token and the account signs in on the web."""

import io

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from accounts.models import Consent, User
from devices.models import Device
from tests.helpers import GOOD_PASSWORD, code_sent_to, send_code, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "+919876543210"
DEVICE = {
    "name": "Asha's phone",
    "model": "Redmi Note 14",
    "platform": "android",
    "hardware_id": "imei-356938035643809",
}


class SettingsApp:
    """The phone's settings app creating the account."""

    def __init__(self, base: str) -> None:
        self.base = f"{base}/api/v1/device/sign-up"

    def captcha(self) -> dict:
        answer = requests.post(f"{self.base}/captcha/", timeout=10)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def send_code(self, captcha_answer: str = "PASSED", **typed) -> requests.Response:
        captcha = self.captcha()
        body = {"captcha_key": captcha["captcha_key"], "captcha_answer": captcha_answer, **typed}
        return requests.post(f"{self.base}/code/", json=body, timeout=10)

    def create(self, signup: str, code: str, **overrides) -> requests.Response:
        body = {
            "signup": signup,
            "code": code,
            "password1": GOOD_PASSWORD,
            "password2": GOOD_PASSWORD,
            "terms": True,
            "terms_version": self.captcha()["terms_version"],
            "device": DEVICE,
        } | overrides
        return requests.post(f"{self.base}/", json=body, timeout=10)


@pytest.fixture
def app(live_server) -> SettingsApp:
    return SettingsApp(live_server.url)


@pytest.mark.parametrize(
    ("typed", "destination"),
    [
        ({"method": "phone", "country": "IN", "phone": "98765 43210"}, PHONE),
        ({"method": "email", "email": "asha@example.com"}, "asha@example.com"),
    ],
)
def test_a_phone_creates_the_account_and_holds_its_token(app, live_server, typed, destination):
    captcha = app.captcha()
    assert captcha["image_url"].startswith(live_server.url)
    assert requests.get(captcha["image_url"], timeout=10).headers["Content-Type"] == "image/png"

    sent = app.send_code(**typed)
    assert sent.status_code == 202, sent.text
    created = app.create(sent.json()["signup"], code_sent_to(destination))
    assert created.status_code == 201, created.text
    body = created.json()
    user = User.objects.get(account_id=body["account_id"])
    assert Consent.objects.filter(user=user).exists()
    commands = requests.get(
        f"{live_server.url}/api/v1/device/commands/",
        headers={"Authorization": f"Token {body['token']}"},
        timeout=10,
    )
    assert commands.status_code == 200
    # The account signs in on the web as any other.
    assert sign_in(Client(), destination).url == "/account/"


def page_errors(data: dict, form: str) -> dict:
    """What the sign-up page says about the same input (its second step once a code is on its
    way to another number)."""
    client = Client()
    if form == "create_form":
        send_code(client, phone="98765 43219")
    response = client.post("/accounts/signup/", data)
    return {field: list(errors) for field, errors in response.context[form].errors.items()}


@pytest.mark.parametrize(
    ("typed", "field"),
    [
        ({"method": "phone", "country": "IN", "phone": "98765abcde"}, "phone"),
        ({"method": "phone", "country": "IN", "phone": "12"}, "phone"),
        ({"method": "email", "email": "asha@"}, "email"),
    ],
)
def test_a_bad_number_or_address_is_refused_as_on_the_page(app, typed, field):
    answer = app.send_code(**typed)
    assert answer.status_code == 400
    web = {"action": "send", "captcha_0": "x", "captcha_1": "PASSED", **typed}
    assert answer.json()[field] == page_errors(web, "send_form")[field]


def test_a_wrong_captcha_is_refused_as_on_the_page(app):
    answer = app.send_code("WRONG", method="phone", country="IN", phone="98765 43210")
    assert answer.status_code == 400
    web = {
        "action": "send",
        "method": "phone",
        "country": "IN",
        "phone": "98765 43210",
        "captcha_0": "x",
        "captcha_1": "WRONG",
    }
    assert answer.json()["captcha_answer"] == page_errors(web, "send_form")["captcha"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password2": "Another!Pass99"}, "password2"),
        ({"password1": "short", "password2": "short"}, "password1"),
        ({"terms": False}, "terms"),
    ],
)
def test_a_bad_password_or_no_consent_is_refused_as_on_the_page(app, overrides, field):
    sent = app.send_code(method="phone", country="IN", phone="98765 43210")
    answer = app.create(sent.json()["signup"], code_sent_to(PHONE), **overrides)
    assert answer.status_code == 400
    web = {
        "action": "create",
        "method": "phone",
        "code": "123456",
        "password1": overrides.get("password1", GOOD_PASSWORD),
        "password2": overrides.get("password2", GOOD_PASSWORD),
        **({} if overrides.get("terms") is False else {"terms": "on"}),
    }
    assert answer.json()[field] == page_errors(web, "create_form")[field]
    assert not User.objects.exists()


def test_a_wrong_code_and_stale_terms_are_refused(app):
    sent = app.send_code(method="phone", country="IN", phone="98765 43210").json()
    wrong = app.create(sent["signup"], "000000")
    assert wrong.status_code == 400 and "code" in wrong.json()
    stale = app.create(sent["signup"], code_sent_to(PHONE), terms_version="2020-01-01")
    assert stale.status_code == 400 and "terms_version" in stale.json()
    forged = app.create("x" + sent["signup"], code_sent_to(PHONE))
    assert forged.status_code == 400 and "signup" in forged.json()
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("sent", "kept"),
    [({"time_zone": "Asia/Calcutta"}, "Asia/Kolkata"), ({"time_zone": ""}, "UTC"), ({}, "UTC")],
)
def test_the_account_keeps_the_phones_time_zone(app, sent, kept):
    signup = app.send_code(method="phone", country="IN", phone="98765 43210").json()["signup"]
    created = app.create(signup, code_sent_to(PHONE), **sent)
    assert created.status_code == 201, created.text
    assert User.objects.get(phone=PHONE).time_zone == kept


@pytest.mark.parametrize(
    ("zone", "said"),
    [
        ("Mars/Olympus_Mons", "Send an IANA name, such as Asia/Kolkata."),
        ("localtime", "Send an IANA name, such as Asia/Kolkata."),
        (330, "Send an IANA name, such as Asia/Kolkata."),
        ("x" * 65, "no more than 64 characters"),
        (None, "may not be null"),
    ],
)
def test_a_time_zone_not_known_is_refused_by_its_field(app, zone, said):
    signup = app.send_code(method="phone", country="IN", phone="98765 43210").json()["signup"]
    refused = app.create(signup, code_sent_to(PHONE), time_zone=zone)
    assert refused.status_code == 400
    assert list(refused.json()) == ["time_zone"]
    assert said in refused.json()["time_zone"][0]
    assert not User.objects.exists()


def test_the_api_schema_describes_the_time_zone(live_server):
    schema = requests.get(f"{live_server.url}/api/schema/?format=json", timeout=10).json()
    field = schema["components"]["schemas"]["CreateAccountInput"]["properties"]["time_zone"]
    assert field["type"] == "string" and field["maxLength"] == 64
    assert "time_zone" not in schema["components"]["schemas"]["CreateAccountInput"]["required"]


def test_codes_asked_on_the_page_and_the_api_share_one_budget(app, settings):
    settings.VERIFICATION_SENDS_PER_IP_PER_HOUR = 2
    page = Client().post(
        "/accounts/signup/",
        {
            "action": "send",
            "method": "phone",
            "country": "IN",
            "phone": "98765 00001",
            "captcha_0": "x",
            "captcha_1": "PASSED",
        },
    )
    assert page.status_code == 200
    assert app.send_code(method="phone", country="IN", phone="98765 00002").status_code == 202
    refused = app.send_code(method="phone", country="IN", phone="98765 00003")
    assert refused.status_code == 429
    again = Client().post(
        "/accounts/signup/",
        {
            "action": "send",
            "method": "phone",
            "country": "IN",
            "phone": "98765 00004",
            "captcha_0": "x",
            "captcha_1": "PASSED",
        },
    )
    assert again.status_code == 400
    assert refused.json()["detail"] in again.content.decode()


def test_simulate_device_signs_up_then_plays_a_phone(live_server, settings, monkeypatch):

    settings.CAPTCHA_TEST_MODE = True
    monkeypatch.setattr("builtins.input", lambda prompt: code_sent_to(PHONE))
    out = io.StringIO()
    call_command(
        "simulate_device",
        "--sign-up",
        "--url",
        live_server.url,
        "--account",
        "98765 43210",
        "--password",
        GOOD_PASSWORD,
        "--iterations",
        "1",
        stdout=out,
    )
    printed = out.getvalue()
    user = User.objects.get(phone=PHONE)
    assert f"ACCOUNT CREATED: {user.account_id}" in printed
    assert "ENROLLED" in printed and "LOCATION" in printed
    assert sign_in(Client(), PHONE).url == "/account/"


def test_an_erased_simulated_phone_shows_the_activation_lock_on_another_account(live_server):

    for phone in ("+919876543210", "+919876500000"):
        User.objects.create_user(phone=phone, password=GOOD_PASSWORD)
    common = ["--url", live_server.url, "--password", GOOD_PASSWORD, "--iterations", "1"]
    call_command("simulate_device", "--account", "+919876543210", *common, stdout=io.StringIO())
    # Its owner erases it (as Erase on its page does); the same simulated phone (same name, so
    # the same hardware) then signs in to another account: it stays locked to the first.

    Device.objects.update(erased_at=timezone.now())
    with pytest.raises(CommandError, match="409"):
        call_command("simulate_device", "--account", "+919876500000", *common, stdout=io.StringIO())
