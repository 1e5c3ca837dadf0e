"""Forgot password: a code to the phone or email (or a recovery contact), a new password,
every session ended, a notice; the same answers for unknown phones and emails."""

import re

import pytest
from django.test import Client, RequestFactory

from accounts.models import SecurityEvent, User
from accounts.rules.failed_passwords import record_failed_sign_in
from tests.helpers import GOOD_PASSWORD, code_sent_to, sign_in, sign_up
from verification.models import DevOutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)
NEW_PASSWORD = "Green!Lamp57y"


def ask_for_code(client, *, phone=None, email=None, captcha="PASSED"):
    data = {"action": "send", "captcha_0": "test", "captcha_1": captcha}
    if email is not None:
        data |= {"method": "email", "email": email}
    else:
        data |= {"method": "phone", "country": "IN", "phone": phone}
    return client.post("/accounts/password/reset/", data)


def reset(client, *, code, email=None, password=NEW_PASSWORD, password2=None, **extra):
    data = {
        "action": "reset",
        "method": "email" if email else "phone",
        "code": code,
        "password1": password,
        "password2": password2 or password,
        **extra,
    }
    return client.post("/accounts/password/reset/", data)


def visible_text(response) -> str:
    """The page as a person reads it, without the CSRF token and the CAPTCHA's random key (in
    the picture's address and, with flite installed, the audio's)."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r"captcha/(image|audio)/(?:[a-z-]+/)?[0-9a-f]+", "", html)
    return re.sub(r'value="[0-9a-f]{40}"', "", html)


@pytest.mark.parametrize(
    ("signup", "login", "ask"),
    [
        ({"phone": "98765 43210"}, "+919876543210", {"phone": "98765 43210"}),
        ({"email": "asha@example.com"}, "asha@example.com", {"email": "asha@example.com"}),
    ],
)
def test_reset_by_code_ends_every_session_and_sends_a_notice(signup, login, ask):
    old_session = Client()
    sign_up(old_session, **signup)
    assert old_session.get("/account/").status_code == 200

    client = Client()
    sent = ask_for_code(client, **ask)
    assert sent.status_code == 200
    done = reset(client, code=code_sent_to(login), email=ask.get("email"))
    assert done.status_code == 302 and done.url == "/accounts/login/"

    assert old_session.get("/account/").status_code == 302
    assert sign_in(Client(), login, password=GOOD_PASSWORD).status_code == 200
    assert sign_in(Client(), login, password=NEW_PASSWORD).status_code == 302
    assert DevOutboxMessage.objects.filter(to=login, body__contains="was reset").exists()
    user = User.objects.get()
    assert user.security_events.filter(kind=SecurityEvent.Kind.PASSWORD_RESET).exists()


def test_a_recovery_email_receives_reset_codes():
    client = Client()
    sign_up(client, phone="98765 43210")
    client.post("/account/verify/?next=/", {"method": "password", "password": GOOD_PASSWORD})
    client.post("/account/recovery/email/", {"action": "send", "email": "backup@example.com"})
    client.post(
        "/account/recovery/email/", {"action": "verify", "code": code_sent_to("backup@example.com")}
    )
    stranger = Client()
    ask_for_code(stranger, email="backup@example.com")
    done = reset(stranger, code=code_sent_to("backup@example.com"), email="backup@example.com")
    assert done.status_code == 302
    assert sign_in(Client(), "+919876543210", password=NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("known", "unknown"),
    [
        ({"phone": "98765 43210"}, {"phone": "98765 43219"}),
        ({"email": "asha@example.com"}, {"email": "nobody@example.com"}),
    ],
)
def test_the_answers_are_the_same_for_an_unknown_phone_or_email(known, unknown):
    sign_up(Client(), phone="98765 43210")
    sign_up(Client(), email="asha@example.com")
    DevOutboxMessage.objects.all().delete()
    answers = []
    for ask in (known, unknown):
        client = Client()
        sent = ask_for_code(client, **ask)
        shown = next(iter(ask.values()))
        page = visible_text(sent)
        answers.append((sent.status_code, page.replace(shown, "X")))
        wrong = reset(client, code="123456", email=ask.get("email"))
        answers.append((wrong.status_code, str(wrong.context["reset_form"].errors)))
    assert answers[0][0] == answers[2][0] == 200
    assert answers[0] == answers[2] or _same_but_masked(answers[0][1], answers[2][1])
    assert answers[1] == answers[3]
    assert DevOutboxMessage.objects.count() == 1  # only the real account got a code


def _same_but_masked(a: str, b: str) -> bool:
    # The masked destination differs (the digits or letters typed); nothing else may.
    mask = re.compile(r"\+91 [•\d ]+|[\w•]+@example\.com")
    return mask.sub("M", a) == mask.sub("M", b)


def test_wrong_codes_past_the_limit_void_the_code_and_a_resend_keeps_the_count(settings):
    settings.VERIFICATION_RESEND_COOLDOWN = 0
    sign_up(Client(), phone="98765 43210")
    client = Client()
    ask_for_code(client, phone="98765 43210")
    for _ in range(3):
        reset(client, code="000000")
    ask_for_code(client, phone="98765 43210")  # a resend: same record, same count
    reset(client, code="000000")
    void = reset(client, code="000000")
    assert "too many times" in str(void.context["reset_form"].errors["code"])
    right_but_void = reset(client, code=code_sent_to("+919876543210"))
    assert "too many times" in str(right_but_void.context["reset_form"].errors["code"])
    assert sign_in(Client(), "+919876543210", password=NEW_PASSWORD).status_code == 200


def test_a_weak_new_password_is_refused_and_the_code_need_not_be_typed_again():
    sign_up(Client(), phone="98765 43210")
    client = Client()
    ask_for_code(client, phone="98765 43210")
    weak = reset(client, code=code_sent_to("+919876543210"), password="password")
    assert weak.status_code == 400 and weak.context["reset_form"].errors["password1"]
    mismatch = reset(client, code="", password=NEW_PASSWORD, password2="Other!Pass99")
    assert mismatch.context["reset_form"].errors["password2"]
    assert reset(client, code="").status_code == 302


def test_a_reset_unlocks_an_account_locked_by_failed_sign_ins(settings):
    settings.SIGN_IN_LOCK_AFTER = 10
    sign_up(Client(), phone="98765 43210")
    user = User.objects.get()
    for _ in range(10):
        record_failed_sign_in(RequestFactory().get("/"), accounts=[user], identifier="")
    assert "locked" in sign_in(Client(), "+919876543210").content.decode()
    client = Client()
    ask_for_code(client, phone="98765 43210")
    reset(client, code=code_sent_to("+919876543210"))
    assert sign_in(Client(), "+919876543210", password=NEW_PASSWORD).status_code == 302


def test_bad_reset_requests_get_clear_errors():
    client = Client()
    assert ask_for_code(client, phone="12").context["send_form"].errors["phone"]
    assert ask_for_code(client, email="not-an-email").context["send_form"].errors["email"]
    assert (
        ask_for_code(client, phone="98765 43210", captcha="WRONG")
        .context["send_form"]
        .errors["captcha"]
    )
    no_code_yet = reset(client, code="123456")
    assert no_code_yet.status_code == 400
    assert "Send a code first" in str(no_code_yet.context["reset_form"].errors["code"])
