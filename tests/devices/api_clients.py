"""The two clients of the device and portal APIs over real HTTP (`requests` against the live
server): a phone (Phone) and the person's browser session (Portal)."""

import re

import requests

from tests.helpers import GOOD_PASSWORD

PHONE = "+919876543210"
HARDWARE = "imei-356938035643809"


class Portal:
    """The person's browser session against the live server (cookies and CSRF as a browser)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()

    def sign_in(self, login: str, password: str = GOOD_PASSWORD) -> None:
        page = self.http.get(f"{self.base}/accounts/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        answer = self.http.post(
            f"{self.base}/accounts/login/",
            data={
                "login": login,
                "password": password,
                "country": "IN",
                "csrfmiddlewaretoken": token,
            },
            timeout=10,
        )
        assert answer.url.endswith("/account/"), answer.url

    def confirm_with_password(self, password: str = GOOD_PASSWORD) -> None:
        self.http.post(
            f"{self.base}/account/verify/?next=/",
            data={"method": "password", "password": password, "csrfmiddlewaretoken": self.csrf},
            timeout=10,
        )

    @property
    def csrf(self) -> str:
        return self.http.cookies.get("csrftoken", "")

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"X-CSRFToken": self.csrf, **kwargs.pop("headers", {})}
        return self.http.request(
            method, f"{self.base}/api/v1/{path}", headers=headers, timeout=10, **kwargs
        )


class Phone:
    """A phone talking to the device API."""

    def __init__(self, base: str, token: str = "") -> None:
        self.base = base
        self.token = token

    def sign_in(self, login: str, password: str = GOOD_PASSWORD, hardware: str = HARDWARE):
        return requests.post(
            f"{self.base}/api/v1/device/sign-in/",
            json={
                "login": login,
                "password": password,
                "country": "IN",
                "device": {
                    "name": "Asha's phone",
                    "model": "Redmi Note 14",
                    "platform": "android",
                    "hardware_id": hardware,
                },
            },
            timeout=10,
        )

    def enroll(self, login: str, **kwargs) -> str:
        answer = self.sign_in(login, **kwargs)
        assert answer.status_code == 201, answer.text
        self.token = answer.json()["token"]
        return answer.json()["device_id"]

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Token {self.token}", **kwargs.pop("headers", {})}
        return requests.request(
            method, f"{self.base}/api/v1/device/{path}", headers=headers, timeout=10, **kwargs
        )
