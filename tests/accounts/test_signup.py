"""Sign-up by phone and by email, through the sign-up page."""

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import Consent, User
from tests.helpers import (
    GOOD_PASSWORD,
    code_sent_to,
    create_account,
    last_message_to,
    send_code,
    sign_up,
)
from verification.models import DevOutboxMessage, OutboundMessage, VerificationCode

pytestmark = pytest.mark.django_db(transaction=True)

MOBILE_IN = "98765 43210"
MOBILE_IN_E164 = "+919876543210"


def test_phone_sign_up_creates_a_signed_in_account(client):
    response = sign_up(client, phone=MOBILE_IN)

    assert response.status_code == 302 and response.url == "/account/"
    user = User.objects.get()
    assert str(user.phone) == MOBILE_IN_E164 and user.email is None
    assert len(user.account_id) == 10 and user.account_id.isdigit()
    assert user.password.startswith("argon2$argon2id$")
    page = client.get("/account/").content.decode()
    assert user.account_id in page and "+91 98765 43210" in page and "Sign out" in page
    # The banner says what happened and what the ID is for, not "signed in as <ID>".
    assert f"Account created. Your account ID is {user.account_id}" in page
    assert "Successfully signed in" not in page
    later = Client()
    later.post("/accounts/login/", {"login": MOBILE_IN_E164, "password": GOOD_PASSWORD})
    assert "Successfully signed in" in later.get("/account/").content.decode()


def test_email_sign_up_creates_a_signed_in_account(client):
    response = sign_up(client, email="Asha@Example.com")

    assert response.status_code == 302 and response.url == "/account/"
    user = User.objects.get()
    assert user.email == "asha@example.com" and user.phone is None
    assert user.emailaddress_set.get().verified
    assert "asha@example.com" in client.get("/account/").content.decode()


def test_consent_is_recorded_with_terms_version_and_time(client, settings):
    sign_up(client, phone=MOBILE_IN)
    consent = Consent.objects.get()
    assert consent.terms_version == settings.TERMS_VERSION
    assert consent.privacy_version == settings.PRIVACY_VERSION
    assert (timezone.now() - consent.accepted_at).total_seconds() < 60
    assert consent.ip_address == "127.0.0.1"


def test_the_code_message_is_sms_with_six_digits_and_admin_sees_it_masked(client):
    send_code(client, phone=MOBILE_IN)
    code = code_sent_to(MOBILE_IN_E164)
    assert last_message_to(MOBILE_IN_E164).channel == "sms"
    message = OutboundMessage.objects.get()
    assert message.status == "sent" and message.encrypted_content == ""
    assert code not in message.preview and "••••••" in message.preview
    assert code not in VerificationCode.objects.get().code_hash


@pytest.mark.parametrize(
    ("phone", "country", "error"),
    [
        ("11 2345 6789", "IN", "landline"),  # a Delhi landline
        ("12345", "IN", "valid phone number"),
        ("not a number", "IN", "valid phone number"),
        ("+850 191 234 5678", "IN", "aren&#x27;t supported"),  # North Korea
        ("98765 43210", "KP", "isn&#x27;t available in this country/region"),
    ],
)
def test_a_number_that_cannot_take_sms_is_refused_clearly(client, phone, country, error):
    response = send_code(client, phone=phone, country=country)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not VerificationCode.objects.exists() and not DevOutboxMessage.objects.exists()


def test_north_american_numbers_are_accepted(client):
    response = send_code(client, phone="(201) 555-0123", country="US")
    assert response.status_code == 200
    assert code_sent_to("+12015550123")


@pytest.mark.parametrize("email", ["asha", "asha@", "asha@@example.com", "as ha@example.com"])
def test_a_malformed_email_is_refused_clearly(client, email):
    response = send_code(client, email=email)
    assert response.status_code == 400
    assert "Enter a valid email address" in response.content.decode()
    assert not DevOutboxMessage.objects.exists()


