"""Sign-up's two steps: one CAPTCHA per sign-up, "Resend code" without a new one (a few times),
a way back to change the number, every error of the second step at once, and the country a
mistyped country's number belongs to."""

import re

import pytest
import time_machine
from django.utils import timezone
from django.utils.translation import override

from accounts import phones
from accounts.models import User
from tests.helpers import GOOD_PASSWORD, code_sent_to, create_account, send_code
from verification.models import DevOutboxMessage, VerificationCode

pytestmark = pytest.mark.django_db(transaction=True)

MOBILE_IN = "98765 43210"
MOBILE_IN_E164 = "+919876543210"


def resend(client, method="phone"):
    return client.post("/accounts/signup/", {"action": "resend", "method": method})


def fields_of(response) -> set[str]:
    return set(re.findall(r'name="([a-z0-9_]+)"', response.content.decode()))


def test_step_one_asks_where_and_the_captcha_and_step_two_the_code_and_password(client):
    first = client.get("/accounts/signup/")
    assert {"phone", "country", "captcha_1"} <= fields_of(first)
    assert not {"code", "password1", "terms"} & fields_of(first)
    assert "Step 1 of 2" in first.content.decode()

    second = send_code(client, phone=MOBILE_IN)
    page = second.content.decode()
    assert second.status_code == 200 and "Step 2 of 2" in page
    assert {"code", "password1", "password2", "terms", "time_zone"} <= fields_of(second)
    assert not {"phone", "captcha_1"} & fields_of(second)
    assert "+91 98765 43210" in page and 'href="/accounts/signup/?change=1"' in page
    # Coming back later shows the same step; "Change number" goes back, the number filled in.
    assert "Step 2 of 2" in client.get("/accounts/signup/").content.decode()
    change = client.get("/accounts/signup/?change=1")
    assert "Step 1 of 2" in change.content.decode() and "captcha_1" in fields_of(change)
    assert 'value="98765 43210"' in change.content.decode()


def test_resend_needs_no_captcha_a_few_times_then_a_new_one(client):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        send_code(client, phone=MOBILE_IN)
        # Inside the cooldown: refused, with the seconds left, and nothing is sent.
        early = resend(client)
        assert early.status_code == 400
        assert "You can ask for a new code in 60 seconds" in early.content.decode()
        assert DevOutboxMessage.objects.count() == 1
    for round_ in range(1, 4):
        with time_machine.travel(start + timezone.timedelta(seconds=61 * round_), tick=False):
            response = resend(client)
            assert response.status_code == 200, round_
            assert "We sent a 6-digit code to +91 98765 43210" in response.content.decode()
            # The button waits out the cooldown (the page tells the script how long), until
            # the resends without a CAPTCHA are spent.
            assert ('data-resend-wait="60"' in response.content.decode()) == (round_ < 3)
    assert DevOutboxMessage.objects.count() == 4
    assert VerificationCode.objects.get().send_count == 4
    with time_machine.travel(start + timezone.timedelta(seconds=61 * 4), tick=False):
        page = client.get("/accounts/signup/").content.decode()
        assert "answer a new CAPTCHA" in page and 'value="resend"' not in page
        refused = resend(client)
        assert refused.status_code == 400 and DevOutboxMessage.objects.count() == 4
        # The same sign-up goes on with the last code.
        code = code_sent_to(MOBILE_IN_E164)
        assert create_account(client, code=code, phone=MOBILE_IN).status_code == 302


def test_a_captcha_answered_right_is_not_asked_again_until_a_code_goes_out(client):
    mistyped = send_code(client, phone="98765")
    assert mistyped.status_code == 400 and "captcha_1" not in fields_of(mistyped)
    # The answer was right: the corrected number goes without another CAPTCHA...
    again = client.get("/accounts/signup/")
    assert "captcha_1" not in fields_of(again)
    sent = client.post(
        "/accounts/signup/",
        {"action": "send", "method": "phone", "country": "IN", "phone": MOBILE_IN},
    )
    assert sent.status_code == 200 and DevOutboxMessage.objects.count() == 1
    # ...and a new number, once a code went out, needs a new CAPTCHA.
    assert "captcha_1" in fields_of(client.get("/accounts/signup/?change=1"))
    refused = client.post(
        "/accounts/signup/",
        {"action": "send", "method": "phone", "country": "IN", "phone": "98765 43211"},
    )
    assert refused.status_code == 400 and DevOutboxMessage.objects.count() == 1


