"""Find Device in Chromium with the simulator as the phone: the device appears with its
location, and Locate, Ring, Lock and Erase issued on its page are played by the simulator,
their states following on the page without a reload."""

import os
import re
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import formats, timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from devices import commands
from devices.enrolment import enroll_device
from devices.models import Command, Device
from tests.browser.accessibility import Findings, audit, new_audit_context
from tests.browser.pages import ARTIFACTS, sign_in
from tests.helpers import GOOD_PASSWORD, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


class Simulator:
    """`manage.py simulate_device` in its own process, its output collected line by line."""

    def __init__(self, url: str, account: str) -> None:
        env = os.environ | {"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings.base"}
        env.pop("DATABASE_URL", None)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "simulate_device",
                f"--url={url}",
                f"--account={account}",
                f"--password={GOOD_PASSWORD}",
                "--name=Asha's phone",
                "--interval=0.5",
                "--iterations=400",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    def wait_for(self, prefix: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                if line.startswith(prefix):
                    return line
            time.sleep(0.1)
        raise AssertionError(f"the simulator never printed {prefix!r}: {self.lines[-10:]}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def test_the_simulator_obeys_commands_issued_on_the_device_page(portal: Page, live_server):
    sign_up(Client(), phone="98765 43210")
    simulator = Simulator(live_server.url, "+919876543210")
    try:
        simulator.wait_for("ENROLLED")
        simulator.wait_for("LOCATION")
        sign_in(portal, "+919876543210")
        portal.goto("/devices/")
        portal.get_by_role("link", name=re.compile("Asha's phone")).click()
        expect(portal.get_by_test_id("coordinates")).to_have_text(
            re.compile(r"^12\.9\d+, 77\.5\d+$")
        )

        portal.get_by_label("Message on the locked screen").fill("Found me? Call Asha")
        portal.get_by_label("Contact number").fill("+91 91234 56789")
        portal.get_by_role("button", name="Lock", exact=True).click()
        assert simulator.wait_for("LOCKED") == "LOCKED: Found me? Call Asha (call +91 91234 56789)"
        expect(portal.get_by_test_id("state-lock")).to_have_text("Succeeded")

        portal.get_by_role("button", name="Ring").click()
        simulator.wait_for("RINGING")
        expect(portal.get_by_test_id("state-ring")).to_have_text("Succeeded")
        portal.get_by_role("button", name="Locate").click()
        simulator.wait_for("LOCATED")
        expect(portal.get_by_test_id("state-locate")).to_have_text("Succeeded")
        ARTIFACTS.mkdir(exist_ok=True)
        portal.screenshot(path=str(ARTIFACTS / "find-device-page.png"), full_page=True)

        portal.get_by_role("button", name="Erase").click()
        portal.get_by_label("Password", exact=True).fill(GOOD_PASSWORD)
        portal.get_by_role("button", name="Continue").click()
        portal.get_by_role("button", name="Erase").click()
        simulator.wait_for("ERASED")
        expect(portal.get_by_test_id("state-erase")).to_have_text("Succeeded")
        assert simulator.process.wait(timeout=10) == 0
    finally:
        if simulator.process.poll() is None:
            simulator.stop()


def test_a_device_page_left_open_after_sign_out_stops_polling_and_says_so(portal: Page):
    sign_up(Client(), phone="98765 43210")
    device, _token = enroll_device(
        user=User.objects.get(phone="+919876543210"),
        name="Asha's phone",
        model="Redmi",
        platform="android",
        hardware_id="imei-356938035643809",
    )
    sign_in(portal, "+919876543210")
    polls: list[int] = []
    portal.on(
        "response",
        lambda answer: polls.append(answer.status) if answer.url.endswith("/status/") else None,
    )
    with portal.expect_response(lambda answer: answer.url.endswith("/status/")):
        portal.goto(f"/devices/{device.public_id}/")  # the page follows the device
    portal.context.clear_cookies()  # signed out elsewhere: the session is gone
    expect(
        portal.get_by_text("You are signed out, so this page stopped following the device.")
    ).to_be_visible(timeout=10_000)
    assert polls[0] == 200 and polls[-1] == 401
    refused = len(polls)
    portal.wait_for_timeout(7_000)  # two more poll intervals
    assert len(polls) == refused, "no more polls after the first refusal"


def phone_of(user: User, **location) -> tuple[Device, str]:
    """A phone enrolled on the account (and its token), with a last location when given."""
    device, token = enroll_device(
        user=user,
        name="Asha's phone",
        model="Redmi",
        platform="android",
        hardware_id="imei-356938035643809",
    )
    if location:
        Device.objects.filter(pk=device.pk).update(**location)
    return device, token


def written(value) -> str:
    """A time as the portal writes it on its pages (the page's script writes none itself)."""
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def test_offline_the_map_says_it_could_not_load_and_the_place_is_written_out(portal: Page):
    sign_up(Client(), phone="98765 43210")
    located = timezone.now() - timedelta(minutes=4)
    device, _token = phone_of(
        User.objects.get(phone="+919876543210"),
        last_latitude=28.61394,
        last_longitude=77.20902,
        last_accuracy=12,
        last_battery=64,
        last_located_at=located,
    )
    tiles = re.compile(r"^" + re.escape(settings.MAP_TILE_URL.split("{")[0]))
    asked: list[str] = []
    portal.route(tiles, lambda route: (asked.append(route.request.url), route.abort()))
    sign_in(portal, "+919876543210")
    portal.goto(f"/devices/{device.public_id}/")

    expect(portal.locator("#map")).to_be_visible()
    expect(portal.get_by_role("status").filter(has_text="The map could not load")).to_have_text(
        "The map could not load (no connection to the map server). "
        "Where the device was is written out below."
    )
    assert asked, "the map asked for its tiles (and was refused)"
    expect(portal.get_by_test_id("coordinates")).to_have_text("28.61394, 77.20902")
    expect(portal.get_by_role("link", name="Open in maps")).to_have_attribute(
        "href",
        "https://www.openstreetmap.org/?mlat=28.61394&mlon=77.20902#map=17/28.61394/77.20902",
    )
    expect(portal.get_by_test_id("accuracy")).to_have_text("within 12 m")
    expect(portal.get_by_test_id("battery")).to_have_text("64%")
    expect(portal.get_by_test_id("located-at")).to_have_text(written(located))
    # The tile server's credit stays, in the page's words, linked to its terms.
    credit = portal.locator(".leaflet-control-attribution")
    expect(credit).to_contain_text("© OpenStreetMap contributors")
    expect(credit.get_by_role("link", name="OpenStreetMap contributors")).to_have_attribute(
        "href", "https://www.openstreetmap.org/copyright"
    )
    expect(credit.get_by_role("link", name="Leaflet")).to_have_attribute(
        "title", "A JavaScript library for interactive maps"
    )


def test_a_command_shows_when_the_phone_fetched_it_and_expires_instead_of_staying_pending(
    portal: Page,
):
    sign_up(Client(), phone="98765 43210")
    device, token = phone_of(User.objects.get(phone="+919876543210"))
    phone = Client(HTTP_AUTHORIZATION=f"Token {token}")
    portal.set_viewport_size({"width": 360, "height": 780})
    sign_in(portal, "+919876543210")
    portal.goto(f"/devices/{device.public_id}/")

    portal.get_by_role("button", name="Ring").click()
    expect(portal.get_by_test_id("state-ring")).to_have_text("Pending")
    ring = Command.objects.get(device=device, kind="ring")
    expect(portal.get_by_test_id("since-ring")).to_have_text(written(ring.created_at))

    fetched = phone.get("/api/v1/device/commands/").json()
    assert [command["id"] for command in fetched] == [str(ring.public_id)]
    assert phone.post(f"/api/v1/device/commands/{ring.public_id}/ack/").status_code == 200
    ring.refresh_from_db()
    expect(portal.get_by_test_id("state-ring")).to_have_text("Delivered")
    expect(portal.get_by_test_id("since-ring")).to_have_text(written(ring.delivered_at))
    expect(portal.locator("#command-status")).to_have_text("Ring: Delivered")
    row = portal.locator("#commands tr", has=portal.get_by_test_id("state-ring"))
    expect(row.locator("svg.state-icon")).to_have_attribute("aria-hidden", "true")

    # The phone went quiet: ten minutes on, nothing has closed the Ring, and it says Expired.
    expired_at = timezone.now() - timedelta(seconds=5)
    Command.objects.filter(pk=ring.pk).update(expires_at=expired_at)
    expect(portal.get_by_test_id("state-ring")).to_have_text("Expired")
    expect(portal.get_by_test_id("since-ring")).to_have_text(written(expired_at))
    expect(portal.locator("#command-status")).to_have_text("Ring: Expired")
    assert portal.evaluate("document.documentElement.scrollWidth") <= 360
    scroll = portal.locator(".table-scroll")
    assert scroll.evaluate("el => el.scrollWidth <= el.clientWidth"), "the table fits 360 px"
    portal.reload()  # the first render says the same
    expect(portal.get_by_test_id("state-ring")).to_have_text("Expired")


# Chrome on a Pixel 8, as the sessions page should name it.
PIXEL = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)


def test_the_sessions_page_names_the_browser_and_phone_in_chinese(
    portal: Page, browser, live_server
):
    sign_up(Client(), phone="98765 43210")
    User.objects.filter(phone="+919876543210").update(language="zh-hans")
    context = browser.new_context(base_url=live_server.url, locale="en-US", user_agent=PIXEL)
    try:
        page = context.new_page()
        sign_in(page, "+919876543210")  # the account's language comes back after sign-in
        page.goto("/account/sessions/")
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
        expect(page.locator(".sessions strong", has_text="Pixel 8")).to_have_text(
            "Pixel 8 上的 Chrome"
        )
    finally:
        context.close()


def commands_in_every_state(device: Device) -> None:
    """Pending, Delivered, Succeeded, Failed, Cancelled and Expired, one each."""
    by = device.user

    def issue(kind: str, **payload) -> Command:
        return commands.issue_command(device=device, by=by, kind=kind, payload=payload)[0]

    issue("ring")
    commands.acknowledge(device=device, command_id=issue("locate").public_id)
    for succeeded in (True, False):
        sent = issue("lock", message="Lost phone", phone="")
        commands.report_result(device=device, command_id=sent.public_id, succeeded=succeeded)
    commands.cancel_command(command=issue("lock", message="Lost phone", phone=""))
    late = issue("ring")
    Command.objects.filter(pk=late.pk).update(expires_at=timezone.now() - timedelta(minutes=1))


@pytest.mark.parametrize("language", ["en", "zh-hans", "hi"])
def test_the_device_page_with_every_command_state_passes_axe_and_fits_360_px(
    browser, live_server, settings, language
):
    settings.DEBUG = True
    sign_up(Client(), phone="98765 43210")
    User.objects.filter(phone="+919876543210").update(language=language)
    user = User.objects.get(phone="+919876543210")
    device, _token = phone_of(
        user,
        last_latitude=28.61394,
        last_longitude=77.20902,
        last_accuracy=25,
        last_battery=81,
        last_located_at=timezone.now(),
    )
    commands_in_every_state(device)
    session = Client()
    session.force_login(user)
    findings = Findings(language)
    context = new_audit_context(browser, live_server.url, language)
    try:
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        page = context.new_page()
        page.goto(f"/devices/{device.public_id}/")
        expect(page.locator("#map-failed")).to_be_visible()
        expect(page.locator("#command-rows tr")).to_have_count(6)
        audit(page, "device-every-command-state", findings)
    finally:
        context.close()
    assert not findings.problems, findings.report()
