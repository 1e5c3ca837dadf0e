"""The scenarios of `load` written as wrk scripts (`bench/wrk.py`): the same requests, from the
same accounts, browsers and devices, for the closed loop that finds the saturating rate."""

import random
import time
from urllib.parse import urlencode

import pyotp

from bench import identities as ids
from bench import load
from bench.wrk import CodeStep, Script, Step

FORM = "application/x-www-form-urlencoded"
# Operations in a script: each of wrk's threads reads all of it (bench/wrk.py).
MOST = 2000


def _browser_headers(host: str, path: str, cookies: dict[str, str]) -> dict[str, str]:
    headers = {
        "Host": host,
        "X-Forwarded-Proto": "https",
        "Origin": f"https://{host}",
        "Referer": f"https://{host}{path}",
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36",
    }
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return headers


def _sign_in_step(host: str, cookies: dict[str, str], login: str, then: str) -> Step:
    headers = _browser_headers(host, "/accounts/login/", cookies) | {"Content-Type": FORM}
    body = urlencode(
        {
            "csrfmiddlewaretoken": cookies["__Host-csrftoken"],
            "login": login,
            "password": ids.PASSWORD,
        }
    )
    return Step("POST", "/accounts/login/", headers, body, status=302, location=then)


def _returning_browser(i: int) -> dict[str, str]:
    """A browser account `i` signed in from before (its key) with the CSRF cookie the sign-in
    page left, as `PortalScenarios.browser_for` has it."""
    return {"__Host-portal_browser": ids.browser_key(i)} | load.csrf_cookie()


def sign_in(portal: load.PortalScenarios) -> Script:
    host = portal.t.host
    return Script(
        [
            (_sign_in_step(host, _returning_browser(i), ids.phone(i), "/account/"), None)
            for i in portal.password_only_list[:MOST]
        ]
    )


def sign_in_totp(portal: load.PortalScenarios, seconds: float) -> Script:
    """Password, then the authenticator code of the moment; the codes of every 30 s step the
    next `seconds` reach are worked out here, from wrk's share of the accounts (the open-loop
    phases take the others), so no code is offered twice."""
    host = portal.t.host
    first = int(time.time() // 30)
    steps = range(first, first + int(seconds // 30) + 3)
    operations = []
    for i in portal.with_app_for_wrk[:MOST]:
        cookies = _returning_browser(i)
        totp = pyotp.TOTP(ids.totp_secret(i))
        path = "/accounts/2fa/authenticate/"
        code_step = CodeStep(
            path=path,
            headers=_browser_headers(host, path, cookies) | {"Content-Type": FORM},
            body_before_code=urlencode(
                {"csrfmiddlewaretoken": cookies["__Host-csrftoken"], "method": "app"}
            )
            + "&code=",
            session_cookie="__Host-sessionid",
            codes={step: totp.at(step * 30) for step in steps},
            location="/account/",
        )
        operations.append(
            (_sign_in_step(host, cookies, ids.phone(i), "/accounts/2fa/authenticate/"), code_step)
        )
    return Script(operations)


def page(portal: load.PortalScenarios, path: str, account: int) -> Script:
    cookies = portal.signed_in[account].cookies
    return Script([(Step("GET", path, _browser_headers(portal.t.host, path, cookies)), None)])


def signup_page(target: load.Target) -> Script:
    path = "/accounts/signup/"
    return Script([(Step("GET", path, _browser_headers(target.host, path, {})), None)])


def _device_headers(host: str, i: int) -> dict[str, str]:
    return {
        "Host": host,
        "X-Forwarded-Proto": "https",
        "Authorization": f"Token {ids.device_token(i)}",
    }


def poll(portal: load.PortalScenarios, pending: bool) -> Script:
    path = "/api/v1/device/commands/"
    devices = (
        [ids.PENDING_DEVICE] if pending else random.sample(portal.devices, len(portal.devices))
    )
    return Script(
        [
            (
                Step(
                    "GET",
                    path,
                    _device_headers(portal.t.host, i),
                    body_prefix="[{" if pending else "[]",
                ),
                None,
            )
            for i in devices
        ]
    )


def report_locations(portal: load.PortalScenarios) -> Script:
    """Batches of 10 fixes, made by wrk at each request, from random devices."""
    path = "/api/v1/device/locations/"
    devices = random.sample(portal.devices, min(MOST, len(portal.devices)))
    return Script(
        [
            (
                Step(
                    "POST",
                    path,
                    _device_headers(portal.t.host, i) | {"Content-Type": "application/json"},
                    status=202,
                    fresh_fixes=True,
                ),
                None,
            )
            for i in devices
        ]
    )


def stock_sign_in(stock: load.StockScenarios) -> Script:
    operations = []
    for i in stock.number_list[:MOST]:
        secret = load.csrf_cookie()["csrftoken"]
        cookies = {"csrftoken": secret}
        headers = _browser_headers(stock.t.host, "/accounts/login/", cookies) | {
            "Content-Type": FORM
        }
        body = urlencode(
            {"csrfmiddlewaretoken": secret, "login": ids.stock_email(i), "password": ids.PASSWORD}
        )
        step = Step(
            "POST", "/accounts/login/", headers, body, status=302, location="/accounts/email/"
        )
        operations.append((step, None))
    return Script(operations)


def stock_email_page(stock: load.StockScenarios) -> Script:
    assert stock.signed_in is not None
    path = "/accounts/email/"
    headers = _browser_headers(stock.t.host, path, stock.signed_in.cookies)
    return Script([(Step("GET", path, headers), None)])