def test_a_wrong_captcha_is_asked_again(client):
    send_code(client, phone="98765", captcha="WRONG")
    assert "captcha_1" in fields_of(client.get("/accounts/signup/"))


def test_every_error_of_the_second_step_comes_at_once_and_the_passwords_stay(client):
    send_code(client, phone=MOBILE_IN)
    code = code_sent_to(MOBILE_IN_E164)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = create_account(
        client, code=wrong, phone=MOBILE_IN, password="short", password2="other", terms=False
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "isn&#x27;t right" in page  # the code
    assert "too short" in page and "Add an upper-case letter" in page  # the password
    assert "don&#x27;t match" in page  # the confirmation
    assert "agree to the Terms" in page  # consent
    assert 'value="short"' in page and 'value="other"' in page  # nothing typed is lost
    assert VerificationCode.objects.get().failed_attempts == 1


def test_a_right_code_with_a_weak_password_still_works_once_the_password_is_fixed(client):
    send_code(client, phone=MOBILE_IN)
    code = code_sent_to(MOBILE_IN_E164)
    weak = create_account(client, code=code, phone=MOBILE_IN, password="Password1!")
    assert weak.status_code == 400 and "too common" in weak.content.decode()
    assert "isn&#x27;t right" not in weak.content.decode()
    assert VerificationCode.objects.get().used_at is None
    assert create_account(client, code=code, phone=MOBILE_IN).status_code == 302
    assert User.objects.get().check_password(GOOD_PASSWORD)


def test_the_password_rules_are_a_checklist_the_page_can_tick(client):
    send_code(client, phone=MOBILE_IN)
    page = client.get("/accounts/signup/").content.decode()
    checklist = re.search(r"<ul class=\"rules\".*?</ul>", page, re.S).group(0)
    assert 'data-check="min:8"' in checklist and 'data-check="re:[A-Z]"' in checklist
    assert "At least 8 characters" in checklist and "Not a commonly used password" in checklist
    # The field is described by it (screen readers read the rules with the field).
    assert re.search(r'name="password1"[^>]*aria-describedby="id_password1_helptext"', page)
    assert 'id="id_password1_helptext"' in page


def test_a_number_that_fits_another_country_says_which(client):
    response = send_code(client, phone=MOBILE_IN, country="US")
    page = response.content.decode()
    assert response.status_code == 400
    assert "isn&#x27;t a valid phone number for United States" in page
    assert "India (+91)" in page
    # A number that fits nowhere says only that it is not valid.
    nowhere = send_code(client, phone="12", country="US").content.decode()
    assert "but it is one for" not in nowhere and "valid phone number" in nowhere


def test_the_chinese_country_list_is_in_pinyin_order():
    with override("zh-hans"):
        names = [name for _, name in phones.country_choices()]
    # 澳大利亚 (Ào), 巴西 (Bā), 德国 (Dé), 印度 (Yìn), 中国 (Zhōng)
    order = [next(i for i, n in enumerate(names) if n.startswith(c)) for c in "澳巴德印中"]
    assert order == sorted(order)


def test_the_account_keeps_the_browsers_time_zone(client):
    send_code(client, phone=MOBILE_IN)
    client.post(
        "/accounts/signup/",
        {
            "action": "create",
            "method": "phone",
            "code": code_sent_to(MOBILE_IN_E164),
            "password1": GOOD_PASSWORD,
            "password2": GOOD_PASSWORD,
            "terms": "on",
            "time_zone": "Asia/Kolkata",
        },
    )
    assert User.objects.get().time_zone == "Asia/Kolkata"
