"""Find Device in Chromium with the simulator as the phone: the device appears with its
location, and Locate, Ring, Lock and Erase issued on its page are played by the simulator,
their states following on the page without a reload."""

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from accounts.models import User
from devices.enrolment import enroll_device
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
        lambda answer: polls.append(answer.status) if "/api/v1/devices/" in answer.url else None,
    )
    portal.goto(f"/devices/{device.public_id}/")
    portal.context.clear_cookies()  # signed out elsewhere: the session is gone
    expect(
        portal.get_by_text("You are signed out, so this page stopped following the device.")
    ).to_be_visible(timeout=10_000)
    refused = len(polls)
    portal.wait_for_timeout(7_000)  # two more poll intervals
    assert len(polls) == refused, "no more polls after the first refusal"
