"""Play the ecosystem's smart-home app, to try ecosystem sign-in without another app.

    python manage.py register_app --name "Mi Home" --public --device-grant   # prints client_id=
    python manage.py simulate_home_app --client-id ID

As a TV or gadget without a keyboard does (the device grant, RFC 8628): it prints the code and
the page to open, polls while the person signs in there and allows it, then verifies the ID
token against the portal's published keys and prints its claims. It then refreshes its tokens
every few seconds, as an app keeps its sign-in, until the person removes its access on
/account/apps/ (the next refresh is refused) or --refreshes is reached.
"""

import json
import time

import jwt
import requests
from django.core.management.base import BaseCommand, CommandError

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class Command(BaseCommand):
    help = "Simulate the smart-home app signing a person in through the device grant."
    requires_system_checks: list = []
    requires_migrations_checks = False

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the portal's address")
        parser.add_argument("--client-id", required=True, help="from manage.py register_app")
        parser.add_argument("--client-secret", default="", help="for a confidential app")
        parser.add_argument("--scope", default="openid phone email profile")
        parser.add_argument(
            "--refresh-every", type=float, default=10.0, help="seconds between refreshes"
        )
        parser.add_argument(
            "--refreshes", type=int, default=0, help="stop after N refreshes (0: until refused)"
        )

    def handle(self, *args, **options) -> None:
        self.http = requests.Session()
        self.client = {"client_id": options["client_id"]}
        if options["client_secret"]:
            self.client["client_secret"] = options["client_secret"]
        self.discovery = self.get_json(
            f"{options['url'].rstrip('/')}/.well-known/openid-configuration"
        )
        token = self.device_sign_in(options["scope"])
        claims = self.verified_claims(token["id_token"])
        self.say("SIGNED IN. The ID token's claims:")
        self.stdout.write(json.dumps(claims, indent=2, ensure_ascii=False))
        self.keep_refreshing(token, options["refresh_every"], options["refreshes"])

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def get_json(self, url: str) -> dict:
        try:
            answer = self.http.get(url, timeout=10)
        except requests.RequestException as error:
            raise CommandError(f"The portal does not answer at {url} ({error}).") from error
        if answer.status_code != 200:
            raise CommandError(f"{url} answered {answer.status_code}.")
        return answer.json()

    def post(self, url: str, data: dict) -> requests.Response:
        try:
            return self.http.post(url, data=self.client | data, timeout=10)
        except requests.RequestException as error:
            raise CommandError(f"The portal does not answer at {url} ({error}).") from error

    def device_sign_in(self, scope: str) -> dict:
        started = self.post(self.discovery["device_authorization_endpoint"], {"scope": scope})
        if started.status_code != 200:
            raise CommandError(f"The portal refused the device grant: {started.text}")
        grant = started.json()
        self.say(
            f"To sign in to Mi Home, open {grant['verification_uri']} and type the code "
            f"{grant['user_code']}\n(or open {grant['verification_uri_complete']})"
        )
        interval = grant.get("interval", 5)
        deadline = time.monotonic() + grant["expires_in"]
        while time.monotonic() < deadline:
            time.sleep(interval)
            answer = self.post(
                self.discovery["token_endpoint"],
                {"grant_type": DEVICE_GRANT, "device_code": grant["device_code"]},
            )
            body = answer.json()
            if answer.status_code == 200:
                return body
            error = body.get("error")
            if error == "slow_down":
                interval += 5
            elif error != "authorization_pending":
                raise CommandError(f"Not signed in: {error} ({body.get('error_description', '')})")
            else:
                self.say("WAITING for you to allow it ...")
        raise CommandError("The code expired before it was allowed: run the command again.")

    def verified_claims(self, id_token: str) -> dict:
        """As an app must: the signature against the published keys, the issuer, the
        audience, the expiry."""
        key = jwt.PyJWKClient(self.discovery["jwks_uri"]).get_signing_key_from_jwt(id_token)
        return jwt.decode(
            id_token,
            key.key,
            algorithms=["RS256"],
            audience=self.client["client_id"],
            issuer=self.discovery["issuer"],
        )

    def keep_refreshing(self, token: dict, every: float, limit: int) -> None:
        self.say(f"Refreshing every {every:g} s; remove its access on /account/apps/ to end it.")
        done = 0
        while not limit or done < limit:
            time.sleep(every)
            answer = self.post(
                self.discovery["token_endpoint"],
                {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
            )
            if answer.status_code != 200:
                self.say(f"REFRESH REFUSED: {answer.json().get('error')}. Signed out of Mi Home.")
                return
            token = answer.json()
            done += 1
            self.say("REFRESHED")