def test_a_wrong_captcha_sends_nothing(client):
    response = send_code(client, phone=MOBILE_IN, captcha="WRONG")
    assert response.status_code == 400
    assert "CAPTCHA answer was wrong" in response.content.decode()
    assert not DevOutboxMessage.objects.exists()


def test_a_wrong_code_is_refused_and_the_fifth_wrong_try_voids_it(client):
    send_code(client, phone=MOBILE_IN)
    code = code_sent_to(MOBILE_IN_E164)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(4):
        response = create_account(client, code=wrong, phone=MOBILE_IN)
        assert "That code isn&#x27;t right" in response.content.decode()
    response = create_account(client, code=wrong, phone=MOBILE_IN)
    assert "entered wrong too many times" in response.content.decode()
    response = create_account(client, code=code, phone=MOBILE_IN)
    assert "entered wrong too many times" in response.content.decode()
    assert not User.objects.exists()


def test_an_expired_code_is_refused(client):
    send_code(client, phone=MOBILE_IN)
    code = code_sent_to(MOBILE_IN_E164)
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=10, seconds=1)):
        response = create_account(client, code=code, phone=MOBILE_IN)
    assert "That code has expired" in response.content.decode()
    assert not User.objects.exists()


def test_a_resend_inside_the_cooldown_is_refused_and_a_resend_keeps_the_failure_count(client):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        send_code(client, phone=MOBILE_IN)
        first = code_sent_to(MOBILE_IN_E164)
        create_account(client, code=f"{(int(first) + 1) % 1_000_000:06d}", phone=MOBILE_IN)
    with time_machine.travel(start + timezone.timedelta(seconds=30), tick=False):
        response = send_code(client, phone=MOBILE_IN)
        assert response.status_code == 400
        assert "You can ask for a new code in 30 seconds" in response.content.decode()
        assert DevOutboxMessage.objects.count() == 1
    with time_machine.travel(start + timezone.timedelta(seconds=61), tick=False):
        assert send_code(client, phone=MOBILE_IN).status_code == 200
        second = code_sent_to(MOBILE_IN_E164)
        record = VerificationCode.objects.get()
        assert record.failed_attempts == 1 and record.send_count == 2
        # The first code no longer works; the new one does.
        if first != second:
            assert (
                "isn&#x27;t right"
                in create_account(client, code=first, phone=MOBILE_IN).content.decode()
            )
        assert create_account(client, code=second, phone=MOBILE_IN).status_code == 302


@pytest.mark.parametrize(
    ("password", "error"),
    [
        ("Ab1!xyz", "too short"),
        ("blue!kite42x", "upper-case letter"),
        ("BLUE!KITE42X", "lower-case letter"),
        ("Blue!Kitexyz", "Add a digit"),
        ("BlueKite42xy", "Add a symbol"),
        ("Password1!", "too common"),
        ("Aa!9876543210", "too similar to your phone number"),
        ("Aa1!" + "x" * 125, "at most 128 characters"),
    ],
)
def test_each_rule_of_the_password_policy_is_explained(client, password, error):
    send_code(client, phone=MOBILE_IN)
    code = code_sent_to(MOBILE_IN_E164)
    response = create_account(client, code=code, phone=MOBILE_IN, password=password)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not User.objects.exists()
    # The code was not spent: the person fixes the password and goes on.
    assert create_account(client, code=code, phone=MOBILE_IN).status_code == 302


def test_a_128_character_password_is_accepted(client):
    response = sign_up(client, phone=MOBILE_IN, password="Aa1!" + "x" * 124)
    assert response.status_code == 302


def test_mismatched_passwords_are_refused(client):
    send_code(client, phone=MOBILE_IN)
    response = create_account(
        client, code=code_sent_to(MOBILE_IN_E164), phone=MOBILE_IN, password2=GOOD_PASSWORD + "x"
    )
    assert "The passwords don&#x27;t match" in response.content.decode()
    assert not User.objects.exists()


def test_consent_is_required(client):
    send_code(client, phone=MOBILE_IN)
    response = create_account(
        client, code=code_sent_to(MOBILE_IN_E164), phone=MOBILE_IN, terms=False
    )
    assert "agree to the Terms of Service" in response.content.decode()
    assert not User.objects.exists()


