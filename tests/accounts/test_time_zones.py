"""Each person's own time zone: kept on the account (the browser's or phone's at sign-up,
changed on the account page), every page of a signed-in person and every notice writes times
in it, in the one format of the language (DATETIME_FORMAT), with no "UTC" after them."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import formats, timezone, translation

from accounts import time_zones
from accounts.actions.signup import create_account, send_signup_code
from accounts.models import SecurityEvent, User
from tests.helpers import GOOD_PASSWORD, code_sent_to, sign_in
from verification.models import DevOutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "+919876543210"
KOLKATA = ZoneInfo("Asia/Kolkata")


def written(moment: datetime, zone: ZoneInfo, language: str = "en") -> str:
    """A time as the portal writes it for a person in `zone` reading `language`."""
    with translation.override(language):
        return formats.date_format(timezone.localtime(moment, zone), "DATETIME_FORMAT")


def notice_to(to: str, saying: str) -> str:
    return DevOutboxMessage.objects.get(to=to, body__contains=saying).body


def change_time_zone(client: Client, zone: str):
    return client.post("/account/time-zone/", {"time_zone": zone})


# --- The rule: which names are zones --------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("Asia/Kolkata", "Asia/Kolkata"),
        # Chromium's Intl names India's zone by its old alias: the account keeps the current name.
        ("Asia/Calcutta", "Asia/Kolkata"),
        ("Europe/Kiev", "Europe/Kyiv"),
        ("UTC", "UTC"),
        ("Etc/UTC", "UTC"),
        ("America/New_York", "America/New_York"),
        ("Mars/Olympus_Mons", ""),
        ("asia/kolkata", ""),
        ("localtime", ""),
        ("../../etc/passwd", ""),
        ("", ""),
        (None, ""),
        (5, ""),
    ],
)
def test_a_time_zone_is_a_name_zoneinfo_knows_by_its_current_name(name, kept):
    assert time_zones.valid(name) == kept


def test_the_list_is_sorted_places_with_their_offset_and_no_aliases():
    listed = time_zones.choices()
    names = [name for name, _ in listed]
    assert names == sorted(names)
    assert ("Asia/Kolkata", "Asia/Kolkata (UTC+05:30)") in listed
    assert ("UTC", "UTC") in listed
    assert "Asia/Calcutta" not in names and "US/Eastern" not in names and "EST5EDT" not in names
    # An account's own zone is always there to be shown selected, even one the list leaves out.
    assert ("Etc/GMT-3", "Etc/GMT-3 (UTC+03:00)") in time_zones.choices(selected="Etc/GMT-3")


def test_the_offset_shown_is_the_one_of_the_moment():
    summer = datetime(2026, 7, 1, 12, tzinfo=UTC)
    winter = datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert time_zones.label("Europe/London", at=summer) == "Europe/London (UTC+01:00)"
    assert time_zones.label("Europe/London", at=winter) == "Europe/London (UTC+00:00)"
    assert time_zones.label("America/St_Johns", at=winter) == "America/St Johns (UTC-03:30)"


# --- Sign-up keeps the browser's zone -------------------------------------------------------------
def new_account(time_zone: str) -> User:
    record = send_signup_code(
        channel="sms", destination=PHONE, client_ip="127.0.0.1", previous_id=None, language="en"
    )
    return create_account(
        channel="sms",
        destination=PHONE,
        code_id=record.pk,
        code=code_sent_to(PHONE),
        password=GOOD_PASSWORD,
        client_ip="127.0.0.1",
        user_agent="test",
        language="en",
        time_zone=time_zone,
    )


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("Asia/Kolkata", "Asia/Kolkata"),
        ("Asia/Calcutta", "Asia/Kolkata"),
        ("Not/A_Zone", "UTC"),
        ("", "UTC"),
    ],
)
def test_a_new_account_keeps_the_browsers_time_zone_or_utc(sent, kept):
    assert new_account(sent).time_zone == kept


# --- Pages ----------------------------------------------------------------------------------------
def test_the_security_log_writes_times_in_the_accounts_zone(phone_client):
    assert change_time_zone(phone_client, "Asia/Kolkata").status_code == 302
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SIGNED_UP)
    page = phone_client.get("/account/security-log/").content.decode()
    assert re.search(r'<time datetime="([^"]+)"', page).group(1).endswith("+05:30")
    assert written(event.created_at, KOLKATA) in page
    assert "UTC" not in re.search(r"<time[^>]*>([^<]+)</time>", page).group(1)


def test_a_page_in_chinese_writes_the_same_moment_in_chinese_in_the_accounts_zone(phone_client):
    change_time_zone(phone_client, "America/New_York")
    phone_client.post("/language/", {"language": "zh-hans", "next": "/"})
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SIGNED_UP)
    page = phone_client.get("/account/security-log/").content.decode()
    assert written(event.created_at, ZoneInfo("America/New_York"), "zh-hans") in page


def test_the_accounts_zone_costs_no_query(phone_client, settings):
    change_time_zone(phone_client, "Asia/Kolkata")
    phone_client.get("/account/")  # shows the message "Times are now written in..."

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert phone_client.get("/account/security-log/").status_code == 200
        return len(captured)

    with_zone = queries()
    settings.MIDDLEWARE = [
        path for path in settings.MIDDLEWARE if not path.endswith("AccountTimeZoneMiddleware")
    ]
    assert queries() == with_zone


def test_the_zone_lasts_only_as_long_as_the_request(phone_client):
    change_time_zone(phone_client, "Asia/Kolkata")
    phone_client.get("/account/")
    # The zone was the request's only: nothing of it stays on the thread.
    assert timezone.get_current_timezone_name() == "UTC"


# --- The account page -----------------------------------------------------------------------------
def test_the_account_page_shows_the_zone_selected_and_changes_it(phone_client):
    page = phone_client.get("/account/").content.decode()
    assert '<label for="id_time_zone">Time zone</label>' in page
    assert '<option value="UTC" selected>UTC</option>' in page
    answer = change_time_zone(phone_client, "Asia/Kolkata")
    assert answer.status_code == 302 and answer.url == "/account/"
    assert User.objects.get(phone=PHONE).time_zone == "Asia/Kolkata"
    page = phone_client.get("/account/").content.decode()
    assert "Times are now written in the time zone Asia/Kolkata." in page
    assert '<option value="Asia/Kolkata" selected>Asia/Kolkata (UTC+05:30)</option>' in page


def test_the_browsers_alias_is_kept_by_its_current_name(phone_client):
    assert change_time_zone(phone_client, "Asia/Calcutta").status_code == 302
    assert User.objects.get(phone=PHONE).time_zone == "Asia/Kolkata"


@pytest.mark.parametrize("sent", ["Mars/Olympus_Mons", "", "x" * 5000, "localtime"])
def test_a_zone_not_known_is_refused_beside_the_list(phone_client, sent):
    answer = change_time_zone(phone_client, sent)
    assert answer.status_code == 400
    page = answer.content.decode()
    assert 'aria-invalid="true"' in page and "id_time_zone_error" in page
    expected = "Choose a time zone from the list." if sent else "This field is required."
    assert expected in page
    assert User.objects.get(phone=PHONE).time_zone == "UTC"


def test_changing_the_zone_needs_a_signed_in_post():
    assert Client().post("/account/time-zone/", {"time_zone": "Asia/Kolkata"}).status_code == 302
    signed_in = Client()
    signed_in.force_login(User.objects.create_user(phone=PHONE, password=GOOD_PASSWORD))
    assert signed_in.get("/account/time-zone/").status_code == 405


# --- Notices --------------------------------------------------------------------------------------
def test_the_new_sign_in_notice_writes_its_time_in_the_accounts_zone(phone_client):
    change_time_zone(phone_client, "Asia/Kolkata")
    moment = datetime(2026, 12, 6, 6, 26, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        assert sign_in(Client(), PHONE).status_code == 302
    body = notice_to(PHONE, "from a new browser")
    assert "at 6 Dec 2026, 11:56." in body
    assert "UTC" not in body


def test_a_notice_set_off_by_staff_is_in_the_accounts_zone_and_language(phone_client):
    from accounts.actions.moderation import moderate

    user = User.objects.get(phone=PHONE)
    user.language, user.time_zone = "hi", "Asia/Kolkata"
    user.save()
    moment = datetime(2026, 12, 6, 6, 26, tzinfo=UTC)
    until = datetime(2026, 12, 7, 18, 30, tzinfo=UTC)
    staff = User.objects.create_superuser(email="staff@example.com", password=GOOD_PASSWORD)
    # Staff read admin in their own zone; the notice is still written in the account's.
    with time_machine.travel(moment, tick=False), timezone.override("America/New_York"):
        moderate(
            user=user,
            actor=staff,
            action="suspend",
            reason="Cooling off",
            share_reason=True,
            until=until,
        )
    body = notice_to(PHONE, "निलंबित")
    assert written(until, KOLKATA, "hi") in body, body
    assert "8 दिसंबर 2026, 00:00" in body
