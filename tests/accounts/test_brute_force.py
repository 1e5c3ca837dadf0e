"""Failed sign-ins: limited per IP, per account and IP, and per account from any IP with a
short growing delay the owner's own browsers skip; 100 in a row need a reset by code."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import SecurityEvent, User
from accounts.rules.failed_passwords import failed_sign_ins
from tests.helpers import GOOD_PASSWORD, sign_in, sign_up

pytestmark = pytest.mark.django_db(transaction=True)
WRONG = "Wrong!Pass9"


@pytest.fixture
def owner() -> Client:
    """The owner's browser: it created the account, then signed out."""
    browser = Client(REMOTE_ADDR="192.0.2.10")
    sign_up(browser, phone="98765 43210")
    browser.post("/accounts/logout/")
    return browser


def error_of(response) -> str:
    if response.status_code != 200:
        return ""
    return " ".join(str(e) for e in response.context["form"].non_field_errors())


def test_twenty_wrong_passwords_from_twenty_ips_are_throttled(owner):
    answers = [
        error_of(sign_in(Client(REMOTE_ADDR=f"203.0.113.{n}"), "+919876543210", password=WRONG))
        for n in range(20)
    ]
    assert all("don't match" in answer for answer in answers[:5])
    assert all("Too many failed sign-in attempts" in answer for answer in answers[5:])
    # Refused tries are not even checked: the right password from a stranger waits too.
    stranger = sign_in(Client(REMOTE_ADDR="203.0.113.99"), "+919876543210")
    assert "Too many failed sign-in attempts" in error_of(stranger)
    user = User.objects.get(phone="+919876543210")
    assert failed_sign_ins(user) == 5
    assert user.security_events.filter(kind=SecurityEvent.Kind.SIGN_IN_FAILED).count() == 5


def test_the_owner_in_a_known_browser_is_not_kept_out(owner):
    for n in range(20):
        sign_in(Client(REMOTE_ADDR=f"203.0.113.{n}"), "+919876543210", password=WRONG)
    assert sign_in(owner, "+919876543210").status_code == 302
    assert failed_sign_ins(User.objects.get(phone="+919876543210")) == 0


def test_the_delay_doubles_from_thirty_seconds_and_stays_under_five_minutes(owner):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(5):
            sign_in(Client(REMOTE_ADDR=f"203.0.113.{n}"), "+919876543210", password=WRONG)
        waits = []
        for n in range(7):
            elapsed = 0
            while "Too many" in error_of(
                sign_in(Client(REMOTE_ADDR=f"198.51.100.{n}"), "+919876543210", password=WRONG)
            ):
                clock.shift(10)
                elapsed += 10
            waits.append(elapsed)
    assert waits == [30, 60, 120, 240, 300, 300, 300]


def test_a_new_browser_gets_in_once_the_short_delay_is_over(owner):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(6):
            sign_in(Client(REMOTE_ADDR=f"203.0.113.{n}"), "+919876543210", password=WRONG)
        new_browser = Client(REMOTE_ADDR="192.0.2.77")
        assert "Too many" in error_of(sign_in(new_browser, "+919876543210"))
        clock.shift(31)
        assert sign_in(new_browser, "+919876543210").status_code == 302


def test_an_unknown_account_meets_the_same_limits(owner):
    known, unknown = [], []
    for n in range(7):
        known.append(
            error_of(sign_in(Client(REMOTE_ADDR=f"203.0.113.{n}"), "+919876543210", password=WRONG))
        )
        unknown.append(
            error_of(
                sign_in(Client(REMOTE_ADDR=f"198.51.100.{n}"), "+919876543219", password=WRONG)
            )
        )
    assert known == unknown


def test_many_failures_in_a_row_lock_the_password_until_a_reset(owner, settings):
    settings.SIGN_IN_LOCK_AFTER = 10
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(10):
            sign_in(Client(REMOTE_ADDR=f"203.0.113.{n}"), "+919876543210", password=WRONG)
            clock.shift(301)
        locked = sign_in(Client(REMOTE_ADDR="192.0.2.99"), "+919876543210")
        assert "locked" in error_of(locked) and "Reset your password" in error_of(locked)
        # The owner's own browser is not locked out by strangers.
        assert sign_in(owner, "+919876543210").status_code == 302
        owner.post("/accounts/logout/")
        unknown = Client(REMOTE_ADDR="198.51.100.1")
        for n in range(10):
            sign_in(Client(REMOTE_ADDR=f"198.51.100.{n}"), "nobody@example.com", password=WRONG)
            clock.shift(301)
        assert error_of(sign_in(unknown, "nobody@example.com", password=GOOD_PASSWORD)) == error_of(
            locked
        )
    user = User.objects.get(phone="+919876543210")
    assert user.security_events.filter(kind=SecurityEvent.Kind.SIGN_IN_LOCKED).count() == 1


