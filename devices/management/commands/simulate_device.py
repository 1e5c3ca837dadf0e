"""Play a phone against the portal's device API, to try Find Device without hardware.

    python manage.py simulate_device --account +919876543210 --password 'Blue!Kite42x'
    python manage.py simulate_device --sign-up --account +919876543210 --password 'Blue!Kite42x'

With --sign-up it first creates the account as a phone's settings app does (the device API's
sign-up: the CAPTCHA, answered PASSED with CAPTCHA_TEST_MODE=1, else saved as a picture and
asked; the code by SMS or email, asked; the password; consent to the terms), ending enrolled.

It signs in (with --totp-secret, or an SMS code typed at the prompt, when two-factor is on),
enrolls, reports a location that wanders a little every few seconds, polls for commands and
plays them: Locate reports a fresh location, Ring prints RINGING, Lock shows the message and
contact number, Erase wipes the simulator's state (its token) and stops.
"""

import hashlib
import math
import os
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pyotp
import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Simulate a phone using Find Device against a running portal."
    requires_system_checks: list = []
    requires_migrations_checks = False

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the portal's address")
        parser.add_argument("--account", required=True, help="phone number, email or account ID")
        parser.add_argument("--password", required=True)
        parser.add_argument("--country", default="IN", help="for a national phone number")
        parser.add_argument("--totp-secret", default="", help="authenticator-app key, if on")
        parser.add_argument("--name", default="Simulated phone")
        parser.add_argument("--model", default="Simulator")
        parser.add_argument("--hardware-id", default="", help="defaults to one per name")
        parser.add_argument("--lat", type=float, default=12.9716)
        parser.add_argument("--lon", type=float, default=77.5946)
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between polls")
        parser.add_argument("--iterations", type=int, default=0, help="stop after N (0: never)")
        parser.add_argument(
            "--sign-up",
            action="store_true",
            help="create the account first (--account is its phone number or email)",
        )

    def handle(self, *args, **options) -> None:
        self.base = options["url"].rstrip("/")
        self.http = requests.Session()
        self.lat, self.lon = options["lat"], options["lon"]
        self.battery = 87
        token = self.sign_up(options) if options["sign_up"] else self.sign_in(options)
        self.http.headers["Authorization"] = f"Token {token}"
        self.say(f"ENROLLED as {options['name']!r}")
        iteration = 0
        try:
            while True:
                iteration += 1
                self.walk()
                self.report_location()
                if self.play_commands() == "erased":
                    return
                if options["iterations"] and iteration >= options["iterations"]:
                    self.say("STOPPED")
                    return
                time.sleep(options["interval"])
        except KeyboardInterrupt:
            self.say("STOPPED")

    # --- Talking to the portal -------------------------------------------------------------------
    def say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        try:
            return self.http.request(
                method, f"{self.base}/api/v1/device/{path}", timeout=10, **kwargs
            )
        except requests.RequestException as error:
            raise CommandError(f"cannot reach the portal at {self.base}: {error}") from error

    def device(self, options) -> dict:
        # One simulated phone per name, whichever account it signs in to: signing the same
        # phone in to another account shows the activation lock, as a real phone would.
        hardware_id = options["hardware_id"] or "sim-" + options["name"].replace(" ", "_")
        return {
            "name": options["name"],
            "model": options["model"],
            "platform": "android",
            "hardware_id": hardware_id,
        }

    def sign_up(self, options) -> str:
        """Create the account through the device API's sign-up, as the settings app does."""
        account = options["account"]
        captcha = self.call("POST", "sign-up/captcha/").json()
        if settings.CAPTCHA_TEST_MODE:
            answer = "PASSED"
        else:
            picture = Path(tempfile.gettempdir()) / "portal-captcha.png"
            picture.write_bytes(self.http.get(captcha["image_url"], timeout=10).content)
            answer = input(f"Type the characters in the picture {picture}: ").strip()
        typed = (
            {"method": "email", "email": account}
            if "@" in account
            else {"method": "phone", "country": options["country"], "phone": account}
        )
        sent = self.call(
            "POST",
            "sign-up/code/",
            json={**typed, "captcha_key": captcha["captcha_key"], "captcha_answer": answer},
        )
        if sent.status_code != 202:
            raise CommandError(f"no code was sent ({sent.status_code}): {sent.text}")
        self.say(f"CODE SENT to {sent.json()['sent_to']} (in development: /dev/outbox/)")
        code = input("Type the 6-digit code: ").strip()
        self.say(f"Agreeing to the terms ({captcha['terms_version']}): {captcha['terms_url']}")
        created = self.call(
            "POST",
            "sign-up/",
            json={
                "signup": sent.json()["signup"],
                "code": code,
                "password1": options["password"],
                "password2": options["password"],
                "terms": True,
                "terms_version": captcha["terms_version"],
                # The account's times are written in the phone's zone, as a settings app sends.
                "time_zone": local_time_zone(),
                "device": self.device(options),
            },
        )
        if created.status_code != 201:
            raise CommandError(f"sign-up refused ({created.status_code}): {created.text}")
        self.say(f"ACCOUNT CREATED: {created.json()['account_id']}")
        return created.json()["token"]

    def sign_in(self, options) -> str:
        answer = self.call(
            "POST",
            "sign-in/",
            json={
                "login": options["account"],
                "password": options["password"],
                "country": options["country"],
                "device": self.device(options),
            },
        )
        if answer.status_code == 201:
            return answer.json()["token"]
        if answer.status_code != 200:
            raise CommandError(f"sign-in refused ({answer.status_code}): {answer.text}")
        flow, methods = answer.json()["flow"], answer.json()["methods"]
        if options["totp_secret"] and "app" in methods:
            body = {"flow": flow, "method": "app", "code": self.fresh_totp(options["totp_secret"])}
        elif "sms" in methods:
            self.call(
                "POST",
                "sign-in/second-factor/",
                json={"flow": flow, "method": "sms", "action": "send"},
            )
            code = input("Two-factor is on: type the code texted to the account's phone: ").strip()
            body = {"flow": flow, "method": "sms", "code": code}
        else:
            code = input("Two-factor is on: type a code from the authenticator app: ").strip()
            body = {"flow": flow, "method": "app", "code": code}
        done = self.call("POST", "sign-in/second-factor/", json=body)
        if done.status_code != 201:
            raise CommandError(f"second factor refused ({done.status_code}): {done.text}")
        return done.json()["token"]

    def fresh_totp(self, secret: str) -> str:
        """The authenticator code, from a 30-second step this simulator has not used: a code is
        accepted once, so a restart within the same step waits for the next one."""
        name = hashlib.sha256(secret.encode()).hexdigest()[:16]  # the key never on disk
        marker = Path(tempfile.gettempdir()) / f"portal-simulator-totp-{name}"
        step = int(time.time() // 30)
        used = int(marker.read_text()) if marker.exists() else -1
        if step <= used:
            wait = 30 - time.time() % 30 + 0.5
            self.say(f"WAITING {wait:.0f} s for a new authenticator code")
            time.sleep(wait)
            step = int(time.time() // 30)
        marker.write_text(str(step))
        return pyotp.TOTP(secret).at(step * 30)

    # --- Being a phone ---------------------------------------------------------------------------
    def walk(self) -> None:
        """A few metres in a random direction, and a little battery."""
        angle = random.uniform(0, 2 * math.pi)
        self.lat += 0.0001 * math.cos(angle)
        self.lon += 0.0001 * math.sin(angle)
        self.battery = max(5, self.battery - random.choice([0, 0, 1]))

    def report_location(self) -> None:
        fix = {
            "lat": round(self.lat, 6),
            "lon": round(self.lon, 6),
            "accuracy": random.choice([8, 12, 20]),
            "battery": self.battery,
            "taken_at": datetime.now(UTC).isoformat(),
        }
        answer = self.call("POST", "locations/", json={"locations": [fix]})
        if answer.status_code == 401:
            raise CommandError("the portal signed this device out")
        if answer.status_code == 202:
            self.say(f"LOCATION {fix['lat']:.5f},{fix['lon']:.5f} battery {self.battery}%")

    def play_commands(self) -> str:
        answer = self.call("GET", "commands/")
        if answer.status_code == 401:
            raise CommandError("the portal signed this device out")
        for command in answer.json():
            self.call("POST", f"commands/{command['id']}/ack/")
            kind = command["kind"]
            if kind == "locate":
                self.report_location()
                self.say("LOCATED")
            elif kind == "ring":
                self.say("RINGING")
            elif kind == "lock":
                payload = command.get("payload") or {}
                contact = f" (call {payload['phone']})" if payload.get("phone") else ""
                self.say(f"LOCKED: {payload.get('message', '')}{contact}")
            self.call("POST", f"commands/{command['id']}/result/", json={"result": "succeeded"})
            if kind == "erase":
                self.http.headers.pop("Authorization", None)
                self.say("ERASED: local state wiped; this device stays locked to the account")
                return "erased"
        return ""


def local_time_zone() -> str:
    """This machine's IANA zone name, as a phone knows its own ("UTC" when it can't tell)."""
    try:
        target = os.path.realpath("/etc/localtime")
    except OSError:
        return "UTC"
    _, found, name = target.partition("/zoneinfo/")
    return name if found and name else "UTC"