def test_creating_an_account_without_sending_a_code_asks_for_one(client):
    response = create_account(client, code="123456", phone=MOBILE_IN)
    assert "Send a code first" in response.content.decode()


def _visible_text(response) -> str:
    import re

    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    return re.sub(r"captcha[^\"]*/[0-9a-f]{40}/?|value=\"[0-9a-f]{40}\"", "", text)


@pytest.mark.parametrize("taken", [{"phone": MOBILE_IN}, {"email": "asha@example.com"}])
def test_a_taken_number_or_email_looks_like_a_new_one_and_the_owner_is_told(client, taken):
    from django.test import Client

    with time_machine.travel(timezone.now() - timezone.timedelta(minutes=2)):
        sign_up(Client(), **taken)
    DevOutboxMessage.objects.all().delete()
    fresh = {"phone": "98765 43211"} if "phone" in taken else {"email": "ravi@example.com"}

    response_taken = send_code(client, **taken)
    response_fresh = send_code(Client(), **fresh)

    assert response_taken.status_code == response_fresh.status_code == 200
    shown_taken = (
        _visible_text(response_taken).replace("98765 43210", "X").replace("asha@example.com", "X")
    )
    shown_fresh = (
        _visible_text(response_fresh).replace("98765 43211", "X").replace("ravi@example.com", "X")
    )
    assert shown_taken == shown_fresh
    owner = MOBILE_IN_E164 if "phone" in taken else "asha@example.com"
    notice = last_message_to(owner)
    assert "already has an account" in notice.body
    assert not any(ch.isdigit() for ch in notice.body.replace("Account Portal", ""))
    assert User.objects.count() == 1


def test_a_pending_sign_up_does_not_block_the_real_owner_and_is_cleaned_up(client):
    from django.test import Client

    from verification.actions.codes import purge_expired_codes

    start = timezone.now()
    stranger = Client(REMOTE_ADDR="10.0.0.66")
    with time_machine.travel(start, tick=False):
        send_code(stranger, phone=MOBILE_IN)
    stranger_code_id = stranger.session["portal_signup"]["code_id"]

    owner = Client(REMOTE_ADDR="10.0.0.7")
    with time_machine.travel(start + timezone.timedelta(seconds=20), tick=False):
        # One code per minute to a number, whoever asks: the owner waits at most that long.
        response = send_code(owner, phone=MOBILE_IN)
        assert "You can ask for a new code in 40 seconds" in response.content.decode()
    with time_machine.travel(start + timezone.timedelta(seconds=61)):
        assert sign_up(owner, phone=MOBILE_IN).status_code == 302
    assert str(User.objects.get().phone) == MOBILE_IN_E164

    later = timezone.now() + timezone.timedelta(minutes=11)
    assert purge_expired_codes(now=later) >= 1
    assert not VerificationCode.objects.filter(pk=stranger_code_id).exists()


def test_an_email_claimed_but_unproven_by_another_account_does_not_block_its_owner(client):
    from allauth.account.models import EmailAddress
    from django.test import Client

    with time_machine.travel(timezone.now() - timezone.timedelta(minutes=2)):
        sign_up(Client(), phone=MOBILE_IN)
    squatter = User.objects.get()
    EmailAddress.objects.create(user=squatter, email="asha@example.com", verified=False)

    assert sign_up(client, email="asha@example.com").status_code == 302
    assert User.objects.get(email="asha@example.com") != squatter
    assert not EmailAddress.objects.filter(user=squatter).exists()


def test_after_five_wrong_tries_a_new_code_can_be_sent_and_used(client):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        send_code(client, phone=MOBILE_IN)
        code = code_sent_to(MOBILE_IN_E164)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for _ in range(5):
            create_account(client, code=wrong, phone=MOBILE_IN)
    with time_machine.travel(start + timezone.timedelta(seconds=61)):
        assert send_code(client, phone=MOBILE_IN).status_code == 200
        assert VerificationCode.objects.count() == 2
        response = create_account(client, code=code_sent_to(MOBILE_IN_E164), phone=MOBILE_IN)
    assert response.status_code == 302