def test_a_sign_in_is_logged_with_its_ip_and_browser(owner):
    owner.defaults["HTTP_USER_AGENT"] = (
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0 Mobile Safari/537.36"
    )
    sign_in(owner, "+919876543210")
    event = User.objects.get(phone="+919876543210").security_events.latest("created_at")
    assert event.kind == SecurityEvent.Kind.SIGNED_IN
    assert event.ip_address == "192.0.2.10"
    assert event.detail == {"browser": "Chrome on Android"}


@pytest.mark.services  # SQLite's in-memory test database refuses parallel writers at once
def test_parallel_tries_after_a_delay_get_one_check_between_them(owner):
    """Twenty tries sent at once when a delay ends: one is checked, the rest wait."""
    from concurrent.futures import ThreadPoolExecutor

    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(5):
            sign_in(Client(REMOTE_ADDR=f"203.0.113.{n}"), "+919876543210", password=WRONG)
        clock.shift(31)

        def attempt(n: int) -> str:
            # The page itself: the test client's captured context is not thread-safe.
            response = sign_in(
                Client(REMOTE_ADDR=f"198.51.100.{n}"), "+919876543210", password=WRONG
            )
            return response.content.decode().replace("&#x27;", "'")

        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(attempt, range(20)))
    assert sum("don't match" in answer for answer in answers) == 1, answers
    assert failed_sign_ins(User.objects.get(phone="+919876543210")) == 6


def test_streaks_are_forgotten_alike_for_accounts_and_unknown_identifiers(owner, settings):
    settings.SIGN_IN_FAILURES_FORGOTTEN_AFTER = 3600
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for login in ("+919876543210", "+919876543219"):
            for n in range(6):
                sign_in(Client(REMOTE_ADDR=f"203.0.113.{n}"), login, password=WRONG)
        clock.shift(3601)
        answers = [
            [
                error_of(sign_in(Client(REMOTE_ADDR=f"198.51.100.{n}"), login, password=WRONG))
                for n in range(2)
            ]
            for login in ("+919876543210", "+919876543219")
        ]
    assert answers[0] == answers[1]


