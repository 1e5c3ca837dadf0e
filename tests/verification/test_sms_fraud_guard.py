"""The SMS fraud guard: allowed countries, a budget per number prefix, a global daily budget;
a blocked send explains itself to the person and is recorded for staff."""

import pytest
from django.test import Client

from tests.helpers import send_code
from verification.limits import sms_prefix, sms_sent_today
from verification.models import BlockedSend, DevOutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)


def errors(response) -> str:
    return " ".join(str(e) for e in response.context["send_form"].non_field_errors())


def test_a_prefix_meets_its_hourly_budget_whatever_the_ips(settings):
    settings.SMS_SENDS_PER_PREFIX_PER_HOUR = 3
    answers = [
        send_code(Client(REMOTE_ADDR=f"203.0.113.{n}"), phone=f"98765 4321{n}") for n in range(5)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 400, 400]
    assert "can't send a text message to this number" in errors(answers[3])
    assert "use email" in errors(answers[3])
    assert DevOutboxMessage.objects.count() == 3
    blocks = list(BlockedSend.objects.values_list("prefix", "reason", "ip"))
    assert blocks == [
        ("+91 9876", "prefix +91 9876 over its hourly budget", "203.0.113.3"),
        ("+91 9876", "prefix +91 9876 over its hourly budget", "203.0.113.4"),
    ]
    # Another range is not held back by the first one's budget.
    assert send_code(Client(REMOTE_ADDR="203.0.113.9"), phone="91234 56789").status_code == 200


def test_the_daily_budget_stops_every_sms(settings):
    settings.SMS_DAILY_BUDGET = 2
    numbers = ["98765 43210", "91234 56789", "99887 76655"]
    answers = [
        send_code(Client(REMOTE_ADDR=f"198.51.100.{n}"), phone=number)
        for n, number in enumerate(numbers)
    ]
    assert [a.status_code for a in answers] == [200, 200, 400]
    assert BlockedSend.objects.get().reason == "daily SMS budget spent"
    # Email is not SMS: it still goes.
    assert (
        send_code(Client(REMOTE_ADDR="198.51.100.9"), email="asha@example.com").status_code == 200
    )


def test_only_allowed_countries_get_a_text(settings):
    settings.SMS_COUNTRIES = ["IN"]
    refused = send_code(Client(), phone="(415) 555-2671", country="US")
    assert refused.status_code == 400
    assert BlockedSend.objects.get().reason == "country US not allowed"
    assert not DevOutboxMessage.objects.exists()


def test_the_prefix_is_the_country_code_and_the_first_national_digits(settings):
    assert sms_prefix("+919876543210") == "+91 9876"
    settings.SMS_PREFIX_DIGITS = 2
    assert sms_prefix("+14155552671") == "+1 41"


def test_staff_see_blocked_sends_in_admin(settings, monkeypatch):
    import os

    from django.core.management import call_command

    from tests.helpers import STAFF_PASSWORD, with_second_factor

    settings.SMS_DAILY_BUDGET = 1
    send_code(Client(), phone="98765 43210")
    send_code(Client(), phone="91234 56789")
    monkeypatch.setitem(os.environ, "ADMIN_PASSWORD", STAFF_PASSWORD)
    call_command("createadmin", email="staff@example.com")
    staff = Client()
    staff.login(username="staff@example.com", password=STAFF_PASSWORD)
    with_second_factor(staff)
    page = staff.get("/admin/verification/blockedsend/").content.decode()
    assert "+919123456789" in page and "daily SMS budget spent" in page


def test_an_account_meets_its_own_hourly_budget_whatever_the_numbers(settings):
    from tests.helpers import GOOD_PASSWORD, sign_up

    settings.VERIFICATION_SENDS_PER_ACCOUNT_PER_HOUR = 2
    settings.VERIFICATION_RESEND_COOLDOWN = 0
    client = Client()
    sign_up(client, phone="98765 43210")
    client.post("/account/verify/?next=/", {"method": "password", "password": GOOD_PASSWORD})
    answers = [
        client.post(
            "/account/recovery/phone/",
            {"action": "send", "country": "IN", "phone": f"9123{n} 56789"},
        )
        for n in range(3)
    ]
    assert [a.status_code for a in answers] == [200, 200, 400]
    assert "Too many codes" in str(answers[2].context["contact_form"].non_field_errors())


