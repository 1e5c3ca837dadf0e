"""Each person's own time zone in Chromium: a browser in Kolkata reads the security log in
Kolkata time, changes the account's zone on the account page (without JavaScript's help: the
list and Save) and reads it in the new one, then takes this device's zone back with one press
(Chromium's Intl names it "Asia/Calcutta"; the account keeps "Asia/Kolkata")."""

import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from django.utils import formats, timezone, translation
from playwright.sync_api import Page, expect

from accounts.models import SecurityEvent, User
from tests.browser.accessibility import AXE_SOURCE, Findings, audit
from tests.browser.pages import ARTIFACTS, sign_in
from tests.helpers import GOOD_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "+919876543210"


@pytest.fixture
def in_kolkata(browser, live_server, celery_worker, settings, request) -> Iterator[Page]:
    """A browser context in India's time zone, in English, with axe-core in every page."""
    settings.DEBUG = True
    context = browser.new_context(
        base_url=live_server.url, locale="en-IN", timezone_id="Asia/Kolkata"
    )
    context.set_default_timeout(15_000)
    context.add_init_script(script=AXE_SOURCE)
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w-]", "_", request.node.name)
    page.screenshot(path=str(ARTIFACTS / f"{name}-last.png"), full_page=True)
    context.close()


def sign_in_time(zone: str) -> str:
    """When the account last signed in, as the portal writes it for a reader in `zone`."""
    event = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SIGNED_IN).latest("created_at")
    with translation.override("en"):
        return formats.date_format(
            timezone.localtime(event.created_at, ZoneInfo(zone)), "DATETIME_FORMAT"
        )


def first_log_time(page: Page):
    page.goto("/account/security-log/")
    return page.locator("time").first


def test_times_follow_the_accounts_zone_and_this_devices_zone_is_one_press_away(in_kolkata):
    page = in_kolkata
    User.objects.create_user(phone=PHONE, password=GOOD_PASSWORD, time_zone="Asia/Kolkata")
    sign_in(page, PHONE)

    expect(first_log_time(page)).to_have_text(sign_in_time("Asia/Kolkata"))
    assert first_log_time(page).get_attribute("datetime").endswith("+05:30")

    # The account is in this device's zone: the list shows it, and nothing else is offered.
    page.goto("/account/")
    zone = page.get_by_label("Time zone")
    expect(zone).to_have_value("Asia/Kolkata")
    use_this = page.get_by_role("button", name=re.compile("Use this device's time zone"))
    expect(use_this).to_be_hidden()

    zone.select_option("America/New_York")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(
        "Times are now written in the time zone America/New_York."
    )
    expect(zone).to_have_value("America/New_York")
    assert User.objects.get(phone=PHONE).time_zone == "America/New_York"
    expect(first_log_time(page)).to_have_text(sign_in_time("America/New_York"))
    assert first_log_time(page).get_attribute("datetime").endswith("-05:00")

    # Now the device is elsewhere than the account: its zone, by the name the list knows.
    page.goto("/account/")
    expect(use_this).to_have_text("Use this device's time zone (Asia/Kolkata)")
    expect(use_this).to_be_visible()
    findings = Findings("en")
    audit(page, "account-time-zone", findings)
    assert not findings.problems, findings.report()

    use_this.click()
    expect(page.get_by_role("status")).to_contain_text(
        "Times are now written in the time zone Asia/Kolkata."
    )
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Kolkata")
    expect(use_this).to_be_hidden()
    assert User.objects.get(phone=PHONE).time_zone == "Asia/Kolkata"
    expect(first_log_time(page)).to_have_text(sign_in_time("Asia/Kolkata"))