def test_a_right_password_ends_the_streak_and_a_clean_sign_in_queries_no_more_than_it_needs(
    owner,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sign_in(Client(REMOTE_ADDR="203.0.113.7"), "+919876543210", password=WRONG)
    user = User.objects.get(phone="+919876543210")
    assert failed_sign_ins(user) == 1
    assert sign_in(owner, "+919876543210").status_code == 302
    assert failed_sign_ins(user) == 0
    owner.post("/accounts/logout/")
    with CaptureQueriesContext(connection) as captured:
        assert sign_in(owner, "+919876543210").status_code == 302
    statements = [query["sql"].split()[0] for query in captured.captured_queries]
    # One look at the counters, nothing to clear, no server-side cursor; the account found once.
    assert not [
        sql for sql in captured if "signinfailures" in sql["sql"] and "DELETE" in sql["sql"]
    ]
    assert "DECLARE" not in statements
    named = [query for query in captured if 'WHERE "accounts_user"."phone"' in query["sql"]]
    assert len(named) == 1, named
    # The session written once, without a transaction of its own or a look for a free key.
    assert [sql for sql in statements if sql in ("SAVEPOINT", "BEGIN")] == []
    # The client still has the session it was signed out into: it takes the new key by one
    # UPDATE (config/sessions.py), without a DELETE and an INSERT.
    sessions = [
        query["sql"]
        for query in captured
        if re.match(
            r'(SELECT|INSERT INTO|UPDATE|DELETE FROM) .*?"?django_session"?[ .]', query["sql"]
        )
        and "usersession" not in query["sql"].split()[2]
    ]
    writes = [sql for sql in sessions if not sql.startswith("SELECT")]
    assert len(writes) == 1 and writes[0].startswith("UPDATE"), sessions
    assert not [sql for sql in sessions if sql.startswith('SELECT 1 AS "a"')], sessions
    # Besides loading and ending the session this client had: nine statements (bench/README.md).
    assert len(statements) - len(sessions) + len(writes) <= 9, statements


@pytest.mark.services
def test_failures_from_one_ip_are_limited_across_accounts_and_right_passwords_are_taken_back(
    owner, settings
):
    """The per-IP limit of failures, counted in Redis (accounts/rules/sign_in_limits.py): a right
    password does not use it up; failures for any identifiers do."""
    from accounts.rules import sign_in_limits

    assert isinstance(sign_in_limits.caches["default"], sign_in_limits.RedisCache)
    settings.SIGN_IN_RATE_LIMITS = {**settings.SIGN_IN_RATE_LIMITS, "login_failed": "4/m/ip"}
    for _ in range(6):
        assert sign_in(owner, "+919876543210").status_code == 302
        owner.post("/accounts/logout/")
    stranger = Client(REMOTE_ADDR="198.51.100.4")
    answers = [error_of(sign_in(stranger, f"+9198765000{n:02d}", password=WRONG)) for n in range(6)]
    assert all("don't match" in answer for answer in answers[:4]), answers
    assert all("Too many failed sign-in attempts" in answer for answer in answers[4:]), answers
    # Another address is not held back by this one's failures.
    assert sign_in(Client(REMOTE_ADDR="198.51.100.5"), "+919876543210").status_code == 302


def test_without_redis_allauth_counts_the_same_sign_in_limits(settings, rf):
    from accounts.rules import sign_in_limits

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.SIGN_IN_RATE_LIMITS = {"login": "3/m/ip", "login_failed": "2/m/ip"}
    request = rf.post("/accounts/login/", REMOTE_ADDR="198.51.100.9")
    first, second, third = (sign_in_limits.try_sign_in(request, "key") for _ in range(3))
    assert first and second and third is None  # the third failure is one too many
    first.rollback()  # a right password: its try no longer counts as a failure
    assert sign_in_limits.try_sign_in(request, "key") is None  # but three attempts a minute


@pytest.mark.services
def test_in_redis_the_same_limits_are_counted_in_one_script(settings, rf):
    from accounts.rules import sign_in_limits

    settings.SIGN_IN_RATE_LIMITS = {"login": "3/m/ip", "login_failed": "2/m/ip,1/m/key"}
    request = rf.post("/accounts/login/", REMOTE_ADDR="198.51.100.10")
    first = sign_in_limits.try_sign_in(request, "one account")
    assert sign_in_limits.try_sign_in(request, "one account") is None  # 1 a minute per key
    second = sign_in_limits.try_sign_in(request, "another account")
    assert first and second and sign_in_limits.try_sign_in(request, "a third") is None
    first.rollback()
    assert sign_in_limits.try_sign_in(request, "one account")  # its failure was taken back
    assert sign_in_limits.try_sign_in(request, "a fourth") is None  # 3 attempts a minute


def test_a_sign_in_notes_the_last_login_in_one_update(owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    User.objects.filter(phone="+919876543210").update(last_login=None)
    with CaptureQueriesContext(connection) as captured:
        assert sign_in(Client(), "+919876543210").status_code == 302
    user = User.objects.get(phone="+919876543210")
    assert user.last_login is not None and timezone.now() - user.last_login < timedelta(seconds=5)
    table = re.compile(r'UPDATE "?accounts_user\b')
    updates = [query["sql"] for query in captured if table.match(query["sql"])]
    assert len(updates) == 1, updates
    assert re.match(r'UPDATE "?accounts_user"? SET "?last_login"? ', updates[0])


def test_a_new_browser_proves_it_is_a_person_and_gets_in_whoever_else_is_guessing(owner):
    """Strangers' failures delay scripts; the owner in a browser new to the account answers a
    CAPTCHA and signs in at once with the right password."""
    for n in range(8):
        sign_in(Client(REMOTE_ADDR=f"203.0.113.{n}"), "+919876543210", password=WRONG)

    def answered(client, password, answer):
        return client.post(
            "/accounts/login/",
            {
                "login": "+919876543210",
                "password": password,
                "country": "IN",
                "captcha_0": "x",
                "captcha_1": answer,
            },
        )

    # A script that answers no CAPTCHA waits, even with a right password.
    script = sign_in(Client(REMOTE_ADDR="203.0.113.99"), "+919876543210")
    assert "Too many failed sign-in attempts" in error_of(script)
    # An answered CAPTCHA with a wrong password is one more failure, never a way around them.
    guessed = answered(Client(REMOTE_ADDR="203.0.113.98"), WRONG, "PASSED")
    assert "don't match" in error_of(guessed)

    new_browser = Client(REMOTE_ADDR="198.51.100.7")
    asked = sign_in(new_browser, "+919876543210")
    assert "Type the characters in the picture" in error_of(asked)
    assert asked.context["form"].person_check and b'name="captcha_1"' in asked.content
    wrong_answer = answered(new_browser, GOOD_PASSWORD, "WRONG")
    assert wrong_answer.status_code == 200 and "captcha" in wrong_answer.context["form"].errors
    done = answered(new_browser, GOOD_PASSWORD, "PASSED")
    assert done.status_code == 302 and done.url == "/account/"