@pytest.mark.services
def test_with_redis_a_send_counts_its_budgets_in_one_round_trip():
    """One script checks and counts every budget (per client, per destination, the number
    prefix, the day); every counter gets its window as it is first counted."""
    from django.core.cache import caches

    from verification.limits import DAY, WINDOW, _key, allow_send

    cache = caches["default"]
    client = cache._cache.get_client(write=True)

    def scripts_run() -> int:
        stats = client.info("commandstats")
        return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("eval", "evalsha"))

    before = scripts_run()
    assert allow_send(ip="203.0.113.9", destination="+919876500001")
    assert scripts_run() - before == 1
    assert allow_send(ip="203.0.113.9", destination="+919876500001")
    to = cache.make_and_validate_key(_key("to", "+919876500001"))
    assert int(client.get(to)) == 2
    assert 0 < client.ttl(to) <= WINDOW
    day = next(iter(client.scan_iter(cache.make_and_validate_key("sendlimit:sms-day:*"))))
    assert 0 < client.ttl(day) <= DAY


def test_sends_refused_into_a_spent_prefix_cost_nobody_else_their_sms(settings):
    """One client cannot spend the day's SMS for everyone by being refused: a refused send
    counts against no budget."""
    settings.SMS_SENDS_PER_PREFIX_PER_HOUR = 2
    settings.SMS_DAILY_BUDGET = 6
    settings.VERIFICATION_RESEND_COOLDOWN = 0
    for n in range(2):
        assert (
            send_code(Client(REMOTE_ADDR=f"203.0.113.{n}"), phone=f"98765 4321{n}").status_code
            == 200
        )
    refused = [
        send_code(Client(REMOTE_ADDR=f"198.51.100.{n}"), phone=f"98765 432{n:02d}")
        for n in range(20, 40)
    ]
    assert {answer.status_code for answer in refused} == {400}
    assert DevOutboxMessage.objects.count() == 2
    # A stranger's sign-up by phone in another range, and a reset by SMS, still get their code.
    assert send_code(Client(REMOTE_ADDR="192.0.2.7"), phone="91234 56789").status_code == 200
    reset = Client(REMOTE_ADDR="192.0.2.8").post(
        "/accounts/password/reset/",
        {
            "action": "send",
            "method": "phone",
            "country": "IN",
            "phone": "99887 76655",
            "captcha_0": "test",
            "captcha_1": "PASSED",
        },
    )
    assert reset.status_code == 200
    assert sms_sent_today() == 4


def test_one_ipv6_network_counts_as_one_client():
    """A home line owns a /64: its addresses share one client's budget, as one IPv4 does."""
    from django.test import override_settings

    with override_settings(VERIFICATION_SENDS_PER_IP_PER_HOUR=3):
        answers = [
            send_code(Client(REMOTE_ADDR=f"2001:db8:7:9::{n:x}"), email=f"p{n}@example.com")
            for n in range(1, 6)
        ]
        assert [a.status_code for a in answers] == [200, 200, 200, 400, 400]
        other_line = send_code(Client(REMOTE_ADDR="2001:db8:7:a::1"), email="q@example.com")
        assert other_line.status_code == 200


def test_one_client_gets_only_its_share_of_the_days_sms(settings):
    settings.SMS_SENDS_PER_IP_PER_DAY = 3
    settings.VERIFICATION_SENDS_PER_IP_PER_HOUR = 100
    answers = [
        send_code(Client(REMOTE_ADDR="203.0.113.50"), phone=f"9{n}765 43210") for n in range(1, 6)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 400, 400]
    assert BlockedSend.objects.first().reason == "this client's share of today's SMS spent"
    assert send_code(Client(REMOTE_ADDR="203.0.113.51"), phone="99765 43210").status_code == 200