def _sends_a_minute_apart(senders, phone=MOBILE_IN):
    start = timezone.now()
    responses = []
    for n, sender in enumerate(senders):
        with time_machine.travel(start + timezone.timedelta(seconds=61 * n), tick=False):
            responses.append(send_code(sender, phone=phone))
    return responses


def test_sends_over_the_hourly_budget_of_a_number_are_refused(settings):
    from django.test import Client

    settings.VERIFICATION_SENDS_PER_DESTINATION_PER_HOUR = 3
    responses = _sends_a_minute_apart([Client(REMOTE_ADDR=f"10.0.0.{n}") for n in range(4)])
    assert [r.status_code for r in responses] == [200, 200, 200, 400]
    assert "Too many codes were requested" in responses[-1].content.decode()
    assert DevOutboxMessage.objects.count() == 3
    # Another number is not affected.
    assert send_code(Client(REMOTE_ADDR="10.0.0.9"), phone="98765 43211").status_code == 200


def test_one_client_cannot_spend_the_budget_of_a_number(settings):
    from django.test import Client

    settings.VERIFICATION_SENDS_PER_DESTINATION_PER_IP = 2
    attacker = Client(REMOTE_ADDR="10.0.0.66")
    owner = Client(REMOTE_ADDR="10.0.0.7")
    responses = _sends_a_minute_apart([attacker, attacker, attacker, owner])
    # The attacker's third send is refused; the owner, from their own network, gets a code.
    assert [r.status_code for r in responses] == [200, 200, 400, 200]


def test_sends_over_the_hourly_budget_of_an_ip_are_refused(client, settings):
    settings.VERIFICATION_SENDS_PER_IP_PER_HOUR = 2
    assert send_code(client, phone="98765 43211").status_code == 200
    assert send_code(client, phone="98765 43212").status_code == 200
    response = send_code(client, phone="98765 43213")
    assert "Too many codes were requested" in response.content.decode()
    assert DevOutboxMessage.objects.count() == 2


def test_a_page_in_an_unusual_language_still_renders(client):
    for path in ("/accounts/signup/", "/accounts/login/"):
        assert client.get(path, HTTP_ACCEPT_LANGUAGE="udm").status_code == 200


@pytest.mark.parametrize(
    "path", ["/accounts/email/", "/accounts/phone/change/", "/accounts/phone/verify/"]
)
def test_allauths_own_email_and_phone_pages_are_closed(client, path):
    sign_up(client, phone=MOBILE_IN)
    assert client.get(path).status_code == 404


def test_letters_in_a_phone_number_are_an_error_on_every_form_not_a_keypad_number():
    """98765abcde would be read as the keypad's +91 98765 22233: a stranger's number."""

    refused = send_code(Client(), phone="98765abcde")
    assert refused.status_code == 400
    assert refused.context["send_form"].errors["phone"] == [
        "Enter a valid phone number: digits only (spaces and dashes are fine)."
    ]
    reset = Client().post(
        "/accounts/password/reset/",
        {
            "action": "send",
            "method": "phone",
            "country": "IN",
            "phone": "98765abcde",
            "captcha_0": "test",
            "captcha_1": "PASSED",
        },
    )
    assert reset.status_code == 400 and "phone" in reset.context["send_form"].errors
    client = Client()
    sign_up(client, email="asha@example.com")
    client.post("/account/verify/?next=/", {"method": "password", "password": GOOD_PASSWORD})
    recovery = client.post(
        "/account/recovery/phone/", {"action": "send", "country": "IN", "phone": "98765abcde"}
    )
    assert recovery.status_code == 400 and "phone" in recovery.context["contact_form"].errors
    assert not OutboundMessage.objects.filter(to="+919876522233").exists()
    # Digits in another script are digits: Devanagari ९८७६५ ४३२१० is 98765 43210.
    assert send_code(Client(), phone="९८७६५ ४३२१०").status_code == 200
