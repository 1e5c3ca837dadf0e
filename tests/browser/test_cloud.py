"""Cloud sync in Chromium: switches with JavaScript (saved without a reload, turning off asks
keep or delete) and without it (each switch's own form), and the storage bars."""

import re

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from accounts.models import User
from cloud.actions import report_usage
from cloud.models import SyncSwitch
from devices.enrolment import enroll_device
from tests.browser.pages import ARTIFACTS, sign_in
from tests.devices.api_clients import Phone
from tests.helpers import sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
GB = 10**9


def enabled(category: str) -> bool | None:
    switch = SyncSwitch.objects.filter(category=category).first()
    return switch.enabled if switch else None


def test_switches_save_without_a_reload_and_bars_show_usage(portal: Page, live_server):
    sign_up(Client(), phone="98765 43210")
    phone = Phone(live_server.url)
    phone.enroll("+919876543210")
    phone.call("POST", "storage/", json={"usage": {"gallery": int(1.5 * GB), "notes": 2 * 1024**2}})
    sign_in(portal, "+919876543210")
    portal.goto("/cloud/")
    expect(portal.get_by_text(re.compile(r"1\.5\sGB of 5\.0\sGB used"))).to_be_visible()
    expect(portal.get_by_test_id("used-gallery")).to_have_text("1.5\xa0GB")
    expect(portal.get_by_test_id("used-notes")).to_have_text("2.0\xa0MB")
    expect(portal.get_by_role("button", name="Save").first).to_be_hidden()

    portal.evaluate("window.marker = 1")  # gone if the page reloads
    portal.get_by_role("switch", name="Gallery").check()
    expect(portal.locator("#sync-status")).to_have_text("Gallery: on. Saved.")
    assert enabled("gallery") is True

    portal.get_by_role("switch", name="Messages").uncheck()
    portal.get_by_role("button", name="Keep stored data").click()
    expect(portal.locator("#sync-status")).to_have_text("Messages: off. Saved.")
    assert enabled("messages") is False
    assert portal.evaluate("window.marker") == 1
    ARTIFACTS.mkdir(exist_ok=True)
    portal.screenshot(path=str(ARTIFACTS / "cloud-sync.png"), full_page=True)


def notes_stored_on_a_phone() -> None:
    device, _token = enroll_device(
        user=User.objects.get(phone="+919876543210"),
        name="Phone",
        model="Redmi",
        platform="android",
        hardware_id="imei-356938035643809",
    )
    report_usage(device=device, usage={"notes": 4096})


def test_switches_work_without_javascript(browser, live_server):
    sign_up(Client(), phone="98765 43210")
    notes_stored_on_a_phone()  # so turning Notes off asks what becomes of them
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, "+919876543210")
        page.goto("/cloud/")
        row = page.locator("li", has=page.get_by_role("switch", name="Wi-Fi"))
        row.get_by_role("switch", name="Wi-Fi").check()
        row.get_by_role("button", name="Save").click()
        expect(page.get_by_role("switch", name="Wi-Fi")).to_be_checked()
        assert enabled("wifi") is True

        row = page.locator("li", has=page.get_by_role("switch", name="Notes"))
        row.get_by_role("switch", name="Notes").uncheck()
        row.get_by_role("button", name="Save").click()
        page.get_by_role("button", name="Turn off and delete stored data").click()
        expect(page.get_by_role("switch", name="Notes")).not_to_be_checked()
        assert enabled("notes") is False
    finally:
        context.close()
